"""The cron job queues each tenant's daily run at its configured local hour, once per local day."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from dunning_service.runs.jobs import RUN_JOB, schedule_runs, sweep_runs
from dunning_service.worker import WorkerSettings
from tests.dunning.support import dunning_tenant
from tests.support import run_worker


async def _scheduled(stack) -> list[tuple]:
    async with stack.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    text("SELECT tenant_id, as_of, status FROM dunning.runs WHERE trigger = 'schedule' ORDER BY 1")
                )
            ).all()
        )


async def test_runs_are_queued_at_each_tenants_local_hour_once_a_day(api, stack):
    buenos_aires = await dunning_tenant(api, stack)  # UTC-3, run hour 8 by default
    mexico = await dunning_tenant(api, stack, country="MX", timezone="America/Mexico_City", default_currency="MXN")
    paused = await dunning_tenant(api, stack)
    await api.patch("/v1/dunning-settings", json={"run_hour": 9}, headers=mexico.admin)
    await api.patch("/v1/dunning-settings", json={"automatic": False}, headers=paused.admin)
    ctx = {"engine": stack.engine, "redis": stack.arq}

    at = datetime(2025, 6, 2, 11, 15, tzinfo=UTC)  # 08:15 in Buenos Aires, 05:15 in Mexico City
    assert await schedule_runs(ctx, now=at) == 1
    assert await schedule_runs(ctx, now=at + timedelta(minutes=15)) == 0  # once per local day
    (run,) = await _scheduled(stack)
    assert run.tenant_id == buenos_aires.id
    assert run.as_of.isoformat() == "2025-06-02"
    assert await schedule_runs(ctx, now=datetime(2025, 6, 2, 15, 0, tzinfo=UTC)) == 1  # 09:00 in Mexico City
    # late at night in Buenos Aires it is still 2 June there: nothing new
    assert await schedule_runs(ctx, now=datetime(2025, 6, 3, 2, 0, tzinfo=UTC)) == 0
    # next local morning
    assert await schedule_runs(ctx, now=datetime(2025, 6, 3, 11, 0, tzinfo=UTC)) == 1
    runs = await _scheduled(stack)
    assert {(r.tenant_id, r.as_of.isoformat()) for r in runs} == {
        (buenos_aires.id, "2025-06-02"),
        (mexico.id, "2025-06-02"),
        (buenos_aires.id, "2025-06-03"),
    }
    await run_worker(WorkerSettings)
    listed = (await api.get("/v1/dunning-runs", params={"trigger": "schedule"}, headers=buenos_aires.admin)).json()
    assert [(r["as_of"], r["status"]) for r in listed["items"]] == [
        ("2025-06-03", "completed"),
        ("2025-06-02", "completed"),
    ]


async def test_a_queued_run_whose_enqueue_was_lost_is_queued_again(api, stack):
    tenant = await dunning_tenant(api, stack)
    await api.patch("/v1/dunning-settings", json={"automatic": False}, headers=tenant.admin)
    run_id = uuid.uuid4()
    async with stack.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO dunning.runs (id, tenant_id, as_of, dry_run, trigger, status, created_at) "
                "VALUES (:id, :t, DATE '2025-06-02', false, 'manual', 'queued', now() - interval '20 minutes')"
            ),
            {"id": run_id, "t": tenant.id},
        )
    assert await sweep_runs({"engine": stack.engine, "redis": stack.arq}) == [run_id]
    assert await stack.redis.keys(f"arq:job:{RUN_JOB}:{run_id}:*")
    await run_worker(WorkerSettings)
    run = (await api.get(f"/v1/dunning-runs/{run_id}", headers=tenant.admin)).json()
    assert run["status"] == "completed"


async def test_runs_on_closed_days_are_recorded_as_skipped(api, stack):
    tenant = await dunning_tenant(api, stack)
    response = await api.post("/v1/dunning-runs", json={"as_of": "2025-07-09", "dry_run": True}, headers=tenant.admin)
    assert response.status_code == 201
    assert response.json()["status"] == "skipped"
    assert "Independence" in response.json()["note"] or "Independencia" in response.json()["note"]
    future = await api.post("/v1/dunning-runs", json={"as_of": "2999-01-01"}, headers=tenant.admin)
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "as_of"
