"""The worker's bookkeeping of runs in SQL: the tenant's advisory lock, the runs' statuses and heartbeat, their
parts being claimed and handed over, the schedule and the sweep of lost runs. Every function takes the caller's
session (the worker opens it on its own connection, so the advisory lock and ``SET LOCAL`` live in its
transaction); the statuses are passed in by ``lifecycle.py``, which owns them."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.models import Run
from dunning_service.runs.repository import RunRow
from dunning_service.runs.statements import PLANNED_MESSAGES
from shared.db import row_as

RUNS = Run.__table__

TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))")


@dataclass(frozen=True, slots=True)
class LostRun:
    """A run whose job or worker was lost (``lost_runs``)."""

    id: uuid.UUID
    dry_run: bool


async def run_by_id(session: AsyncSession, run_id: uuid.UUID) -> RunRow | None:
    row = (await session.execute(select(RUNS).where(RUNS.c.id == run_id))).mappings().first()
    return None if row is None else row_as(RunRow, row)


async def run_status(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str | None:
    status: str | None = await session.scalar(
        select(RUNS.c.status).where(RUNS.c.tenant_id == tenant_id, RUNS.c.id == run_id)
    )
    return status


async def set_run(session: AsyncSession, run_id: uuid.UUID, **values: Any) -> None:
    await session.execute(update(RUNS).where(RUNS.c.id == run_id).values(**values))


async def try_lock(session: AsyncSession, key: str) -> bool:
    """The advisory lock ``key`` until the session's transaction ends, if nobody holds it."""
    return bool(await session.scalar(TRY_LOCK, {"key": key}))


async def insert_run(session: AsyncSession, **values: Any) -> uuid.UUID:
    run_id: uuid.UUID = await session.scalar(RUNS.insert().values(**values).returning(RUNS.c.id))
    return run_id


def drop_unhanded(runs: str) -> TextClause:
    """Delete the parts not handed over of the tenant's ``runs`` (a condition on ``r``) and their planned messages:
    they never left the service (a part writes its dispatches as it hands them over)."""
    return text(
        f"""
WITH dropped AS (
  DELETE FROM dunning.run_parts p USING dunning.runs r
  WHERE r.tenant_id = :tenant_id AND {runs}
    AND p.tenant_id = r.tenant_id AND p.run_id = r.id AND p.handed_at IS NULL
  RETURNING p.run_id, p.part
)
DELETE FROM {PLANNED_MESSAGES} m USING dropped
WHERE m.tenant_id = :tenant_id AND m.run_id = dropped.run_id AND m.part = dropped.part"""
    )


_DROP_FAILED_RUN = drop_unhanded("r.id = :run_id")
# Another run of the tenant still "running" while we hold the lock and none is alive: its worker died.
_DROP_DEAD_RUNS = drop_unhanded("r.id <> :run_id AND r.status = 'running' AND NOT r.dry_run")
_OTHER_LIVE_RUN = text(
    """
SELECT 1 FROM dunning.runs
WHERE tenant_id = :tenant_id AND id <> :run_id AND status = 'running' AND NOT dry_run
  AND coalesce(heartbeat_at, started_at) >= now() - make_interval(secs => :stale)
LIMIT 1"""
)


async def drop_failed_run(session: AsyncSession, run_id: uuid.UUID) -> None:
    """What the failed run did not hand over is dropped."""
    tenant_id = await session.scalar(select(RUNS.c.tenant_id).where(RUNS.c.id == run_id))
    await session.execute(_DROP_FAILED_RUN, {"tenant_id": tenant_id, "run_id": run_id})


async def interrupt_dead_runs(
    session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID, running: str, **values: Any
) -> None:
    """Under the tenant's lock, with no other run of it alive: any other real run still ``running`` died with its
    worker; its parts not handed over are dropped and it takes ``values``."""
    await session.execute(_DROP_DEAD_RUNS, {"tenant_id": tenant_id, "run_id": run_id})
    await session.execute(
        update(RUNS)
        .where(RUNS.c.tenant_id == tenant_id, RUNS.c.status == running, RUNS.c.id != run_id, RUNS.c.dry_run.is_(False))
        .values(**values)
    )


async def other_live_run(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID, stale: int) -> bool:
    """Another real run of the tenant is being handed over (its heartbeat younger than ``stale`` seconds)."""
    params = {"tenant_id": tenant_id, "run_id": run_id, "stale": stale}
    return bool(await session.scalar(_OTHER_LIVE_RUN, params))


async def complete_run(session: AsyncSession, run_id: uuid.UUID, running: str, **values: Any) -> bool:
    """The run takes ``values`` if it is still ``running`` (once, whichever worker gets here last)."""
    done = await session.scalar(
        update(RUNS).where(RUNS.c.id == run_id, RUNS.c.status == running).values(**values).returning(RUNS.c.id)
    )
    return done is not None


# ----------------------------------------------------------------------------------------------------- parts

_CLAIM_PART = text(
    """
SELECT part FROM dunning.run_parts
WHERE tenant_id = :tenant_id AND run_id = :run_id AND handed_at IS NULL
ORDER BY part LIMIT 1 FOR UPDATE SKIP LOCKED"""
)
_PART_HANDED = text(
    "UPDATE dunning.run_parts SET handed_at = now() WHERE tenant_id = :tenant_id AND run_id = :run_id AND part = :part"
)
_UNHANDED_PARTS = text("SELECT count(*) FROM dunning.run_parts WHERE run_id = :run_id AND handed_at IS NULL")


async def unhanded_parts(session: AsyncSession, run_id: uuid.UUID) -> int:
    return int(await session.scalar(_UNHANDED_PARTS, {"run_id": run_id}) or 0)


async def claim_part(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> int | None:
    """A part nobody holds, locked until the session's transaction ends (``SKIP LOCKED``: another worker's part
    is skipped); None once every part is handed over or held."""
    part: int | None = await session.scalar(_CLAIM_PART, {"tenant_id": tenant_id, "run_id": run_id})
    return part


async def part_handed(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID, part: int) -> None:
    await session.execute(_PART_HANDED, {"tenant_id": tenant_id, "run_id": run_id, "part": part})


# ----------------------------------------------------------------------------------------- schedule and sweep

# Each tenant's instant is its own clock's: its test clock when it has one (issue 15), else the wall clock
# (``:now``); ``:at`` plays one tenant's instant given by the caller (a test clock's day being advanced).
_SCHEDULE = text(
    """
WITH clocks AS (
  SELECT t.tenant_id, t.run_hour,
         coalesce(CAST(:at AS timestamptz), t.test_clock, CAST(:now AS timestamptz))
           AT TIME ZONE coalesce(t.timezone, 'UTC') AS local_now
  FROM dunning.tenants t
  WHERE t.active AND t.automatic AND (CAST(:tenant_id AS uuid) IS NULL OR t.tenant_id = CAST(:tenant_id AS uuid))
)
INSERT INTO dunning.runs (id, tenant_id, as_of, dry_run, trigger, status, requested_by)
SELECT gen_random_uuid(), c.tenant_id, CAST(c.local_now AS date), false, 'schedule', 'queued', 'schedule'
FROM clocks c
WHERE extract(hour FROM c.local_now) >= c.run_hour
ON CONFLICT (tenant_id, as_of) WHERE trigger = 'schedule' DO NOTHING
RETURNING id
"""
)
# Runs, dry or real, whose job was lost: queued for a while (no job took them: the enqueue or the job failed, Redis
# lost it) unless, for a real run, a live real run of the tenant holds it back; or running with a stale heartbeat
# (their worker died).
_LOST = text(
    """
SELECT r.id, r.dry_run FROM dunning.runs r
WHERE r.status IN ('queued', 'running') AND (
    (r.status = 'queued' AND r.created_at < CAST(:stale AS timestamptz)
     AND (r.dry_run OR NOT EXISTS (
         SELECT 1 FROM dunning.runs o WHERE o.tenant_id = r.tenant_id AND o.status = 'running' AND NOT o.dry_run
           AND o.heartbeat_at >= CAST(:stale AS timestamptz))))
    OR (r.status = 'running' AND coalesce(r.heartbeat_at, r.started_at, r.created_at) < CAST(:stale AS timestamptz))
)
"""
)


async def schedule(
    session: AsyncSession, now: datetime, tenant_id: uuid.UUID | None, at: datetime | None
) -> list[uuid.UUID]:
    """Today's scheduled run of every tenant whose local run hour has come on its clock, in one INSERT (the
    unique index makes it once per tenant and local day). Returns the runs created."""
    params = {"now": now, "tenant_id": tenant_id, "at": at}
    return list((await session.execute(_SCHEDULE, params)).scalars())


async def lost_runs(session: AsyncSession, stale: datetime) -> list[LostRun]:
    """Runs whose job or worker was lost (see ``_LOST``)."""
    return [LostRun(row.id, row.dry_run) for row in await session.execute(_LOST, {"stale": stale})]


async def runs_in_flight(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """The tenant's runs queued or running (a test clock's advance waits for them)."""
    query = text("SELECT count(*) FROM dunning.runs WHERE tenant_id = :tenant_id AND status IN ('queued', 'running')")
    return int((await session.execute(query, {"tenant_id": tenant_id})).scalar_one())
