"""The delivery pipeline against real peers on loopback: aiosmtpd, the provider stub over HTTP."""

import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text

from messaging_service.delivery.jobs import SLOT_PERIOD_SECONDS, deliver_job_id
from messaging_service.delivery.rendering import message_id_header
from shared.calendar import BusinessCalendar
from shared.messages import Envelope
from tests.messaging.support import (
    communication,
    customer_with_email,
    deliver,
    messages,
    messaging_tenant,
    outbox,
    relay_messaging,
    run_messaging,
    send,
    set_channel,
    settings,
)
from tests.support import queued_envelopes


async def attempts(stack, message_id) -> list:
    async with stack.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    text("SELECT * FROM messaging.attempts WHERE message_id = :id ORDER BY number"), {"id": message_id}
                )
            ).all()
        )


async def test_an_email_arrives_at_the_smtp_server_with_html_text_and_the_statement(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication(to="Pagos@Cliente.example")])
    await deliver(stack, settings(smtp_port=mailbox.port))

    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent"
    assert row.attempts == 1
    assert row.sent_at is not None
    (mail,) = mailbox.messages()
    assert mail["To"] == '"Distribuidora del Sur S.A." <pagos@cliente.example>'
    assert (
        mail["Subject"]
        == row.subject
        == f"Recordatorio de pago Empresa {tenant.slug} (84 días de atraso, US$ 123.427,72)"
    )
    assert mail["Message-ID"] == row.provider_message_id == f"<{row.id}@cobranza.localhost>"
    assert mail["List-Unsubscribe"].strip().startswith("<http")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.get_content_type() == "multipart/mixed"
    parts = {part.get_content_type(): part for part in mail.walk()}
    assert "multipart/alternative" in parts
    assert "A-3212" in parts["text/plain"].get_payload(decode=True).decode()
    html_parts = [p for p in mail.walk() if p.get_content_type() == "text/html" and not p.get_filename()]
    assert "<table" in html_parts[0].get_payload(decode=True).decode()
    attachments = {p.get_filename(): p.get_payload(decode=True) for p in mail.walk() if p.get_filename()}
    statement = next(name for name in attachments if name.endswith(".pdf"))  # the default: pdf and csv
    assert statement.startswith("estado-de-cuenta-") and attachments[statement].startswith(b"%PDF-")
    assert b"A-3212" in attachments[statement.replace(".pdf", ".csv")]
    (attempt,) = await attempts(stack, row.id)
    assert attempt.outcome == "sent"


async def test_sms_reaches_the_provider_in_the_twilio_messages_api_shape(api, stack, provider):
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication("sms", "+54 9 11 5555-1234")])
    await deliver(stack, settings(provider_url=provider.url, public_base_url="https://api.cobranza.example"))

    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent", row.error
    (request,) = provider.requests("sms")
    worker = settings()
    assert request["path"] == f"/2010-04-01/Accounts/{worker.dev_twilio_account_sid}/Messages.json"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert request["authorization"].startswith("Basic ")
    body = request["body"]
    assert body["To"] == "+5491155551234"
    assert body["From"] == worker.dev_twilio_from
    assert body["Body"] == row.body_text
    assert "US$ 123.427,72" in body["Body"]
    assert body["StatusCallback"] == (
        f"https://api.cobranza.example/webhooks/messaging/twilio/{tenant.id}/status?message={row.id}"
    )
    assert row.provider_message_id == request["message_id"]
    assert row.provider_message_id.startswith("SM")


async def test_whatsapp_reaches_the_provider_as_a_cloud_api_template_message(api, stack, provider):
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication("whatsapp", "+5491155551234", tone=2)])
    await deliver(stack, settings(provider_url=provider.url))

    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent", row.error
    (request,) = provider.requests("whatsapp")
    worker = settings()
    assert request["path"] == f"/{worker.whatsapp_api_version}/{worker.dev_whatsapp_phone_number_id}/messages"
    assert request["authorization"] == f"Bearer {worker.dev_whatsapp_access_token}"
    body = request["body"]
    assert {k: body[k] for k in ("messaging_product", "recipient_type", "to", "type")} == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5491155551234",
        "type": "template",
    }
    assert body["template"]["name"] == "cobranza_overdue_2"
    assert body["template"]["language"] == {"code": "es"}
    (component,) = body["template"]["components"]
    texts = [p["text"] for p in component["parameters"]]
    assert component["type"] == "body"
    assert texts[1] == f"Empresa {tenant.slug}"
    assert texts[2] == "US$ 123.427,72"
    assert row.provider_message_id.startswith("wamid.")


async def test_5xx_and_timeouts_are_retried_then_the_message_goes(api, stack, provider):
    tenant = await messaging_tenant(api, stack)
    provider.stub.faults.extend([])
    async with httpx.AsyncClient(base_url=provider.url) as client:
        await client.post("/_stub/faults", json={"mode": "http_503", "channel": "sms", "times": 1})
        await client.post("/_stub/faults", json={"mode": "timeout", "channel": "sms", "times": 1, "delay_seconds": 3})
        await client.post("/_stub/faults", json={"mode": "http_500", "channel": "sms", "times": 1})
    worker = settings(provider_url=provider.url, provider_timeout_seconds=0.5, retry_max_attempts=5)
    await send(stack, tenant.id, [communication("sms", "+5491155551234")])
    await deliver(stack, worker)

    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent"
    assert row.attempts == 4
    log = await attempts(stack, row.id)
    assert [a.outcome for a in log] == ["transient_error", "transient_error", "transient_error", "sent"]
    assert [a.error_code for a in log[:3]] == ["http_503", "timeout", "http_500"]


async def test_after_the_last_attempt_the_message_is_dead_lettered(api, stack, provider):
    tenant = await messaging_tenant(api, stack)
    provider.stub.faults.clear()
    async with httpx.AsyncClient(base_url=provider.url) as client:
        await client.post("/_stub/faults", json={"mode": "http_503", "channel": "whatsapp"})
    await send(stack, tenant.id, [communication("whatsapp", "+5491155551234")])
    await deliver(stack, settings(provider_url=provider.url, retry_max_attempts=3))

    (row,) = await messages(stack, tenant.id)
    assert (row.state, row.dead_lettered, row.attempts) == ("failed", True, 3)
    assert row.error.startswith("dead-lettered after 3 attempts")
    assert len(provider.requests("whatsapp")) == 3
    (event,) = [e for e in await outbox(stack, "messaging.message_status_changed") if e.payload["state"] == "failed"]
    assert event.payload["attempts"] == 3


async def test_an_invalid_number_is_not_retried_and_invalidates_the_contact(api, stack, provider):
    tenant = await messaging_tenant(api, stack)
    customer = uuid.uuid4()
    async with httpx.AsyncClient(base_url=provider.url) as client:
        await client.post("/_stub/faults", json={"mode": "invalid_number", "to": "+5491155559999"})
    await send(stack, tenant.id, [communication("sms", "+5491155559999", customer_id=customer)])
    await deliver(stack, settings(provider_url=provider.url))

    (row,) = await messages(stack, tenant.id)
    assert (row.state, row.attempts, row.error_code) == ("failed", 1, "21211")
    assert len(provider.requests("sms")) == 1
    (invalidated,) = await outbox(stack, "messaging.contact_invalidated")
    assert invalidated.payload["customer_id"] == str(customer)
    assert invalidated.payload["address"] == "+5491155559999"
    assert invalidated.payload["channel"] == "sms"

    # The next message to that number fails at once, without calling the provider: dunning falls back.
    await send(stack, tenant.id, [communication("sms", "+5491155559999", customer_id=customer)])
    await deliver(stack, settings(provider_url=provider.url))
    latest = (await messages(stack, tenant.id))[-1]
    assert (latest.state, latest.error_code, latest.attempts) == ("failed", "invalid_contact", 0)
    assert len(provider.requests("sms")) == 1


async def test_a_hard_bounce_is_bounced_and_invalidates_the_address(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication(to="bounce@cliente.example"), communication(to="tempfail@x.example")])
    await deliver(stack, settings(smtp_port=mailbox.port, retry_max_attempts=2))

    rows = {r.to_address: r for r in await messages(stack, tenant.id)}
    bounced, deferred = rows["bounce@cliente.example"], rows["tempfail@x.example"]
    assert (bounced.state, bounced.attempts, bounced.error_code) == ("bounced", 1, "smtp_550")
    assert (deferred.state, deferred.attempts, deferred.dead_lettered) == ("failed", 2, True)
    (invalidated,) = await outbox(stack, "messaging.contact_invalidated")
    assert invalidated.payload["address"] == "bounce@cliente.example"
    assert mailbox.messages() == []


async def test_a_duplicate_command_sends_once(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    first = communication(key="dunning:run-7:customer-1:email")
    await send(stack, tenant.id, [first, first])
    await send(stack, tenant.id, [first.model_copy(update={"to": "otro@cliente.example"})])
    await deliver(stack, settings(smtp_port=mailbox.port))
    await send(stack, tenant.id, [first])
    await deliver(stack, settings(smtp_port=mailbox.port))

    assert [r.state for r in await messages(stack, tenant.id)] == ["sent"]
    assert len(mailbox.messages()) == 1
    accepted = [e for e in await outbox(stack, "messaging.message_status_changed") if e.payload["state"] == "queued"]
    assert len(accepted) == 1


def zone_at(now: datetime, hour: int) -> str:
    """A zone where it is now ``hour`` o'clock (whole-hour zones, so the minutes are the same as UTC's)."""
    offset = (hour - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "UTC"


async def test_seed_002_a_message_due_at_23h_local_under_8_to_20_is_deferred_to_8h_next_day(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    await set_channel(api, tenant, "email", quiet_hours={"start": "08:00", "end": "20:00"})
    now = datetime.now(UTC)
    # 23:xx local; in the last two minutes of the hour 22:xx, so the hour cannot turn while the test runs.
    zone = ZoneInfo(zone_at(now, 23 if now.minute < 58 else 22))
    await send(stack, tenant.id, [communication(timezone=str(zone))])
    await deliver(stack, settings(smtp_port=mailbox.port))

    (row,) = await messages(stack, tenant.id)
    accepted, due = row.created_at.astimezone(zone), row.scheduled_at.astimezone(zone)
    assert accepted.hour in (22, 23)
    assert (row.state, row.deferred_reason) == ("deferred", "quiet_hours")
    assert (due.hour, due.minute) == (8, 0)
    expected = accepted.date() + timedelta(days=1)  # the next day that is not a public holiday of the tenant's
    while BusinessCalendar("AR").is_holiday(expected):
        expected += timedelta(days=1)
    assert due.date() == expected
    assert mailbox.messages() == []  # not sent, and not dropped
    (event,) = await outbox(stack, "messaging.message_status_changed")
    assert event.payload["state"] == "deferred"
    assert event.payload["deferred_reason"] == "quiet_hours"


async def test_the_frequency_cap_holds_per_customer_and_channel(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    await set_channel(api, tenant, "email", frequency_cap={"max_messages": 2, "window_days": 7})
    customer, other = uuid.uuid4(), uuid.uuid4()
    batch = [communication(customer_id=customer) for _ in range(3)] + [communication(customer_id=other)]
    await send(stack, tenant.id, batch)
    await send(stack, tenant.id, [communication("sms", "+5491155551234", customer_id=customer)])
    await deliver(stack, settings(smtp_port=mailbox.port, provider_url="http://127.0.0.1:9"))

    rows = await messages(stack, tenant.id)
    emails = [r for r in rows if r.customer_id == customer and r.channel == "email"]
    assert sorted(r.state for r in emails) == ["deferred", "sent", "sent"]
    (late,) = [r for r in emails if r.state == "deferred"]
    assert late.deferred_reason == "frequency_cap"
    assert late.scheduled_at >= min(r.created_at for r in emails) + timedelta(days=7)
    assert [r.state for r in rows if r.customer_id == other] == ["sent"]
    assert len(mailbox.messages()) == 3


async def test_the_timeline_receives_every_message_and_its_delivery(api, stack, mailbox):
    """Seed 003: every automatic message is logged in the customer's bitácora; receivables and dunning get
    the acceptance and every delivery state change."""
    tenant = await messaging_tenant(api, stack)
    customer = uuid.uuid4()
    await send(stack, tenant.id, [communication(customer_id=customer)])
    await deliver(stack, settings(smtp_port=mailbox.port))
    await relay_messaging(stack)

    for service in ("receivables", "dunning"):
        received = [Envelope.model_validate(e) for e in await queued_envelopes(stack, service)]
        states = [e.payload["state"] for e in received if e.type == "messaging.message_status_changed"]
        assert states == ["queued", "sent"], service
        event = received[-1].open()
        assert event.customer_id == customer
        assert event.channel == "email"
        assert event.kind == "overdue"
        assert event.subject.startswith("Recordatorio de pago")
        assert event.invoice_ids
        accepted = next(e for e in received if e.type == "messaging.message_status_changed").open()
        assert "US$ 123.427,72" in accepted.preview  # the text's start goes with the acceptance
        assert received[-1].tenant_id == tenant.id


async def test_no_message_to_a_customer_of_another_tenant(api, stack, mailbox):
    first = await messaging_tenant(api, stack)
    second = await messaging_tenant(api, stack)
    customer = uuid.uuid4()
    await send(stack, first.id, [communication(customer_id=customer)])
    await deliver(stack, settings(smtp_port=mailbox.port))
    await send(stack, second.id, [communication(customer_id=customer)])
    await deliver(stack, settings(smtp_port=mailbox.port))

    (row,) = await messages(stack, second.id)
    assert (row.state, row.error_code) == ("failed", "customer_of_another_tenant")
    assert len(mailbox.messages()) == 1


async def test_a_command_before_the_tenant_is_known_waits_for_it(api, stack, mailbox):
    from tests.support import create_tenant

    tenant = await create_tenant(api)
    await send(stack, tenant.id, [communication()])
    from messaging_service.worker import build_worker_settings
    from tests.support import run_worker

    await run_worker(build_worker_settings(settings()), retry_jobs=False)
    assert await messages(stack, tenant.id) == []


async def leave_sending(stack, tenant_id, *, attempts_before: int, seconds_ago: int) -> None:
    """What a worker that died mid-send leaves behind: its messages claimed (``sending``), the hold not renewed."""
    async with stack.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE messaging.messages SET state = 'sending', attempts = :n, "
                "updated_at = now() - make_interval(secs => :ago) WHERE tenant_id = :t"
            ),
            {"t": tenant_id, "n": attempts_before + 1, "ago": seconds_ago},
        )


async def test_a_message_left_sending_by_a_dead_worker_is_sent_again_with_the_same_message_id(api, stack, mailbox):
    """At least once: the provider may or may not have it; after the lease it goes again, and the receiver can
    tell the repeat by its Message-ID (README: delivery guarantee)."""
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication()])
    await run_messaging(settings(delivery_parallelism=0))  # accepted, not sent
    await leave_sending(stack, tenant.id, attempts_before=0, seconds_ago=31)
    await stack.arq.enqueue_job("messaging.dispatch", _queue_name="arq:queue:messaging")
    await run_messaging(settings(smtp_port=mailbox.port))

    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent"
    assert [(a.number, a.outcome) for a in await attempts(stack, row.id)] == [(1, "interrupted"), (2, "sent")]
    (received,) = mailbox.messages()
    assert received["Message-ID"] == message_id_header(row.id, "cobranzas@cobranza.localhost")


async def test_a_message_held_by_a_live_sender_is_not_taken(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication()])
    await run_messaging(settings(delivery_parallelism=0))
    await leave_sending(stack, tenant.id, attempts_before=0, seconds_ago=5)  # renewed 5 s ago: its sender lives
    await stack.arq.enqueue_job("messaging.dispatch", _queue_name="arq:queue:messaging")
    await run_messaging(settings(smtp_port=mailbox.port))

    (row,) = await messages(stack, tenant.id)
    assert row.state == "sending"
    assert mailbox.messages() == []


async def test_a_message_interrupted_on_its_last_attempt_is_dead_lettered_and_announced(api, stack, mailbox):
    tenant = await messaging_tenant(api, stack)
    await send(stack, tenant.id, [communication()])
    await run_messaging(settings(delivery_parallelism=0))
    await leave_sending(stack, tenant.id, attempts_before=4, seconds_ago=60)  # the 5th of 5 attempts
    await stack.arq.enqueue_job("messaging.dispatch", _queue_name="arq:queue:messaging")
    await run_messaging(settings(smtp_port=mailbox.port))

    (row,) = await messages(stack, tenant.id)
    assert (row.state, row.error_code, row.dead_lettered) == ("failed", "interrupted", True)
    assert mailbox.messages() == []
    failed = [e for e in await outbox(stack, "messaging.message_status_changed") if e.payload["state"] == "failed"]
    assert failed[0].payload["error_code"] == "interrupted"


async def test_a_message_made_due_again_after_the_window_closed_waits_for_its_opening(api, stack, mailbox):
    """Seed 002 (never outside the allowed hours): a send cut off just before 20:00 is not retried at 20:00:30."""
    tenant = await messaging_tenant(api, stack)
    now = datetime.now(UTC)
    zone = ZoneInfo(zone_at(now, 12 if now.minute < 58 else 11))  # noon there: accepted inside 08:00-20:00
    await send(stack, tenant.id, [communication(timezone=str(zone))])
    await run_messaging(settings(delivery_parallelism=0))
    await set_channel(api, tenant, "email", quiet_hours={"start": "02:00", "end": "03:00"})  # now closed there
    await leave_sending(stack, tenant.id, attempts_before=0, seconds_ago=31)
    await stack.arq.enqueue_job("messaging.dispatch", _queue_name="arq:queue:messaging")
    await run_messaging(settings(smtp_port=mailbox.port))

    (row,) = await messages(stack, tenant.id)
    due = row.scheduled_at.astimezone(zone)
    assert (row.state, due.hour, due.minute) == ("queued", 2, 0)
    assert mailbox.messages() == []


async def test_a_deliver_job_that_died_never_blocks_the_next_ones(api, stack, mailbox):
    """Measured before: the fixed job ids ``messaging:deliver:0..3`` kept a dead job's failed result for an hour
    and every later kick was a no-op. Ids now change every period."""
    tenant = await messaging_tenant(api, stack)
    for slot in range(4):  # what arq leaves after a job that died: a failed result under the old fixed id
        await stack.redis.set(f"arq:result:messaging:deliver:{slot}", b"x", ex=3600)
        await stack.redis.set(f"arq:in-progress:messaging:deliver:{slot}", b"1", ex=300)
    now = time.time()
    for slot in range(4):  # and the same for this very period's ids
        job_id = deliver_job_id(slot, now - SLOT_PERIOD_SECONDS)
        await stack.redis.set(f"arq:in-progress:{job_id}", b"1", ex=300)
    await send(stack, tenant.id, [communication()])
    await run_messaging(settings(smtp_port=mailbox.port))

    (row,) = await messages(stack, tenant.id)
    assert row.state == "sent"
    assert len(mailbox.messages()) == 1


async def test_the_customers_timeline_in_receivables_shows_the_message_and_its_delivery(api, stack, mailbox):
    """End to end with the real receivables service: the bitácora (seed 003) gets the message and its state; a
    bounce marks the customer's address invalid there."""
    from services.receivables.worker import WorkerSettings as ReceivablesWorker
    from tests.support import run_worker

    tenant = await messaging_tenant(api, stack)
    customer = await customer_with_email(api, tenant, "bounce@x.example")
    await send(
        stack,
        tenant.id,
        [communication(customer_id=customer), communication(to="bounce@x.example", customer_id=customer)],
    )
    await deliver(stack, settings(smtp_port=mailbox.port))
    await relay_messaging(stack)
    await run_worker(ReceivablesWorker)

    timeline = await api.get(f"/v1/customers/{customer}/timeline", headers=tenant.admin)
    assert timeline.status_code == 200, timeline.text
    entries = [e for e in timeline.json()["items"] if e["kind"] == "message"]
    assert sorted(e["data"]["state"] for e in entries) == ["bounced", "sent"]
    sent = next(e for e in entries if e["data"]["state"] == "sent")
    assert [s["state"] for s in sent["data"]["states"]] == ["queued", "sent"]
    assert sent["data"]["subject"].startswith("Recordatorio de pago")
    contacts = (await api.get(f"/v1/customers/{customer}", headers=tenant.admin)).json()["contacts"]
    assert contacts == [{"channel": "email", "address": "bounce@x.example", "invalid": True}]
