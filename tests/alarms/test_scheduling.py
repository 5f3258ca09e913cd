"""The quarter-hourly cron queues each tenant's due alarms at its local hour (daily) or weekday and hour (weekly),
once per period; the worker executes the runs; a lost run is queued again; a run waits while receivables cannot
say who the recipients are, and is recorded as failed when it never can."""

import uuid
from datetime import UTC, date, datetime

import httpx
import pytest
from arq import Retry
from sqlalchemy import text

from alarms_service.digests.jobs import RUN_JOB, run_alarms, schedule_runs, sweep_runs
from alarms_service.settings import AlarmsSettings
from shared.internal import InternalClient
from tests.alarms.support import Portfolio, alarms_tenant, alarms_worker, collector, sent_communications


def ctx(stack) -> dict:
    return {"engine": stack.engine, "redis": stack.arq, "settings": AlarmsSettings()}


async def scheduled(stack) -> list[tuple]:
    async with stack.engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT r.tenant_id, r.as_of, r.alarms, r.status FROM alarms.runs r "
                "WHERE r.trigger = 'schedule' ORDER BY r.created_at, r.tenant_id"
            )
        )
        return [tuple(row) for row in result]


async def test_alarms_go_out_at_each_tenants_local_time_once_per_period(api, stack):
    buenos_aires = await alarms_tenant(api, stack)  # UTC-3; defaults: daily at 8 Monday to Friday, weekly Monday 8
    mexico = await alarms_tenant(api, stack, country="MX", timezone="America/Mexico_City", default_currency="MXN")
    body = {
        "broken_promises": {"hour": 9},
        "payments_reported": {"weekday": "friday", "hour": 9},
        "disputes": {"enabled": False},
    }
    assert (await api.patch("/v1/alarm-settings", json=body, headers=mexico.admin)).status_code == 200
    c = ctx(stack)
    monday = date(2026, 11, 23)

    # Monday 23 November 2026 is a public holiday in Argentina (Día de la Soberanía Nacional), not in Mexico:
    # Buenos Aires' daily alarms skip it and its weekly ones go out on Tuesday, the week's first business day.
    assert await schedule_runs(c, now=datetime(2026, 11, 23, 10, 45, tzinfo=UTC)) == 0  # 07:45 in Buenos Aires
    assert await schedule_runs(c, now=datetime(2026, 11, 23, 11, 0, tzinfo=UTC)) == 0  # 08:00, a holiday there
    assert await schedule_runs(c, now=datetime(2026, 11, 23, 14, 0, tzinfo=UTC)) == 1  # 08:00 in Mexico City
    assert await schedule_runs(c, now=datetime(2026, 11, 23, 14, 15, tzinfo=UTC)) == 0  # once per period
    assert await schedule_runs(c, now=datetime(2026, 11, 23, 15, 0, tzinfo=UTC)) == 1  # 09:00 there
    assert await schedule_runs(c, now=datetime(2026, 11, 24, 2, 30, tzinfo=UTC)) == 0  # still Monday in both
    assert await schedule_runs(c, now=datetime(2026, 11, 24, 11, 0, tzinfo=UTC)) == 1  # Tuesday 08:00 BA: all four
    assert await schedule_runs(c, now=datetime(2026, 11, 27, 15, 0, tzinfo=UTC)) == 2  # Friday: both, MX weekly
    assert await schedule_runs(c, now=datetime(2026, 11, 28, 15, 0, tzinfo=UTC)) == 0  # Saturday: none
    runs = await scheduled(stack)
    assert runs == [
        (mexico.id, monday, ["actions", "plans_broken"], "queued"),
        (mexico.id, monday, ["broken_promises"], "queued"),
        (
            buenos_aires.id,
            date(2026, 11, 24),
            ["actions", "broken_promises", "payments_reported", "disputes", "plans_broken"],
            "queued",
        ),
        *sorted(
            [
                (buenos_aires.id, date(2026, 11, 27), ["actions", "broken_promises", "plans_broken"], "queued"),
                (
                    mexico.id,
                    date(2026, 11, 27),
                    ["actions", "broken_promises", "payments_reported", "plans_broken"],
                    "queued",
                ),
            ],
            key=lambda r: r[0],
        ),
    ]
    await alarms_worker(stack)
    assert {status for *_, status in await scheduled(stack)} == {"completed"}
    listed = (await api.get("/v1/alarms/runs", params={"trigger": "schedule"}, headers=buenos_aires.admin)).json()
    assert [r["as_of"] for r in listed["items"]] == ["2026-11-27", "2026-11-24"]

    settings = (await api.get("/v1/alarm-settings", headers=mexico.admin)).json()
    assert settings["payments_reported"]["weekday"] == "friday" and settings["disputes"]["enabled"] is False
    assert settings["disputes"]["next_at"] is None


async def test_a_scheduled_run_sends_the_digests_through_the_worker(api, stack):
    tenant = await alarms_tenant(api, stack)
    carla, _ = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    await p.customer("Ferretería Norte", carla["id"])
    await p.invoice("Ferretería Norte", "R-1", status="payment_reported", reported_date=date(2026, 11, 2))
    await p.invoice("Ferretería Norte", "D-1", status="dispute")
    # Tuesday 24 November 08:00 in Buenos Aires: Monday 23 is a holiday there, so the weekly alarms go out too
    assert await schedule_runs(ctx(stack), now=datetime(2026, 11, 24, 11, 0, tzinfo=UTC)) == 1
    await alarms_worker(stack)  # the disputes alarm asks the in-process receivables for the areas
    sent = await sent_communications(stack)
    assert sorted(c.data["title"] for c in sent) == [
        "Facturas de sus clientes en disputa",
        "Pagos informados no acreditados",
    ]
    (run,) = (await api.get("/v1/alarms/runs", headers=tenant.admin)).json()["items"]
    assert (run["status"], run["counts"]["digests"]) == ("completed", 2)
    assert run["unrouted"] == [
        {"alarm": "disputes", "audience": "area", "reason": "no_area", "recipient_id": None, "rows": 1, "customers": 1}
    ]


async def test_a_queued_run_whose_enqueue_was_lost_is_queued_again(api, stack):
    tenant = await alarms_tenant(api, stack)
    run_id = uuid.uuid4()
    async with stack.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO alarms.runs (id, tenant_id, as_of, trigger, alarms, status, created_at) VALUES "
                "(:id, :t, DATE '2026-11-23', 'schedule', ARRAY['broken_promises'], 'queued', "
                "now() - interval '20 minutes')"
            ),
            {"id": run_id, "t": tenant.id},
        )
    assert await sweep_runs(ctx(stack)) == [run_id]
    assert await stack.redis.keys(f"arq:job:{RUN_JOB}:{run_id}:*")
    await alarms_worker(stack)
    run = (await api.get(f"/v1/alarms/runs/{run_id}", headers=tenant.admin)).json()
    assert run["status"] == "completed"


async def test_a_run_waits_while_receivables_is_down_and_fails_after_its_last_try(api, stack):
    tenant = await alarms_tenant(api, stack)
    # Tuesday 24 November 08:00 in Buenos Aires: Monday 23 is a holiday there, so the weekly alarms go out too
    assert await schedule_runs(ctx(stack), now=datetime(2026, 11, 24, 11, 0, tzinfo=UTC)) == 1
    (run_id,) = [r["id"] for r in (await api.get("/v1/alarms/runs", headers=tenant.admin)).json()["items"]]
    settings = AlarmsSettings(receivables_url="http://127.0.0.1:1", run_max_tries=3)
    async with httpx.AsyncClient() as http:
        job = {
            "settings": settings,
            "sessionmaker": stack.services["alarms"].state.sessionmaker,
            "engine": stack.services["alarms"].state.engine,
            "receivables": InternalClient(http, settings),
            "job_try": 1,
        }
        with pytest.raises(Retry):
            await run_alarms(job, run_id)
        assert (await api.get(f"/v1/alarms/runs/{run_id}", headers=tenant.admin)).json()["status"] == "queued"
        assert await run_alarms({**job, "job_try": 3}, run_id) == "failed"
    run = (await api.get(f"/v1/alarms/runs/{run_id}", headers=tenant.admin)).json()
    assert run["status"] == "failed" and "ConnectError" in run["error"]
    assert await run_alarms({**job, "job_try": 1}, run_id) == "skipped"  # a failed run is not taken again
