"""Receivables follows the tenant's clock (issue 15): a sandbox tenant whose test clock is months away from today
gets the answers of that date, never the wall clock's: its today, days overdue, the promise's horizon and its
breaking (by the hourly job for every tenant too), tasks due, the KPIs' and statement's default dates, the ERP's
load and the timeline."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from services.receivables.promises.repository import detect_broken
from services.receivables.tasks.service import insert_service_tasks
from services.receivables.tenant_settings.calendar import follow_up_date
from shared.db import create_sessionmaker, unit_of_work
from tests.receivables.helpers import Ctx, customer, invoice, post, setup_tenant, sync

# Noon in Buenos Aires, four months after the wall clock's "today" of these tests (December 2026).
START = datetime(2027, 4, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
async def rc(api, stack) -> Ctx:
    """A sandbox tenant (Argentina) whose test clock starts at ``START``, set through the public API and synced."""
    ctx = await setup_tenant(api, stack, sandbox=True)
    await post(api, "/v1/test-clock", ctx.admin, {"frozen_time": START.isoformat()}, expect=200)
    await sync(stack)
    return ctx


async def set_clock(rc, instant: datetime) -> None:
    """Move the clock as ``gateway.tenant_changed`` will after an advance (the advance itself is another part's):
    the tenant's receivables projection."""
    async with rc.stack.engine.begin() as conn:
        await conn.execute(
            text("UPDATE receivables.tenants SET sandbox = true, test_clock = :at WHERE tenant_id = :tenant_id"),
            {"at": instant, "tenant_id": rc.tenant_id},
        )


async def get(rc, path: str, **params) -> dict:
    response = await rc.api.get(path, params=params, headers=rc.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_sandbox_tenant_months_away_gets_the_answers_of_its_date(rc):
    assert (await get(rc, "/v1/receivables-settings"))["today"] == "2027-04-10"
    c = await customer(rc, collector_id=str(rc.collector_id))
    # due on 1 March 2027: months ahead of the wall clock, 40 days overdue on the tenant's
    inv = await invoice(rc, c["id"], issue_date="2027-02-01", due_date="2027-03-01")
    assert (await get(rc, f"/v1/invoices/{inv['id']}"))["days_overdue"] == 40

    # a promise for January 2027 is in the future of the wall clock but in the past of the tenant's
    past = {"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": "2027-01-15"}
    refused = await rc.api.post("/v1/outcomes", json=past, headers=rc.collector)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "promised_date"
    assert "2027-04-10" in refused.json()["errors"][0]["message"]
    made = await post(rc.api, "/v1/outcomes", rc.collector, {**past, "promised_date": "2027-04-12"})
    assert datetime.fromisoformat(made["occurred_at"]) == START  # "now" is the tenant's clock
    assert datetime.fromisoformat(made["recorded_at"]) < START  # written now, on the system's clock
    back_dated = await rc.api.post(
        "/v1/notes",
        json={"customer_id": c["id"], "body": "Ayer", "occurred_at": (START + timedelta(hours=1)).isoformat()},
        headers=rc.collector,
    )
    assert back_dated.status_code == 422 and back_dated.json()["errors"][0]["field"] == "occurred_at"

    # the hourly job for every tenant breaks it on the tenant's day after the promised one, not the wall's
    async with unit_of_work(create_sessionmaker(rc.stack.engine)) as session:
        assert await detect_broken(session) == (0, [])
    broken_at = datetime(2027, 4, 13, 15, 0, tzinfo=UTC)
    await set_clock(rc, broken_at)
    async with unit_of_work(create_sessionmaker(rc.stack.engine)) as session:
        count, _ = await detect_broken(session)
    assert count == 1
    (promise,) = (await get(rc, "/v1/promises"))["items"]
    assert (promise["status"], promise["resolved_on"]) == ("broken", "2027-04-13")
    kpis = await get(rc, "/v1/kpis/promises")  # the period defaults to the month of the tenant's today
    assert (kpis["date_from"], kpis["date_to"], kpis["made"], kpis["broken"]) == ("2027-04-01", "2027-04-13", 1, 1)
    history = (await get(rc, f"/v1/invoices/{inv['id']}/history"))["items"]
    assert datetime.fromisoformat(history[-1]["occurred_at"]) == broken_at
    assert history[-1]["data"]["reason"] == "promise broken"

    # a follow-up is due from the tenant's day, and late by the tenant's day
    outcome = {"customer_id": c["id"], "kind": "no_commitment", "note": "Llamar la semana próxima"}
    task = (await post(rc.api, "/v1/outcomes", rc.collector, outcome))["task"]
    assert task["due_date"] == follow_up_date(date(2027, 4, 13), 3, "AR").isoformat()
    assert task["overdue"] is False
    await set_clock(rc, datetime(2027, 4, 30, 15, 0, tzinfo=UTC))
    assert (await get(rc, f"/v1/tasks/{task['id']}"))["overdue"] is True
    assert [t["id"] for t in (await get(rc, "/v1/tasks", overdue="true"))["items"]] == [task["id"]]
    statement = await get(rc, f"/v1/customers/{c['id']}/statement")
    assert statement["as_of"] == "2027-04-30"
    assert [line["days_overdue"] for line in statement["invoices"]] == [60]
    # a task another service asks for without a date is due on the tenant's today
    async with unit_of_work(create_sessionmaker(rc.stack.engine)) as session:
        await insert_service_tasks(
            session,
            rc.tenant_id,
            [
                {
                    "key": "dunning:no-channel",
                    "customer_id": c["id"],
                    "title": "Sin canal",
                    "description": None,
                    "assignee_id": None,
                    "due_date": None,
                    "source": "dunning",
                }
            ],
        )
    (asked,) = [t for t in (await get(rc, "/v1/tasks", customer_id=c["id"]))["items"] if t["source"] == "dunning"]
    assert asked["due_date"] == "2027-04-30" and datetime.fromisoformat(asked["occurred_at"]).year == 2027


async def test_the_timeline_of_a_replayed_calendar_keeps_the_order_of_its_days(rc):
    """A customer imported on day 40 of a replayed calendar sits on day 40, after what happened on day 5."""
    early = await customer(rc)
    await invoice(rc, early["id"], issue_date="2027-03-01", due_date="2027-03-31")
    await post(rc.api, "/v1/notes", rc.collector, {"customer_id": early["id"], "body": "Día 1"})
    day_40 = START + timedelta(days=40)
    await set_clock(rc, day_40)
    customers = [{"external_id": "C-040", "name": "Importado el día 40", "country": "AR"}]
    await post(rc.api, "/v1/ingest/customers", rc.erp, {"items": customers}, expect=200)
    invoices = [
        {
            "external_id": "F-040",
            "customer_external_id": "C-040",
            "number": "A-0040",
            "currency": "ARS",
            "amount": "500.00",
            "issue_date": "2027-03-01",
            "due_date": "2027-04-10",
        }
    ]
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": invoices}, expect=200)
    (late,) = [c for c in (await get(rc, "/v1/customers"))["items"] if c["external_id"] == "C-040"]
    (loaded,) = (await get(rc, f"/v1/customers/{late['id']}/timeline"))["items"]
    assert (loaded["kind"], datetime.fromisoformat(loaded["occurred_at"])) == ("invoice", day_40)
    (day_40_invoice,) = (await get(rc, "/v1/invoices", customer_id=late["id"]))["items"]
    assert day_40_invoice["days_overdue"] == 40  # imported already 40 days overdue
    await post(rc.api, "/v1/notes", rc.collector, {"customer_id": early["id"], "body": "Día 40"})
    timeline = (await get(rc, f"/v1/customers/{early['id']}/timeline", order="oldest"))["items"]
    assert [(e["kind"], e["occurred_at"][:10]) for e in timeline] == [
        ("invoice", "2027-04-10"),
        ("note", "2027-04-10"),
        ("note", "2027-05-20"),
    ]


async def test_a_days_play_may_name_its_instant_before_the_projection_has_it(rc):
    """The test clock's advance plays each day at its instant (``at``), whatever the projection says yet."""
    c = await customer(rc)
    await invoice(rc, c["id"], issue_date="2027-02-01", due_date="2027-03-01")
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": "2027-04-11"},
    )
    day_3 = START + timedelta(days=2)
    async with unit_of_work(create_sessionmaker(rc.stack.engine)) as session:
        assert await detect_broken(session, rc.tenant_id, at=START + timedelta(days=1)) == (0, [])
        count, _ = await detect_broken(session, rc.tenant_id, at=day_3)
    assert count == 1
    (promise,) = (await get(rc, "/v1/promises"))["items"]
    assert promise["resolved_on"] == "2027-04-12"
