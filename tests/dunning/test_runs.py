"""Runs through the API against the real PostgreSQL and Redis: dry runs, real runs, acceptance, reruns."""

from datetime import date, timedelta

from sqlalchemy import text

from shared.contracts.receivables import InvoiceChanged
from tests.dunning.support import Messaging, Portfolio, create_strategy, dry_run, dunning_tenant, feed, real_run

MONDAY = date(2025, 6, 2)


async def test_tenant_reaches_dunning_through_the_gateway_event(api, stack):
    tenant = await dunning_tenant(api, stack)
    response = await api.get("/v1/dunning-settings", headers=tenant.admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["country"] == "AR"
    assert body["timezone"] == "America/Argentina/Buenos_Aires"
    assert body["run_hour"] == 8


async def test_dry_run_plans_without_sending_then_real_run_sends_once(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com", sms="+5491155551111")
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(days=31))
    await portfolio.invoice(ana, "F-2", due=MONDAY - timedelta(days=15), issue=MONDAY - timedelta(days=45))
    await portfolio.invoice(ana, "F-3", due=MONDAY + timedelta(days=20), issue=MONDAY - timedelta(days=10))

    plan = await dry_run(api, tenant.admin, MONDAY)
    assert plan["status"] == "completed"
    assert plan["counts"]["communications"] == 1
    assert plan["counts"]["invoices"] == 3
    (planned,) = plan["plan"]
    assert planned["channel"] == "email"
    assert planned["tone"] == 2
    # F-3 was issued before dunning knew it: its new-invoice notice catches up, in the same email
    assert sorted(i["step_key"] for i in planned["invoices"]) == ["new", "od-1", "od-15"]
    assert await messaging.take() == []  # a dry run sends nothing

    run = await real_run(api, tenant.admin, MONDAY)
    assert run["status"] == "completed"
    assert run["counts"]["by_channel"] == {"email": 1}
    assert run["delivery"] == {"pending": 1}
    (sent,) = await messaging.take_and_accept()
    assert sent.kind == "overdue"
    assert sent.tone == 2
    assert sent.to == "ana@example.com"
    assert {i.number: i.days_overdue for i in sent.invoices} == {"F-2": 15, "F-1": 1, "F-3": -20}
    assert [i.number for i in sent.invoices] == ["F-2", "F-1", "F-3"]
    assert [(t.currency, t.amount) for t in sent.totals] == [("ARS", 2000)]  # overdue (issue 12)
    assert [(t.currency, t.amount) for t in sent.open_totals] == [("ARS", 3000)]
    assert sent.overdue_count == 2
    assert sent.oldest_days_overdue == 15
    assert sent.advisor.whatsapp == "+5491155550001"
    assert sent.supervisor.name == "Susana Supervisora"
    assert sent.customer.name == "Ana SRL"
    assert sent.source == "dunning"

    again = await real_run(api, tenant.admin, MONDAY)
    assert again["counts"]["communications"] == 0
    assert await messaging.take() == []
    first = await api.get(f"/v1/dunning-runs/{run['id']}", headers=tenant.admin)
    assert first.json()["delivery"] == {"sent": 1}


async def test_a_rerun_before_acceptance_sends_nothing_new(api, stack):
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(days=31))
    await real_run(api, tenant.admin, MONDAY)
    pending = await messaging.take()
    assert len(pending) == 1
    await real_run(api, tenant.admin, MONDAY)
    assert await messaging.take() == []
    explained = (
        await api.get(f"/v1/dunning-explain/{ana}", params={"as_of": MONDAY.isoformat()}, headers=tenant.admin)
    ).json()
    assert explained["invoices"][0]["reason"] == "awaiting_acceptance"


async def test_a_failed_communication_with_no_other_channel_becomes_a_task_at_once(api, stack):
    """Issue 10: a failure falls back in the same handler; Ana has no other contact, so the collector gets a task
    and the step is handed over (the next day's run does not fail again)."""
    tenant = await dunning_tenant(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(days=31))
    await real_run(api, tenant.admin, MONDAY)
    (failed,) = await messaging.take()
    await messaging.answer([failed], state="failed", error="template missing")
    assert await messaging.take() == []
    (task,) = messaging.tasks
    assert task.title == "No se pudo contactar a Ana SRL por email"
    assert "email ana@example.com: failed (template missing)" in task.description
    explained = (
        await api.get(f"/v1/dunning-explain/{ana}", params={"as_of": MONDAY.isoformat()}, headers=tenant.admin)
    ).json()
    assert explained["invoices"][0]["reason"] == "step_already_sent"
    (first,) = [h for h in explained["history"] if h["channel"] == "email"]
    assert first["state"] == "failed"
    assert first["error"] == "template missing"
    assert [f["state"] for f in first["fallbacks"]] == ["task"]
    await real_run(api, tenant.admin, MONDAY + timedelta(days=1))
    assert await messaging.take() == []
    assert len(messaging.tasks) == 1


async def test_older_events_never_overwrite_newer_state(api, stack):
    tenant = await dunning_tenant(api, stack)
    portfolio = Portfolio(stack, tenant.id)
    ana = await portfolio.customer("Ana SRL", email="ana@example.com")
    await portfolio.invoice(ana, "F-1", due=MONDAY)
    await portfolio.change_invoice("F-1", status="dispute")
    current = portfolio.invoices[portfolio.by_number["F-1"]]
    stale = InvoiceChanged.model_validate({**current.model_dump(), "revision": 1, "status": "normal"})
    await feed(stack, tenant.id, [stale])
    async with stack.engine.connect() as conn:
        status = await conn.scalar(text("SELECT status FROM dunning.invoices WHERE number = 'F-1'"))
    assert status == "dispute"
