"""Issue 10, point 2 and the dunning side of point 5: dunning learns each message's fate. A step is done when its
message is sent; a failure or bounce (also after sent) falls back at once to the next channel or contact, and to a
task for the collector when none is left; the action item's notice state follows the message; replies pause
reminders. Messaging's answers go through dunning's real inbox; the commands are read from its outbox."""

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text

from shared.contracts.messaging import ReplyReceived
from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, feed, real_run

MONDAY = date(2025, 6, 2)


async def _explain(api, tenant, customer_id, day: date) -> dict:
    response = await api.get(
        f"/v1/dunning-explain/{customer_id}", params={"as_of": day.isoformat()}, headers=tenant.admin
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _steps_done(stack, number: str) -> list:
    async with stack.engine.connect() as conn:
        return await conn.scalar(text("SELECT steps_done FROM dunning.invoices WHERE number = :n"), {"n": number})


async def _setup(api, stack, **contacts):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", **contacts)
    # one day overdue: step od-1, channels email then sms
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(days=31))
    return tenant, portfolio, messaging, ana


async def test_steps_are_done_only_after_sent_and_an_accepted_message_never_expires(api, stack):
    tenant, _, messaging, ana = await _setup(api, stack, email="ana@example.com")
    await real_run(api, tenant.admin, MONDAY)
    (message,) = await messaging.take()
    await messaging.answer([message], state="queued")
    await messaging.answer([message], state="deferred")
    assert await _steps_done(stack, "F-1") == []
    # messaging holds it for longer than the pending expiry: the step still waits for it (no second message)
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE dunning.pending_steps SET since = now() - interval '100 hours'"))
    why = await _explain(api, tenant, ana, MONDAY + timedelta(days=3))
    assert why["invoices"][0]["reason"] == "awaiting_acceptance"
    await real_run(api, tenant.admin, MONDAY + timedelta(days=3))
    assert await messaging.take() == []
    await messaging.answer([message], state="sent")
    await messaging.answer([message], state="queued")  # late and out of order: changes nothing
    assert len(await _steps_done(stack, "F-1")) == 1
    why = await _explain(api, tenant, ana, MONDAY + timedelta(days=3))
    assert why["invoices"][0]["reason"] == "step_already_sent"
    assert why["history"][0]["state"] == "sent"
    assert why["history"][0]["delivery_state"] == "sent"


async def test_an_unanswered_dispatch_expires_and_is_sent_again(api, stack):
    tenant, _, messaging, _ = await _setup(api, stack, email="ana@example.com")
    await real_run(api, tenant.admin, MONDAY)
    assert len(await messaging.take()) == 1  # messaging never answers
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE dunning.pending_steps SET since = now() - interval '100 hours'"))
    await real_run(api, tenant.admin, MONDAY + timedelta(days=3))
    assert len(await messaging.take()) == 1
    async with stack.engine.connect() as conn:  # the expired mark is replaced by the new hand-over's
        fresh = await conn.scalar(text("SELECT since > now() - interval '1 hour' FROM dunning.pending_steps"))
    assert fresh is True


async def test_a_bounce_after_acceptance_falls_back_to_the_next_channel_at_once(api, stack):
    tenant, _, messaging, ana = await _setup(api, stack, email="ana@example.com", sms="+5491155551111")
    await real_run(api, tenant.admin, MONDAY)
    (email,) = await messaging.take()
    assert email.channel == "email"
    await messaging.answer([email], state="queued")
    await messaging.answer([email], state="bounced", error="550 mailbox unavailable", error_code="smtp_550")
    (sms,) = await messaging.take()  # written by the handler itself, not by the next run
    assert sms.channel == "sms"
    assert sms.to == "+5491155551111"
    assert sms.idempotency_key != email.idempotency_key
    assert [i.number for i in sms.invoices] == ["F-1"]
    assert sms.data["fallback_of"] == email.source_ref  # the failed dispatch
    assert await _steps_done(stack, "F-1") == []
    # the same bounce delivered again takes no second fallback
    await messaging.answer([email], state="bounced", error="550 mailbox unavailable", error_code="smtp_550")
    assert await messaging.take() == []
    await messaging.answer([sms], state="queued")
    await messaging.answer([sms], state="delivered")
    assert len(await _steps_done(stack, "F-1")) == 1

    why = await _explain(api, tenant, ana, MONDAY)
    (entry,) = why["history"]
    assert entry["channel"] == "email"
    assert entry["address"] == "ana@example.com"
    assert entry["state"] == "failed"
    assert entry["delivery_state"] == "bounced"
    assert entry["error"] == "smtp_550: 550 mailbox unavailable"
    assert entry["message_id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, email.idempotency_key))
    (fallback,) = entry["fallbacks"]
    assert (fallback["channel"], fallback["address"], fallback["state"], fallback["delivery_state"]) == (
        "sms",
        "+5491155551111",
        "sent",
        "delivered",
    )
    assert fallback["message_id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, sms.idempotency_key))
    # nothing more goes out for this step
    await real_run(api, tenant.admin, MONDAY + timedelta(days=1))
    assert await messaging.take() == []


async def test_a_failure_after_sent_falls_back_to_the_customers_other_contact(api, stack):
    """An SMS `undelivered` (or a late bounce) after `sent`: the step is undone and the other address tried."""
    tenant, portfolio, messaging, ana = await _setup(api, stack, email="ana@example.com")
    await portfolio.change_customer(
        ana,
        contacts=[
            {"channel": "email", "address": "ana@example.com"},
            {"channel": "email", "address": "pagos@ana.example"},
        ],
    )
    await real_run(api, tenant.admin, MONDAY)
    (first,) = await messaging.take_and_accept()
    assert len(await _steps_done(stack, "F-1")) == 1
    await messaging.answer([first], state="failed", error="late DSN 5.1.1", error_code="bounce_hard")
    assert await _steps_done(stack, "F-1") == []
    (second,) = await messaging.take()
    assert (second.channel, second.to) == ("email", "pagos@ana.example")
    await messaging.answer([second], state="sent")
    assert len(await _steps_done(stack, "F-1")) == 1


async def test_all_channels_failing_creates_the_collectors_task(api, stack):
    tenant, _, messaging, ana = await _setup(api, stack, email="ana@example.com", sms="+5491155551111")
    await real_run(api, tenant.admin, MONDAY)
    (email,) = await messaging.take()
    await messaging.answer([email], state="failed", error="attempts exhausted", error_code="interrupted")
    (sms,) = await messaging.take()
    await messaging.answer([sms], state="sent")
    await messaging.answer([sms], state="failed", error="undelivered", error_code="30003")
    assert await messaging.take() == []  # no channel left: no message, a task
    (task,) = messaging.tasks
    assert task.title == "No se pudo contactar a Ana SRL por email, sms"
    assert task.customer_id == ana
    assert task.assignee_id is None  # receivables gives it to the customer's collector
    assert "email ana@example.com: failed (interrupted: attempts exhausted)" in task.description
    assert "sms +5491155551111: failed (30003: undelivered)" in task.description
    assert len(await _steps_done(stack, "F-1")) == 1  # handed over to the collector
    await messaging.answer([sms], state="failed", error="undelivered", error_code="30003")
    await messaging.take()
    assert len(messaging.tasks) == 1
    why = await _explain(api, tenant, ana, MONDAY)
    assert [f["state"] for f in why["history"][0]["fallbacks"]] == ["failed", "task"]
    await real_run(api, tenant.admin, MONDAY + timedelta(days=1))
    assert await messaging.take() == []


async def test_the_action_items_notice_state_follows_the_message_and_its_fallback(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    bea = await portfolio.customer("Bea", email="bea@example.com", sms="+5491155552222")
    await portfolio.invoice(bea, "F-9", due=MONDAY - timedelta(days=46), issue=MONDAY - timedelta(days=76))
    await real_run(api, tenant.admin, MONDAY)
    (notice,) = await messaging.take()
    assert (notice.kind, notice.channel) == ("action_notice", "email")

    async def state() -> str:
        (item,) = (await api.get("/v1/action-items", headers=tenant.admin)).json()["items"]
        return item["notice_state"]

    await messaging.answer([notice], state="queued")
    assert await state() == "pending"
    await messaging.answer([notice], state="bounced", error="550", error_code="smtp_550")
    assert await state() == "failed"
    (again,) = await messaging.take()
    assert (again.kind, again.channel, again.action) == ("action_notice", "sms", "legal")
    await messaging.answer([again], state="queued")
    assert await state() == "pending"
    await messaging.answer([again], state="delivered")
    assert await state() == "sent"
    await messaging.take()
    events = [e for e in messaging.events if e["type"] == "dunning.action_item_changed"]
    assert [e["notice_state"] for e in events] == ["pending", "failed", "pending", "sent"]
    assert len({e["action_item_id"] for e in events}) == 1


async def test_a_reply_pauses_reminders_for_the_tenants_days_and_a_stop_does_not(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    bad = await api.patch("/v1/dunning-settings", json={"reply_pause_days": 61}, headers=tenant.admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].endswith("reply_pause_days")
    settings = await api.patch("/v1/dunning-settings", json={"reply_pause_days": 2}, headers=tenant.admin)
    assert settings.json()["reply_pause_days"] == 2
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    bob = await portfolio.customer("Bob SA", sms="+5491155553333")
    for customer, number in ((ana, "F-1"), (bob, "B-1")):
        await portfolio.invoice(customer, number, due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(days=31))
    noon = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)  # noon in Buenos Aires
    await feed(
        stack,
        tenant.id,
        [
            ReplyReceived(
                reply_id=uuid.uuid4(),
                customer_id=ana,
                channel="email",
                from_address="ana@example.com",
                body="Ya pagué, les mando el comprobante",
                received_at=noon,
            ),
            ReplyReceived(
                reply_id=uuid.uuid4(),
                customer_id=bob,
                channel="sms",
                from_address="+5491155553333",
                body="STOP",
                opt_out=True,
                received_at=noon,
            ),
        ],
    )
    why = await _explain(api, tenant, ana, MONDAY + timedelta(days=1))
    assert why["invoices"][0]["reason"] == "paused_reply"
    assert why["paused"].startswith("paused: customer replied on 2025-06-02")
    run = await real_run(api, tenant.admin, MONDAY)
    assert [c.customer.name for c in await messaging.take()] == ["Bob SA"]  # a STOP pauses nothing
    assert run["counts"]["communications"] == 1
    await real_run(api, tenant.admin, MONDAY + timedelta(days=1))
    assert await messaging.take() == []
    await real_run(api, tenant.admin, MONDAY + timedelta(days=2))  # two days after the reply: reminders resume
    assert [c.customer.name for c in await messaging.take()] == ["Ana SRL"]
