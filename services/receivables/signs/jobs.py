"""The worker's jobs of the warning signs' refreshes: compute a refresh the API recorded; queue again the ones whose
job was lost.

A refresh's job has one fixed arq id: while it is queued or running (or its worker died and arq has not retried it
yet), enqueuing it again adds nothing, so the POST that answers a refresh in flight and the hourly cron may enqueue
it freely; a job lost with Redis is queued anew by either.
"""

import uuid
from typing import Any

import structlog
from arq import Retry
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.receivables.signs import refresh_repository, service
from shared.db import connection_unavailable, unit_of_work
from shared.outbox import queue_name

log = structlog.get_logger()

REFRESH_JOB = "receivables.refresh_signs"
# A job that found no database connection tries again after this long.
CONNECTION_RETRY_SECONDS = 10


def refresh_job_id(refresh_id: uuid.UUID | str) -> str:
    return f"{REFRESH_JOB}:{refresh_id}"


async def enqueue_refresh(arq: ArqRedis, refresh_id: uuid.UUID) -> None:
    """Queue the refresh's computation. An enqueue that fails (Redis out of reach) is logged, not raised: the
    refresh is recorded, its request answers it queued, and the next request or the hourly cron queues it again."""
    try:
        await arq.enqueue_job(
            REFRESH_JOB, str(refresh_id), _queue_name=queue_name("receivables"), _job_id=refresh_job_id(refresh_id)
        )
    except Exception as exc:
        log.warning("warning_signs_refresh_enqueue_failed", refresh_id=str(refresh_id), error=f"{exc!r}")


async def refresh_signs(ctx: dict[str, Any], refresh_id: str) -> str:
    """Compute a refresh the API recorded (``service.compute_refresh``)."""
    try:
        return await service.compute_refresh(ctx["sessionmaker"], uuid.UUID(refresh_id))
    except Exception as exc:
        if connection_unavailable(exc):
            raise Retry(defer=CONNECTION_RETRY_SECONDS) from exc
        raise


async def redrive_refreshes(sessionmaker: async_sessionmaker[AsyncSession], arq: ArqRedis) -> int:
    """Queue again every refresh still queued or running (a job already there is not doubled); answers how many."""
    async with unit_of_work(sessionmaker) as session:
        pending = await refresh_repository.active_ids(session)
    for refresh_id in pending:
        await enqueue_refresh(arq, refresh_id)
    return len(pending)
