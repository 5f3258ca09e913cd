"""Alarms follow the tenant's clock (issue 15): a sandbox tenant whose test clock stands months away from today
gets the alarms of that date: its today and next digests, its runs' default as-of (and the limit of a real one),
the digests' contents, and the cron's schedule, by its clock or at an instant a test clock's advance plays."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from alarms_service.digests.jobs import schedule_runs
from alarms_service.settings import AlarmsSettings
from tests.alarms.support import (
    Portfolio,
    alarms_tenant,
    collector,
    deliver_gateway,
    lines_to,
    run,
    sent_communications,
)
from tests.tenant_clock_support import start_test_clock

MONDAY = date(2027, 3, 1)  # months after the wall clock's today; a business day in Argentina
CLOCK = datetime(2027, 3, 1, 11, 30, tzinfo=UTC)  # 08:30 in Buenos Aires (UTC-3)
PTP = "promise_to_pay"


async def sandbox(api, stack, instant: datetime = CLOCK):
    tenant = await alarms_tenant(api, stack, sandbox=True)
    await start_test_clock(api, tenant, instant)
    await deliver_gateway(stack)
    return tenant


async def test_a_sandbox_tenants_alarms_are_those_of_its_clocks_day(api, stack):
    tenant = await sandbox(api, stack)
    carla, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    await p.customer("Ferretería Norte", carla["id"])
    await p.invoice(
        "Ferretería Norte", "A-1", "1500.00", due=date(2027, 2, 1), status=PTP, promised_date=date(2027, 2, 24)
    )
    await p.break_promise("A-1", date(2027, 2, 24), date(2027, 2, 26), collector_id=carla["id"])

    settings = (await api.get("/v1/alarm-settings", headers=tenant.admin)).json()
    assert settings["today"] == MONDAY.isoformat()
    next_at = datetime.fromisoformat(settings["broken_promises"]["next_at"])
    assert MONDAY <= next_at.date() <= MONDAY + timedelta(days=1)  # due on its clock's day (or the next)

    ahead = await api.post("/v1/alarms/runs", json={"as_of": "2027-03-02"}, headers=tenant.admin)
    assert ahead.status_code == 422, ahead.text  # after the clock's today
    assert ahead.headers["content-type"].startswith("application/problem+json")
    (error,) = ahead.json()["errors"]
    assert error["field"] == "as_of" and MONDAY.isoformat() in error["message"]

    digest = await run(api, tenant.admin, alarms=["broken_promises"])  # no as-of: the clock's today
    assert digest["as_of"] == MONDAY.isoformat()
    assert digest["counts"] == {"digests": 1, "rows": 1, "already_sent": 0}
    (sent,) = await sent_communications(stack)
    assert sent.to == carla["email"]
    assert lines_to([sent], carla["email"]) == [
        "Ferretería Norte: 1 promesa incumplida (A-1 prometida para el 24 feb 2027), saldo $ 1.500,00"
    ]
    # a day between the wall clock's today and the clock's may be run: it has begun on the tenant's clock
    earlier = await run(api, tenant.admin, as_of="2027-02-26", alarms=["broken_promises"])
    assert earlier["counts"]["digests"] == 1


async def _scheduled(stack) -> list[tuple]:
    async with stack.engine.connect() as conn:
        query = "SELECT tenant_id, as_of, alarms FROM alarms.runs WHERE trigger = 'schedule' ORDER BY as_of, tenant_id"
        return [tuple(r) for r in (await conn.execute(text(query))).all()]


async def test_the_alarms_schedule_reads_each_tenants_clock(api, stack):
    live = await alarms_tenant(api, stack)  # daily alarms at 8 Monday to Friday, weekly ones Monday at 8
    clocked = await sandbox(api, stack)
    ctx = {"engine": stack.engine, "redis": stack.arq, "settings": AlarmsSettings()}

    wall = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)  # a Wednesday, 06:00 in Buenos Aires: not the live tenant's hour
    assert await schedule_runs(ctx, now=wall) == 1
    everything = ["actions", "broken_promises", "payments_reported", "disputes", "plans_broken"]
    assert await _scheduled(stack) == [(clocked.id, MONDAY, everything)]  # Monday on its clock: all four
    assert await schedule_runs(ctx, now=wall + timedelta(minutes=15)) == 0  # its clock stands still: once

    # a test clock's advance plays the tenant's next day at an instant, and no other tenant's
    tuesday = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)  # 07:00 there: before the alarms' hour
    assert await schedule_runs(ctx, tenant_id=clocked.id, at=tuesday) == 0
    assert await schedule_runs(ctx, tenant_id=clocked.id, at=tuesday + timedelta(hours=1)) == 1
    assert await schedule_runs(ctx, tenant_id=clocked.id, at=tuesday + timedelta(hours=3)) == 0
    assert await _scheduled(stack) == [
        (clocked.id, MONDAY, everything),
        (clocked.id, date(2027, 3, 2), ["actions", "broken_promises", "plans_broken"]),  # the daily ones
    ]
    with pytest.raises(ValueError, match="tenant_id"):
        await schedule_runs(ctx, at=tuesday)
    assert await schedule_runs(ctx, now=wall + timedelta(hours=2)) == 1  # 08:00 on the wall: the live tenant's
    # its weekly ones too: its week's first business day (Monday 7 December 2026 is a holiday in Argentina)
    assert (live.id, date(2026, 12, 9), everything) in await _scheduled(stack)
