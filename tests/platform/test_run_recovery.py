"""Issue 10, points 1 and 8: a dunning or alarm run whose job failed for want of a database connection, or whose
job Redis lost, resumes on its own: the job retries shortly instead of failing, and the sweeper (twice a minute)
enqueues the run again under a new job id. A run that is alive, or waits for a retry that is due later, is left
alone. (A dunning worker killed mid-run: tests/dunning/test_worker_killed.py.)"""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from arq import Retry
from sqlalchemy import text

from alarms_service.digests.jobs import RUN_JOB as ALARMS_RUN_JOB
from alarms_service.digests.jobs import run_alarms
from alarms_service.digests.jobs import sweep_runs as sweep_alarm_runs
from alarms_service.settings import AlarmsSettings
from dunning_service.runs.jobs import RUN_JOB, run_dunning, sweep_runs
from dunning_service.settings import DunningSettings
from dunning_service.worker import WorkerSettings
from shared.db import create_engine, create_sessionmaker
from tests.alarms.support import alarms_tenant, alarms_worker
from tests.conftest import TEST_DATABASE
from tests.dunning.support import Portfolio, create_strategy, dunning_tenant
from tests.support import free_port, run_worker

MONDAY = date(2025, 6, 2)


def nowhere() -> str:
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/{TEST_DATABASE}"


async def run_status(stack, schema: str, run_id) -> str:
    async with stack.engine.connect() as conn:
        return await conn.scalar(text(f"SELECT status FROM {schema}.runs WHERE id = :id"), {"id": run_id})


async def queued_dunning_run(api, stack) -> tuple[object, uuid.UUID]:
    tenant = await dunning_tenant(api, stack)
    await api.patch("/v1/dunning-settings", json={"automatic": False}, headers=tenant.admin)
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    customer = await portfolio.customer("Cliente Uno", email="uno@example.com")
    await portfolio.invoice(customer, "F-1", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(days=30))
    response = await api.post("/v1/dunning-runs", json={"as_of": MONDAY.isoformat()}, headers=tenant.admin)
    assert response.status_code == 202, response.text
    return tenant, uuid.UUID(response.json()["id"])


async def test_a_dunning_run_without_a_database_connection_is_retried_then_resumed_by_the_sweeper(api, stack):
    _, run_id = await queued_dunning_run(api, stack)
    settings = DunningSettings(database_url=nowhere())
    engine = create_engine(settings)
    try:
        with pytest.raises(Retry):  # not a failed job that leaves the run queued for good
            await run_dunning({"engine": engine, "settings": settings}, str(run_id))
    finally:
        await engine.dispose()
    assert await run_status(stack, "dunning", run_id) == "queued"

    await stack.redis.flushdb()  # and its job is lost too
    assert await sweep_runs({"engine": stack.engine, "redis": stack.arq}) == []  # too recent to call lost
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert await sweep_runs({"engine": stack.engine, "redis": stack.arq}, now=later) == [run_id]
    assert await stack.redis.keys(f"arq:job:{RUN_JOB}:{run_id}:*")
    await run_worker(WorkerSettings)
    assert await run_status(stack, "dunning", run_id) == "completed"
    assert await sweep_runs({"engine": stack.engine, "redis": stack.arq}, now=later) == []


async def test_the_sweeper_leaves_a_live_run_and_the_runs_queued_behind_it(api, stack):
    tenant, run_id = await queued_dunning_run(api, stack)
    behind = uuid.uuid4()
    async with stack.engine.begin() as conn:
        await conn.execute(
            text("UPDATE dunning.runs SET status = 'running', heartbeat_at = :beat WHERE id = :id"),
            {"id": run_id, "beat": datetime.now(UTC) + timedelta(seconds=50)},  # beating at the sweep's "now"
        )
        await conn.execute(
            text(
                "INSERT INTO dunning.runs (id, tenant_id, as_of, dry_run, trigger, status, created_at) "
                "VALUES (:id, :t, :day, false, 'manual', 'queued', now() - interval '20 minutes')"
            ),
            {"id": behind, "t": tenant.id, "day": MONDAY},
        )
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert await sweep_runs({"engine": stack.engine, "redis": stack.arq}, now=later) == []
    # its heartbeat stops: both are lost now
    much_later = later + timedelta(minutes=2)
    assert set(await sweep_runs({"engine": stack.engine, "redis": stack.arq}, now=much_later)) == {run_id, behind}


async def test_an_alarm_run_without_a_database_connection_is_retried_then_resumed_by_the_sweeper(api, stack):
    tenant = await alarms_tenant(api, stack)
    run_id, waiting = uuid.uuid4(), uuid.uuid4()
    async with stack.engine.begin() as conn:
        for rid, retry_at in ((run_id, None), (waiting, datetime.now(UTC) + timedelta(minutes=5))):
            await conn.execute(
                text(
                    "INSERT INTO alarms.runs (id, tenant_id, as_of, trigger, alarms, status, created_at, retry_at) "
                    "VALUES (:id, :t, DATE '2026-11-23', 'manual', ARRAY['broken_promises'], 'queued', "
                    "now() - interval '2 minutes', :retry_at)"
                ),
                {"id": rid, "t": tenant.id, "retry_at": retry_at},
            )
    settings = AlarmsSettings(database_url=nowhere())
    engine = create_engine(settings)
    try:
        ctx = {"engine": engine, "sessionmaker": create_sessionmaker(engine), "settings": settings}
        with pytest.raises(Retry):
            await run_alarms(ctx, str(run_id))
    finally:
        await engine.dispose()
    assert await run_status(stack, "alarms", run_id) == "queued"

    # the one waiting for receivables' retry (due in 5 minutes) is left to it
    assert await sweep_alarm_runs({"engine": stack.engine, "redis": stack.arq}) == [run_id]
    assert await stack.redis.keys(f"arq:job:{ALARMS_RUN_JOB}:{run_id}:*")
    await alarms_worker(stack)
    assert await run_status(stack, "alarms", run_id) == "completed"
    assert await sweep_alarm_runs({"engine": stack.engine, "redis": stack.arq}) == []
