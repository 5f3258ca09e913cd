"""The arq worker of a service: its context, its message consumer, its outbox relay.

Every service runs ``arq <service>.worker.WorkerSettings``. The context holds the engine, a session
maker, one pooled httpx client and the settings; jobs take ids (or envelopes), never ORM objects.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypedDict

import orjson
import structlog
from arq import Retry, cron
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function, func

import shared.contracts  # noqa: F401  (registers every message class)
from shared.contracts.subscriptions import check_handlers
from shared.db import connection_unavailable, create_engine, create_sessionmaker
from shared.heap import settle_after_start_up
from shared.http import create_http_client
from shared.inbox import Handlers, process_batch
from shared.logging import configure_logging
from shared.outbox import HANDLE_MESSAGES, purge_published, queue_name, relay_forever
from shared.settings import ServiceSettings

log = structlog.get_logger()

# A message that keeps failing is dead-lettered on this try (see shared.inbox). A failure that cannot even
# be recorded (the database is down) keeps being retried, every five minutes at most, until arq lets the job
# expire (a day after it was enqueued): an outage shorter than that loses nothing.
DEAD_LETTER_ON_TRY = 8
JOB_MAX_TRIES = 10_000
RETRY_CAP_SECONDS = 300.0
# A batch that failed for want of a database connection is tried again this soon (issue 10: within a minute).
CONNECTION_RETRY_SECONDS = 10.0


def retry_delay(job_try: int, base_seconds: float) -> float:
    """Exponential back-off between tries: base, 2 base, 4 base, ... at most five minutes."""
    return min(RETRY_CAP_SECONDS, base_seconds * 2.0 ** (job_try - 1))


def serialize_job(data: dict[str, Any]) -> bytes:
    """Jobs are JSON in Redis (not pickle): readable by any tool and safe to load. orjson: a run's commands are
    megabytes of JSON, which the standard library's encoder took a tenth of a dunning worker's CPU to write."""
    return orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS)


def deserialize_job(data: bytes) -> dict[str, Any]:
    job: dict[str, Any] = orjson.loads(data)
    return job


class JobCodec(TypedDict):
    job_serializer: Callable[[dict[str, Any]], bytes]
    job_deserializer: Callable[[bytes], dict[str, Any]]


JOB_CODEC = JobCodec(job_serializer=serialize_job, job_deserializer=deserialize_job)


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


async def handle_messages(ctx: dict[str, Any], envelopes: list[dict[str, Any]]) -> int:
    """Consume a batch of envelopes; on failure, try again later (arq retries only what raises ``Retry``)."""
    job_try = ctx.get("job_try", 1)
    try:
        return await process_batch(
            ctx, ctx["sessionmaker"], ctx["schema"], ctx["handlers"], envelopes, job_try >= DEAD_LETTER_ON_TRY
        )
    except Exception as exc:
        delay = retry_delay(job_try, ctx["settings"].retry_base_seconds)
        if connection_unavailable(exc):  # the database is away or full: try again soon, not in minutes
            delay = min(delay, CONNECTION_RETRY_SECONDS)
        log.warning("message_batch_retry", job_try=job_try, in_seconds=delay, error=f"{type(exc).__name__}: {exc}")
        raise Retry(defer=delay) from exc


async def purge_outbox(ctx: dict[str, Any]) -> int:
    return await purge_published(ctx["engine"], ctx["schema"])


async def build_context(ctx: dict[str, Any], settings: ServiceSettings, schema: str, handlers: Handlers) -> None:
    """Fill an arq context (also used by tests that call jobs directly)."""
    ctx["settings"] = settings
    ctx["schema"] = schema
    ctx["handlers"] = handlers
    ctx["engine"] = create_engine(settings)
    ctx["sessionmaker"] = create_sessionmaker(ctx["engine"])
    ctx["http"] = create_http_client(settings)


async def close_context(ctx: dict[str, Any]) -> None:
    await ctx["http"].aclose()
    await ctx["engine"].dispose()


def worker_settings(
    settings: ServiceSettings,
    *,
    schema: str,
    handlers: Handlers,
    functions: Sequence[Function | Callable[..., Awaitable[Any]]] = (),
    cron_jobs: Sequence[CronJob] = (),
    on_startup: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
) -> type:
    """The ``WorkerSettings`` class arq's CLI loads for one service; its handlers must be what the service subscribes
    to (``shared/contracts/subscriptions.py``)."""
    service = settings.service_name
    check_handlers(service, handlers)

    async def startup(ctx: dict[str, Any]) -> None:
        configure_logging(f"{service}-worker", settings.log_level, settings.log_json)
        await build_context(ctx, settings, schema, handlers)
        if settings.relay_enabled:
            ctx["relay_task"] = asyncio.create_task(
                relay_forever(
                    ctx["engine"],
                    ctx["redis"],
                    schema,
                    settings.relay_interval_seconds,
                    settings.relay_batch_size,
                    settings.relay_replay_window_seconds,
                )
            )
        if on_startup is not None:
            await on_startup(ctx)
        settle_after_start_up()  # what is loaded by now lives as long as the process (shared.heap)
        log.info("worker_started", queue=queue_name(service))

    async def shutdown(ctx: dict[str, Any]) -> None:
        task = ctx.get("relay_task")
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await close_context(ctx)

    # A class body cannot read the enclosing function's names it also assigns: their values under other names.
    all_functions = [func(handle_messages, name=HANDLE_MESSAGES, max_tries=JOB_MAX_TRIES), *functions]
    all_cron_jobs = [cron(purge_outbox, hour={3}, minute={17}), *cron_jobs]
    redis = redis_settings(settings.redis_url)
    queue = queue_name(service)

    class WorkerSettings:
        functions = all_functions
        cron_jobs = all_cron_jobs
        on_startup = staticmethod(startup)
        on_shutdown = staticmethod(shutdown)
        redis_settings = redis
        queue_name = queue
        job_serializer = staticmethod(serialize_job)
        job_deserializer = staticmethod(deserialize_job)
        max_jobs = 10
        # An idle worker looks at its queue this often (arq's default is 0.5 s): a run's parts, a dry run the API
        # waits for, a message's fallback start sooner; ten cheap Redis reads a second per idle worker.
        poll_delay = 0.1
        health_check_interval = 30  # `arq --check` (the Kubernetes liveness probe) reads it
        handle_signals = True

    return WorkerSettings
