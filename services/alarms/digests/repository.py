"""Reads of runs and digests (always scoped by tenant; newest first, keyset pagination)."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alarms.models import Digest, Run
from shared.pagination import keyset

_digests = Digest.__table__
_runs = Run.__table__
# Lists leave the rows out: a digest may carry thousands.
_LISTED = [c for c in _digests.c if c.name != "rows"]


def _newest_first(query: Any, table: Any, after: list[Any] | None, limit: int) -> Any:
    key = (table.c.created_at, table.c.id)
    return keyset(query, key, (datetime.fromisoformat, uuid.UUID), after, limit, newest_first=True)


async def list_digests(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    alarm: str | None = None,
    audience: str | None = None,
    recipient_id: uuid.UUID | None = None,
    period: str | None = None,
    run_id: uuid.UUID | None = None,
    as_of_from: date | None = None,
    as_of_to: date | None = None,
    only_user: uuid.UUID | None = None,
) -> list[Any]:
    query = select(*_LISTED).where(_digests.c.tenant_id == tenant_id)
    for column, value in (
        (_digests.c.alarm, alarm),
        (_digests.c.audience, audience),
        (_digests.c.period, period),
        (_digests.c.run_id, run_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if recipient_id is not None:
        query = query.where(or_(_digests.c.recipient_id == recipient_id, _digests.c.recipient_user_id == recipient_id))
    if only_user is not None:
        query = query.where(_digests.c.recipient_user_id == only_user)
    if as_of_from is not None:
        query = query.where(_digests.c.as_of >= as_of_from)
    if as_of_to is not None:
        query = query.where(_digests.c.as_of <= as_of_to)
    return list((await session.execute(_newest_first(query, _digests, after, limit))).mappings().all())


async def get_digest(session: AsyncSession, tenant_id: uuid.UUID, digest_id: uuid.UUID) -> Any | None:
    query = select(_digests).where(_digests.c.tenant_id == tenant_id, _digests.c.id == digest_id)
    return (await session.execute(query)).mappings().first()


async def run_digests(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> list[Any]:
    query = (
        select(*_LISTED)
        .where(_digests.c.tenant_id == tenant_id, _digests.c.run_id == run_id)
        .order_by(_digests.c.alarm, _digests.c.audience, _digests.c.recipient_name, _digests.c.id)
    )
    return list((await session.execute(query)).mappings().all())


async def list_runs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    trigger: str | None = None,
    status: str | None = None,
) -> list[Any]:
    query = select(_runs).where(_runs.c.tenant_id == tenant_id)
    if trigger is not None:
        query = query.where(_runs.c.trigger == trigger)
    if status is not None:
        query = query.where(_runs.c.status == status)
    return list((await session.execute(_newest_first(query, _runs, after, limit))).mappings().all())


async def get_run(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> Any | None:
    query = select(_runs).where(_runs.c.tenant_id == tenant_id, _runs.c.id == run_id)
    return (await session.execute(query)).mappings().first()
