"""Processes that heal: a worker rides out a Redis restart, the relay hands over again what Redis lost, and the
supervisor of ``make run`` restarts a process that exits (issue 10: measured before, a 20 s Redis stop made all five
workers exit, and under honcho one exit stopped everything)."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from arq.connections import RedisSettings, create_pool
from arq.worker import func
from sqlalchemy import text

from shared.contracts.gateway import TenantChanged
from shared.messages import Envelope
from shared.outbox import emit, queue_name, redis_mark_key, relay_once, replay_if_redis_lost
from shared.worker import JOB_CODEC
from shared.worker_process import next_backoff, serve
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
DONE: list[str] = []


async def record(ctx, value: str) -> None:
    DONE.append(value)


class Redis:
    """A redis-server of the test's own on a free port, that the test stops and starts again (keeping nothing)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(30)

    async def pool(self):
        for _ in range(200):
            try:
                return await create_pool(RedisSettings(port=self.port), **JOB_CODEC)
            except Exception:  # not listening yet
                await asyncio.sleep(0.05)
        raise AssertionError("redis-server did not start")


def worker_settings(redis: Redis, functions: list) -> type:
    """Settings of a worker on the test's own Redis and a queue of its own."""

    class Settings:
        queue_name = f"arq:queue:test-{uuid.uuid4().hex[:6]}"
        redis_settings = RedisSettings(port=redis.port, conn_retries=2, conn_retry_delay=0.2)
        job_serializer = staticmethod(JOB_CODEC["job_serializer"])
        job_deserializer = staticmethod(JOB_CODEC["job_deserializer"])
        poll_delay = 0.05

    Settings.functions = functions
    return Settings


async def wait_for(condition, tries: int = 600) -> None:
    """Poll a condition for up to a minute (bounded by tries, not by what the machine's load makes of a timer)."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


def test_backoff_doubles_to_thirty_seconds():
    delays = [next_backoff(None, 0)]
    for _ in range(7):
        delays.append(next_backoff(delays[-1], 0.5))
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]
    assert next_backoff(30, 61) == 1  # healthy for a minute: from the start again


async def test_a_worker_rides_out_a_redis_restart():
    redis = Redis()
    redis.start()
    Settings = worker_settings(redis, [record])
    queue = Settings.queue_name
    DONE.clear()
    stop = asyncio.Event()
    pool = await redis.pool()
    served = asyncio.create_task(serve(Settings, stop))
    try:
        await pool.enqueue_job("record", "before", _queue_name=queue)
        await wait_for(lambda: "before" in DONE)
        await pool.aclose()

        redis.stop()  # the worker's poll fails: before, the process exited here
        await asyncio.sleep(1)
        assert not served.done()
        redis.start()
        pool = await redis.pool()
        await pool.enqueue_job("record", "after", _queue_name=queue)
        await wait_for(lambda: "after" in DONE)
    finally:
        stop.set()
        started = await asyncio.wait_for(served, 60)
        await pool.aclose()
        redis.stop()
    assert started >= 2  # a new worker took over after the outage


async def test_the_relay_hands_over_again_what_a_redis_that_lost_its_data_dropped(api, stack):
    from api_gateway.models import outbox

    async with stack.engine.begin() as conn:
        await emit(
            conn,
            outbox,
            uuid.uuid4(),
            TenantChanged(
                tenant_id=uuid.uuid4(),
                slug="x",
                name="X",
                country="AR",
                timezone="UTC",
                default_currency="ARS",
                language="es",
            ),
        )
    assert await replay_if_redis_lost(stack.engine, stack.arq, "gateway", 3600) == 0  # a first start: nothing yet
    assert await relay_once(stack.engine, stack.arq, "gateway") == 1
    jobs = await stack.redis.zcard(queue_name("dunning"))
    assert jobs >= 1
    assert await replay_if_redis_lost(stack.engine, stack.arq, "gateway", 3600) == 0  # the mark is there: nothing

    await stack.redis.flushdb()  # Redis restarted with nothing on disk: the job is gone
    assert await replay_if_redis_lost(stack.engine, stack.arq, "gateway", 3600) == 1
    assert await stack.redis.exists(redis_mark_key("gateway"))
    assert await relay_once(stack.engine, stack.arq, "gateway") == 1
    assert await stack.redis.zcard(queue_name("dunning")) == jobs
    async with stack.engine.connect() as conn:
        unpublished = await conn.scalar(text("SELECT count(*) FROM gateway.outbox WHERE published_at IS NULL"))
    assert unpublished == 0


@pytest.mark.timeout(180)
def test_the_supervisor_restarts_a_process_that_exits_and_stops_all_on_sigterm(tmp_path):
    starts = tmp_path / "starts"
    procfile = tmp_path / "Procfile"
    procfile.write_text(f"crashes: echo start >> {starts}; sleep 0.2; exit 3\nsteady: exec sleep 600\n")
    supervisor = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy/supervise.py"), str(procfile)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(1200):  # three starts: the process was restarted twice (bounded by tries)
            if starts.exists() and len(starts.read_text().splitlines()) >= 3:
                break
            time.sleep(0.1)
        assert supervisor.poll() is None  # one process exiting does not stop the others
    finally:
        os.killpg(supervisor.pid, signal.SIGTERM)
        output = supervisor.communicate(timeout=60)[0].decode()
    assert supervisor.returncode == 0
    assert "exited with code 3; restarting" in output
    assert "steady" in output


async def test_a_batch_that_gets_no_database_connection_is_retried_within_seconds():
    """Issue 10: a job that failed for want of a connection is retried within a minute, not in minutes."""
    from arq import Retry

    from shared.db import create_engine, create_sessionmaker
    from shared.settings import ServiceSettings
    from shared.worker import CONNECTION_RETRY_SECONDS, handle_messages

    settings = ServiceSettings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing",  # nothing listens
        retry_base_seconds=60,
    )
    engine = create_engine(settings)
    envelope = Envelope.wrap(
        TenantChanged(
            tenant_id=uuid.uuid4(),
            slug="x",
            name="X",
            country="AR",
            timezone="UTC",
            default_currency="ARS",
            language="es",
        ),
        None,
    ).model_dump(mode="json")
    ctx = {"settings": settings, "sessionmaker": create_sessionmaker(engine), "schema": "gateway", "handlers": {}}
    try:
        with pytest.raises(Retry) as retry:
            await handle_messages({**ctx, "job_try": 3}, [envelope])
    finally:
        await engine.dispose()
    assert retry.value.defer_score <= CONNECTION_RETRY_SECONDS * 1000


async def test_a_running_jobs_claim_is_a_short_lease_renewed_while_it_runs(monkeypatch):
    """A worker killed mid-job leaves its claim (arq's in-progress key); before, it lasted the worker's longest job
    timeout + 10 s (dunning: 910 s), so the batch it was taking waited that long. Now the claim lapses within
    ``JOB_CLAIM_SECONDS`` unless the live worker renews it."""
    import shared.worker_process

    monkeypatch.setattr(shared.worker_process, "JOB_CLAIM_SECONDS", 1.5)
    redis = Redis()
    redis.start()
    release = asyncio.Event()

    async def long_job(ctx) -> None:
        DONE.append("started")
        await release.wait()

    Settings = worker_settings(redis, [func(long_job, name="long_job")])
    queue = Settings.queue_name
    DONE.clear()
    stop = asyncio.Event()
    pool = await redis.pool()
    served = asyncio.create_task(serve(Settings, stop))
    try:
        job = await pool.enqueue_job("long_job", _queue_name=queue)
        await wait_for(lambda: "started" in DONE)
        key = f"arq:in-progress:{job.job_id}"
        assert 0 < await pool.pttl(key) <= 1500
        for _ in range(4):  # three claims' length later, the live worker still holds it
            await asyncio.sleep(1)
            assert await pool.exists(key)
        release.set()
    finally:
        stop.set()
        await asyncio.wait_for(served, 60)
        await pool.aclose()
        redis.stop()
