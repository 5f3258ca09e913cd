"""Dunning follows the tenant's clock (issue 15): a sandbox tenant whose test clock stands months away from today
gets the answers of that date (its today, its runs' as-of and what they send, explain and forecast, reply pauses,
action items), and the cron schedules its run by its clock, or at an instant a test clock's advance plays."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from dunning_service.runs.jobs import schedule_runs
from dunning_service.worker import WorkerSettings
from shared.contracts.messaging import ReplyReceived
from shared.outbox import relay_once
from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, feed, real_run
from tests.support import run_worker
from tests.tenant_clock_support import start_test_clock

CLOCK_DAY = date(2027, 4, 14)  # a Wednesday, months after the wall clock's today, a business day in Argentina
CLOCK = datetime(2027, 4, 14, 15, 0, tzinfo=UTC)  # 12:00 in Buenos Aires (UTC-3)


async def sandbox(api, stack, instant: datetime = CLOCK):
    """A sandbox tenant known to dunning whose test clock stands at ``instant``."""
    tenant = await dunning_tenant(api, stack, sandbox=True)
    await start_test_clock(api, tenant, instant)
    while await relay_once(stack.engine, stack.arq, "gateway"):
        pass
    await run_worker(WorkerSettings)
    return tenant


async def test_a_sandbox_tenants_today_and_runs_are_its_clocks(api, stack):
    tenant = await sandbox(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com")
    # due 13 days before the clock's today: long overdue there, not even due on the wall clock
    await portfolio.invoice(ana, "F-1", due=CLOCK_DAY - timedelta(days=13), issue=CLOCK_DAY - timedelta(days=43))

    settings = (await api.get("/v1/dunning-settings", headers=tenant.admin)).json()
    assert settings["today"] == CLOCK_DAY.isoformat()

    later = await api.post(
        "/v1/dunning-runs", json={"as_of": (CLOCK_DAY + timedelta(days=1)).isoformat()}, headers=tenant.admin
    )
    assert later.status_code == 422, later.text  # after the clock's today, though the wall clock is far behind
    assert later.headers["content-type"].startswith("application/problem+json")
    (error,) = later.json()["errors"]
    assert error["field"] == "as_of"
    assert CLOCK_DAY.isoformat() in error["message"]

    queued = await api.post("/v1/dunning-runs", json={}, headers=tenant.admin)  # no as-of: the clock's today
    assert queued.status_code == 202, queued.text
    assert queued.json()["as_of"] == CLOCK_DAY.isoformat()
    await run_worker(WorkerSettings)
    run = (await api.get(f"/v1/dunning-runs/{queued.json()['id']}", headers=tenant.admin)).json()
    assert run["status"] == "completed", run
    (sent,) = await messaging.take_and_accept()
    assert [(i.number, i.days_overdue, i.triggered) for i in sent.invoices] == [("F-1", 13, True)]

    explained = (await api.get(f"/v1/dunning-explain/{ana}", headers=tenant.admin)).json()
    assert explained["as_of"] == CLOCK_DAY.isoformat()
    forecast = (await api.get("/v1/dunning-forecast", params={"days": 3}, headers=tenant.admin)).json()
    assert forecast["from"] == CLOCK_DAY.isoformat()
    assert [d["date"] for d in forecast["days"]][:1] == [CLOCK_DAY.isoformat()]


async def test_a_day_between_the_wall_clock_and_the_test_clock_may_be_run(api, stack):
    """A real run's as-of may be after the wall clock's today when the tenant's clock has reached it."""
    tenant = await sandbox(api, stack)
    run = await real_run(api, tenant.admin, CLOCK_DAY - timedelta(days=7))
    assert (run["as_of"], run["status"]) == ((CLOCK_DAY - timedelta(days=7)).isoformat(), "completed")


async def _scheduled(stack) -> list[tuple]:
    async with stack.engine.connect() as conn:
        query = "SELECT tenant_id, as_of FROM dunning.runs WHERE trigger = 'schedule' ORDER BY as_of, tenant_id"
        return [tuple(r) for r in (await conn.execute(text(query))).all()]


async def test_the_schedule_reads_each_tenants_clock(api, stack):
    live = await dunning_tenant(api, stack)  # Buenos Aires, run hour 8
    clocked = await sandbox(api, stack, datetime(2027, 4, 14, 11, 30, tzinfo=UTC))  # 08:30 on its clock
    ctx = {"engine": stack.engine, "redis": stack.arq}

    wall = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 06:00 in Buenos Aires: not the live tenant's hour yet
    assert await schedule_runs(ctx, now=wall) == 1
    assert await _scheduled(stack) == [(clocked.id, CLOCK_DAY)]
    assert await schedule_runs(ctx, now=wall + timedelta(minutes=15)) == 0  # its clock stands still: once a day
    assert await schedule_runs(ctx, now=wall + timedelta(hours=2)) == 1  # 08:00 on the wall: the live tenant's
    assert (live.id, date(2026, 12, 7)) in await _scheduled(stack)

    # a test clock's advance plays the tenant's next days, one instant at a time, and no other tenant's
    next_day = datetime(2027, 4, 15, 10, 0, tzinfo=UTC)  # 07:00 there: before its run hour
    assert await schedule_runs(ctx, tenant_id=clocked.id, at=next_day) == 0
    assert await schedule_runs(ctx, tenant_id=clocked.id, at=next_day + timedelta(hours=1)) == 1
    assert await schedule_runs(ctx, tenant_id=clocked.id, at=next_day + timedelta(hours=5)) == 0
    assert await _scheduled(stack) == [
        (live.id, date(2026, 12, 7)),
        (clocked.id, CLOCK_DAY),
        (clocked.id, date(2027, 4, 15)),
    ]
    with pytest.raises(ValueError, match="tenant_id"):
        await schedule_runs(ctx, at=next_day)
    await run_worker(WorkerSettings)
    listed = (await api.get("/v1/dunning-runs", params={"trigger": "schedule"}, headers=clocked.admin)).json()
    assert [(r["as_of"], r["status"]) for r in listed["items"]] == [
        ("2027-04-15", "completed"),
        ("2027-04-14", "completed"),
    ]


async def test_a_reply_pauses_reminders_from_the_clocks_day(api, stack):
    tenant = await sandbox(api, stack)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com")
    bob = await portfolio.customer("Bob", email="bob@example.com")
    for customer, number in ((ana, "F-1"), (bob, "F-2")):
        await portfolio.invoice(customer, number, due=CLOCK_DAY - timedelta(days=2), issue=CLOCK_DAY - timedelta(30))
    reply = ReplyReceived(
        reply_id=uuid.uuid4(),
        customer_id=ana,
        channel="email",
        from_address="ana@example.com",
        body="Ya pagué",
        received_at=datetime.now(UTC),  # the mail arrives in real time; the calendar is the clock's
    )
    await feed(stack, tenant.id, [reply])
    explained = (await api.get(f"/v1/dunning-explain/{ana}", headers=tenant.admin)).json()
    assert explained["paused"], explained
    run = await real_run(api, tenant.admin, CLOCK_DAY)
    assert run["status"] == "completed"
    sent = await messaging.take_and_accept()
    assert [c.to for c in sent] == ["bob@example.com"]  # Ana's reminders wait for the pause (3 days)
    async with stack.engine.connect() as conn:
        replied_on = await conn.scalar(text("SELECT replied_on FROM dunning.customers WHERE id = :c"), {"c": ana})
    assert replied_on == CLOCK_DAY


async def test_action_items_are_dated_by_the_clock(api, stack):
    tenant = await sandbox(api, stack)
    portfolio = Portfolio(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com")
    f1 = await portfolio.invoice(ana, "F-1", due=CLOCK_DAY - timedelta(days=20))
    created = await api.post(
        "/v1/action-items",
        json={"customer_id": str(ana), "invoice_ids": [str(f1)], "action": "call"},
        headers=tenant.admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["created_on"] == CLOCK_DAY.isoformat()
    resolved = await api.post(
        f"/v1/action-items/{created.json()['id']}/resolve", json={"resolution": "done"}, headers=tenant.admin
    )
    assert resolved.status_code == 200, resolved.text
    assert datetime.fromisoformat(resolved.json()["resolved_at"]) == CLOCK
