"""The warning signs' refreshes in SQL: recorded, taken by the worker, completed or failed, listed. The partial
unique index ``uq_signs_refreshes_active`` keeps one queued or running refresh per tenant."""

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import SignsRefresh
from services.receivables.signs.repository import RefreshCounts
from services.receivables.signs.schemas import RefreshStatus, RefreshTrigger
from shared.db import advisory_xact_lock, row_as
from shared.pagination import newest_first

ACTIVE = (RefreshStatus.QUEUED, RefreshStatus.RUNNING)

_refreshes = SignsRefresh.__table__
_c = _refreshes.c
_ACTIVE_WHERE = text("status IN ('queued', 'running')")  # uq_signs_refreshes_active's predicate


@dataclass(frozen=True, slots=True)
class RefreshRow:
    id: uuid.UUID
    tenant_id: uuid.UUID
    day: date
    status: str
    trigger: str
    requested_by: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    customers: int | None
    changed: int | None
    risk_changed: int | None
    signs: int | None
    error: str | None


async def _one(session: AsyncSession, statement: Any) -> RefreshRow | None:
    row = (await session.execute(statement)).mappings().first()
    return None if row is None else row_as(RefreshRow, row)


async def insert_queued(session: AsyncSession, tenant_id: uuid.UUID, day: date, actor: str) -> RefreshRow | None:
    """A new queued refresh, or None when the tenant has one queued or running already."""
    statement = (
        insert(_refreshes)
        .values(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            day=day,
            status=RefreshStatus.QUEUED,
            trigger=RefreshTrigger.MANUAL,
            requested_by=actor,
        )
        .on_conflict_do_nothing(index_elements=[_c.tenant_id], index_where=_ACTIVE_WHERE)
        .returning(*_c)
    )
    return await _one(session, statement)


async def active(session: AsyncSession, tenant_id: uuid.UUID) -> RefreshRow | None:
    """The tenant's queued or running refresh, if any."""
    return await _one(session, select(_refreshes).where(_c.tenant_id == tenant_id, _ACTIVE_WHERE))


async def read(session: AsyncSession, tenant_id: uuid.UUID, refresh_id: uuid.UUID) -> RefreshRow | None:
    return await _one(session, select(_refreshes).where(_c.tenant_id == tenant_id, _c.id == refresh_id))


async def status(session: AsyncSession, tenant_id: uuid.UUID, refresh_id: uuid.UUID) -> str | None:
    """Just the status: what a request waiting for its refresh reads every few milliseconds."""
    query = select(_c.status).where(_c.tenant_id == tenant_id, _c.id == refresh_id)
    return (await session.execute(query)).scalar_one_or_none()


async def start(session: AsyncSession, refresh_id: uuid.UUID) -> RefreshRow | None:
    """The refresh marked running (its first start kept), or None when it is no longer queued or running."""
    statement = (
        update(_refreshes)
        .where(_c.id == refresh_id, _c.status.in_(ACTIVE))
        .values(status=RefreshStatus.RUNNING, started_at=func.coalesce(_c.started_at, func.now()))
        .returning(*_c)
    )
    return await _one(session, statement)


async def lock_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Whole-tenant refreshes one at a time (the API's and the cron's): their writes to the same signs would
    otherwise interleave, and may deadlock. Held until the transaction ends."""
    await advisory_xact_lock(session, f"receivables.signs_refresh:{tenant_id}")


async def still_running(session: AsyncSession, tenant_id: uuid.UUID, refresh_id: uuid.UUID) -> bool:
    """Whether the refresh is still to be computed (another job may have completed it meanwhile); its row is
    locked until the transaction ends."""
    query = select(_c.status).where(_c.tenant_id == tenant_id, _c.id == refresh_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none() in ACTIVE


async def complete(session: AsyncSession, tenant_id: uuid.UUID, refresh_id: uuid.UUID, counts: RefreshCounts) -> None:
    statement = (
        update(_refreshes)
        .where(_c.tenant_id == tenant_id, _c.id == refresh_id)
        .values(status=RefreshStatus.COMPLETED, finished_at=func.clock_timestamp(), error=None, **asdict(counts))
    )
    await session.execute(statement)


async def fail(session: AsyncSession, refresh_id: uuid.UUID, error: str) -> None:
    statement = (
        update(_refreshes)
        .where(_c.id == refresh_id, _c.status.in_(ACTIVE))
        .values(status=RefreshStatus.FAILED, finished_at=func.clock_timestamp(), error=error[:2000])
    )
    await session.execute(statement)


async def record_daily(session: AsyncSession, tenant_id: uuid.UUID, day: date, counts: RefreshCounts) -> None:
    """The daily cron's refresh, recorded completed in its own transaction (started when the transaction did)."""
    statement = insert(_refreshes).values(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        day=day,
        status=RefreshStatus.COMPLETED,
        trigger=RefreshTrigger.DAILY,
        requested_at=func.now(),
        started_at=func.now(),
        finished_at=func.clock_timestamp(),
        **asdict(counts),
    )
    await session.execute(statement)


async def active_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Every tenant's queued or running refresh (few: one per tenant at most, read through the partial index)."""
    return list((await session.execute(select(_c.id).where(_ACTIVE_WHERE))).scalars())


async def list_refreshes(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: list[Any] | None, status: str | None
) -> list[RefreshRow]:
    """Newest first."""
    query = select(_refreshes).where(_c.tenant_id == tenant_id)
    return await newest_first(session, query, _c.requested_at, _c.id, after, limit, RefreshRow, {_c.status: status})
