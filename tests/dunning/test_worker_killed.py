"""A real arq worker process is killed (SIGKILL) in the middle of a run, after messaging accepted some of
its communications; the run is picked up again (as arq does once the job's in-progress mark expires) and
rerun by hand: every due communication goes out exactly once."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from dunning_service.runs.jobs import RUN_JOB, sweep_runs
from dunning_service.runs.service import STALE_SECONDS
from dunning_service.worker import WorkerSettings
from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, real_run
from tests.support import run_worker

ROOT = Path(__file__).resolve().parents[2]
MONDAY = date(2025, 6, 2)
CUSTOMERS = 12


async def _dispatches(stack, run_id: str) -> int:
    async with stack.engine.connect() as conn:
        return await conn.scalar(text("SELECT count(*) FROM dunning.dispatches WHERE run_id = :r"), {"r": run_id})


async def _wait_for(stack, run_id: str, at_least: int, worker: subprocess.Popen) -> int:
    for _ in range(1200):  # a generous bound on a busy machine, not a timing assertion
        count = await _dispatches(stack, run_id)
        if count >= at_least:
            return count
        assert worker.poll() is None, "the worker exited on its own"
        await asyncio.sleep(0.05)
    raise AssertionError(f"the worker did not reach {at_least} dispatches")


async def test_worker_killed_mid_run_then_rerun_sends_every_communication_once(api, stack):
    tenant = await dunning_tenant(api, stack)
    await api.patch("/v1/dunning-settings", json={"automatic": False}, headers=tenant.admin)  # no cron runs
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    for n in range(CUSTOMERS):
        customer = await portfolio.customer(f"Cliente {n:02d}", email=f"c{n}@example.com")
        await portfolio.invoice(customer, f"F-{n:02d}", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(30))
        await portfolio.invoice(customer, f"G-{n:02d}", due=MONDAY - timedelta(days=15), issue=MONDAY - timedelta(45))

    response = await api.post("/v1/dunning-runs", json={"as_of": MONDAY.isoformat()}, headers=tenant.admin)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]

    env = {
        **os.environ,
        "DUNNING_RUN_CHUNK_SIZE": "1",  # one customer per transaction
        "DUNNING_RUN_CHUNK_PAUSE_SECONDS": "0.3",  # so the test can act in the middle of the run
        "COBRANZA_LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(  # noqa: ASYNC220 - the worker is a separate process on purpose
        [str(Path(sys.executable).parent / "arq"), "dunning_service.worker.WorkerSettings"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _wait_for(stack, run_id, 3, worker)
        first = await messaging.take()
        await messaging.answer(first, state="sent")  # messaging sends what it got so far
        await _wait_for(stack, run_id, len(first) + 2, worker)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    handed_over = await _dispatches(stack, run_id)
    assert len(first) >= 3
    assert handed_over < CUSTOMERS, "the kill must land in the middle of the run"
    status = (await api.get(f"/v1/dunning-runs/{run_id}", headers=tenant.admin)).json()["status"]
    assert status == "running"

    # the sweeper re-drives a run whose heartbeat went stale, under a new job id (the dead one stays in progress)
    later = datetime.now(UTC) + timedelta(seconds=STALE_SECONDS + 1)
    assert await sweep_runs({"engine": stack.engine, "redis": stack.arq}, now=later) == [uuid.UUID(run_id)]
    # the dead job stays in the queue until its in-progress mark expires (its timeout): a burst worker would wait
    # for it, so it leaves; the sweeper's job does the work
    for job_id in await stack.redis.keys(f"arq:in-progress:{RUN_JOB}:{run_id}:*"):
        await stack.redis.zrem("arq:queue:dunning", job_id.decode().removeprefix("arq:in-progress:"))
    await run_worker(WorkerSettings)
    resumed = (await api.get(f"/v1/dunning-runs/{run_id}", headers=tenant.admin)).json()
    assert resumed["status"] == "completed"
    assert resumed["counts"]["communications"] == CUSTOMERS  # counted from all it handed over, before and after
    assert resumed["counts"]["invoices"] == 2 * CUSTOMERS
    await messaging.take_and_accept()
    # and a rerun by hand for the same day sends nothing more
    again = await real_run(api, tenant.admin, MONDAY)
    assert again["counts"]["communications"] == 0
    assert await messaging.take_and_accept() == []

    sent = messaging.sent
    assert len(sent) == CUSTOMERS
    assert len({c.idempotency_key for c in sent}) == CUSTOMERS
    assert sorted(c.customer.name for c in sent) == [f"Cliente {n:02d}" for n in range(CUSTOMERS)]
    for c in sent:
        assert sorted(i.number[0] for i in c.invoices) == ["F", "G"]
        assert c.tone == 2
    async with stack.engine.connect() as conn:
        states = dict((await conn.execute(text("SELECT state, count(*) FROM dunning.dispatches GROUP BY state"))).all())
        pending = await conn.scalar(text("SELECT count(*) FROM dunning.invoices WHERE pending_step_id IS NOT NULL"))
    assert states == {"sent": CUSTOMERS}
    assert pending == 0
