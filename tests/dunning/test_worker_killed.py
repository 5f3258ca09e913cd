"""A run's parts are handed over by two real arq worker processes; one is killed (SIGKILL) in the middle of a
part (blocked on a row the test holds: an expired pending mark of one invoice, which the part replaces, so the kill
lands inside the part's transaction). The part rolls back,
the sweeper re-drives the run, the surviving worker hands the part over: every communication goes out exactly
once, and what went out is identical to the same portfolio's run by one worker (issue 13)."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from dunning_service.runs.jobs import sweep_runs
from dunning_service.runs.lifecycle import STALE_SECONDS
from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, real_run

pytestmark = pytest.mark.timeout(600)  # two worker processes and two runs: about a minute on a busy machine
ROOT = Path(__file__).resolve().parents[2]
MONDAY = date(2025, 6, 2)
CUSTOMERS = 12
PARTS = 4
BOUND = 2400  # polls of 50 ms: a generous bound on a busy machine, not a timing assertion


async def _portfolio(api, stack) -> tuple[Any, Messaging]:
    tenant = await dunning_tenant(api, stack)
    await api.patch("/v1/dunning-settings", json={"automatic": False}, headers=tenant.admin)  # no cron runs
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    for n in range(CUSTOMERS):
        customer = await portfolio.customer(f"Cliente {n:02d}", email=f"c{n}@example.com")
        await portfolio.invoice(customer, f"F-{n:02d}", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(30))
        await portfolio.invoice(customer, f"G-{n:02d}", due=MONDAY - timedelta(days=15), issue=MONDAY - timedelta(45))
    return tenant, Messaging(stack, tenant.id)


def _comparable(communications) -> list[tuple]:
    """What a customer receives, without the ids that differ between two tenants."""
    return sorted(
        (
            c.customer.name,
            c.channel.value,
            c.kind.value,
            c.tone,
            tuple((i.number, i.triggered, i.days_overdue, str(i.open_amount)) for i in c.invoices),
            tuple((t.currency, str(t.amount)) for t in c.totals),
            c.overdue_count,
            c.oldest_days_overdue,
        )
        for c in communications
    )


def _worker() -> subprocess.Popen:
    env = {**os.environ, "DUNNING_RUN_PARTS": str(PARTS), "COBRANZA_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "arq"), "dunning_service.worker.WorkerSettings"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _blocked_worker(stack, workers: list[subprocess.Popen], run_id: str) -> subprocess.Popen:
    """The worker whose connection waits for the row the test holds (its application name carries its pid)."""
    pids = {w.pid: w for w in workers}
    for _ in range(BOUND):
        async with stack.engine.connect() as conn:
            run = (
                await conn.execute(text("SELECT status, note FROM dunning.runs WHERE id = :r"), {"r": run_id})
            ).first()
            assert run.status in ("queued", "running"), f"the run ended before the kill: {run.status} {run.note}"
            names = (
                await conn.execute(
                    text(
                        "SELECT application_name FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND application_name LIKE 'cobranza-dunning-%'"
                    )
                )
            ).scalars()
            for name in names:
                pid = int(name.rsplit("-", 1)[1])
                if pid in pids:
                    return pids[pid]
        assert all(w.poll() is None for w in workers), "a worker exited on its own"
        await asyncio.sleep(0.05)
    raise AssertionError("no worker reached the held row")


async def _run_status(api, tenant, run_id: str) -> dict[str, Any]:
    return (await api.get(f"/v1/dunning-runs/{run_id}", headers=tenant.admin)).json()


async def test_two_workers_one_killed_mid_part_send_every_communication_once(api, stack, monkeypatch):
    monkeypatch.setenv("DUNNING_RUN_PARTS", str(PARTS))
    alone, alone_messaging = await _portfolio(api, stack)  # the reference: one worker, nothing killed
    reference = await real_run(api, alone.admin, MONDAY)
    assert reference["status"] == "completed"
    expected = _comparable(await alone_messaging.take())
    assert len(expected) == CUSTOMERS

    tenant, messaging = await _portfolio(api, stack)
    async with stack.engine.connect() as conn:
        parts_of = dict(
            (
                await conn.execute(
                    text(
                        "SELECT number, mod(mod(hashtextextended(CAST(customer_id AS text), 0), :n) + :n, :n) "
                        "FROM dunning.invoices WHERE tenant_id = :t"
                    ),
                    {"t": tenant.id, "n": PARTS},
                )
            ).all()
        )
    assert len(set(parts_of.values())) >= 2  # the customers spread over several parts
    held_number = max(parts_of, key=lambda number: (parts_of[number], number))  # in the last part claimed

    async with stack.engine.begin() as conn:  # long expired: the run reminds the invoice and marks it again
        await conn.execute(
            text(
                "INSERT INTO dunning.pending_steps (tenant_id, invoice_id, step_id, since) "
                "SELECT tenant_id, id, gen_random_uuid(), now() - interval '1000 hours' FROM dunning.invoices "
                "WHERE tenant_id = :t AND number = :n"
            ),
            {"t": tenant.id, "n": held_number},
        )
    holder = await stack.engine.connect()
    await holder.begin()
    await holder.execute(
        text(
            "SELECT 1 FROM dunning.pending_steps p JOIN dunning.invoices i ON i.tenant_id = p.tenant_id "
            "AND i.id = p.invoice_id WHERE i.tenant_id = :t AND i.number = :n FOR UPDATE OF p"
        ),
        {"t": tenant.id, "n": held_number},
    )
    response = await api.post("/v1/dunning-runs", json={"as_of": MONDAY.isoformat()}, headers=tenant.admin)
    assert response.status_code == 202, response.text
    run_id = response.json()["id"]
    workers = [_worker(), _worker()]
    try:
        killed = await _blocked_worker(stack, workers, run_id)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        await holder.rollback()  # the dead worker's part goes on, fails to answer its client, and rolls back
        await holder.close()
        survivor = next(w for w in workers if w is not killed)
        for _ in range(BOUND):  # the survivor hands over every other part; the killed one's stays open
            async with stack.engine.connect() as conn:
                open_parts = await conn.scalar(
                    text("SELECT count(*) FROM dunning.run_parts WHERE run_id = :r AND handed_at IS NULL"),
                    {"r": run_id},
                )
                held = await conn.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"),
                    {"a": f"cobranza-dunning-{killed.pid}"},
                )
            if open_parts == 1 and held == 0:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"expected one part left once the killed worker's connection closed: {open_parts}")
        assert (await _run_status(api, tenant, run_id))["status"] == "running"

        # the sweeper re-drives a run whose heartbeat went stale; the surviving worker finishes it
        later = datetime.now(UTC) + timedelta(seconds=STALE_SECONDS + 1)
        assert await sweep_runs({"engine": stack.engine, "redis": stack.arq}, now=later) == [uuid.UUID(run_id)]
        for _ in range(BOUND):
            run = await _run_status(api, tenant, run_id)
            if run["status"] != "running":
                break
            assert survivor.poll() is None, "the surviving worker exited"
            await asyncio.sleep(0.05)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
    assert run["status"] == "completed", run
    assert run["counts"]["communications"] == CUSTOMERS
    assert run["counts"]["invoices"] == 2 * CUSTOMERS

    sent = await messaging.take()
    assert len({c.idempotency_key for c in sent}) == len(sent) == CUSTOMERS  # each once
    assert _comparable(sent) == expected  # identical to the run by one worker
    async with stack.engine.connect() as conn:
        dispatches = await conn.scalar(text("SELECT count(*) FROM dunning.dispatches WHERE run_id = :r"), {"r": run_id})
        pending = await conn.scalar(
            text("SELECT count(*) FROM dunning.pending_steps WHERE tenant_id = :t"),
            {"t": tenant.id},
        )
    assert dispatches == CUSTOMERS
    assert pending == 2 * CUSTOMERS
    # the killed workers' jobs stay in the queue until their in-progress marks expire (their timeout): a burst
    # worker would wait for them. Not only the run's: the survivor, killed above, may have been in one of its cron
    # jobs (the sweeper runs every 30 s; one CI run waited here until the test's timeout). Both workers are dead, and
    # nothing else works on this Redis database.
    for key in await stack.redis.keys("arq:in-progress:*"):
        await stack.redis.zrem("arq:queue:dunning", key.decode().removeprefix("arq:in-progress:"))
    # and a rerun by hand for the same day sends nothing more
    again = await real_run(api, tenant.admin, MONDAY)
    assert again["counts"]["communications"] == 0
    assert await messaging.take() == []
