"""Run and dispatch queries."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dunning.models import Dispatch, Run, table_of
from shared.pagination import keyset, typed_cursor

_runs = table_of(Run)
_dispatches = table_of(Dispatch)


async def read(conn: AsyncConnection, tenant_id: uuid.UUID, run_id: uuid.UUID) -> Any:
    query = select(_runs).where(_runs.c.tenant_id == tenant_id, _runs.c.id == run_id)
    return (await conn.execute(query)).mappings().first()


async def delivery(conn: AsyncConnection, run_id: uuid.UUID) -> dict[str, int]:
    query = (
        select(_dispatches.c.state, func.count()).where(_dispatches.c.run_id == run_id).group_by(_dispatches.c.state)
    )
    return {state: n for state, n in (await conn.execute(query)).all()}


async def list_runs(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    dry_run: bool | None = None,
    status: str | None = None,
    trigger: str | None = None,
    as_of_from: date | None = None,
    as_of_to: date | None = None,
) -> list[Any]:
    """Newest first, without dry runs' plans (read one run for its plan)."""
    query = select(*(c for c in _runs.c if c.name != "plan")).where(_runs.c.tenant_id == tenant_id)
    if dry_run is not None:
        query = query.where(_runs.c.dry_run.is_(dry_run))
    if status:
        query = query.where(_runs.c.status == status)
    if trigger:
        query = query.where(_runs.c.trigger == trigger)
    if as_of_from:
        query = query.where(_runs.c.as_of >= as_of_from)
    if as_of_to:
        query = query.where(_runs.c.as_of <= as_of_to)
    query = keyset(
        query, (_runs.c.created_at, _runs.c.id), (datetime.fromisoformat, uuid.UUID), after, limit, newest_first=True
    )
    return list((await conn.execute(query)).mappings().all())


async def list_dispatches(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    run_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    state: str | None = None,
) -> list[Any]:
    query = select(_dispatches).where(_dispatches.c.tenant_id == tenant_id, _dispatches.c.run_id == run_id)
    if state:
        query = query.where(_dispatches.c.state == state)
    if after:
        query = query.where(_dispatches.c.id > typed_cursor(after, uuid.UUID)[0])
    query = query.order_by(_dispatches.c.id).limit(limit + 1)
    return list((await conn.execute(query)).mappings().all())


async def customer_dispatches(
    conn: AsyncConnection, tenant_id: uuid.UUID, customer_id: uuid.UUID, limit: int = 200
) -> list[Any]:
    query = (
        select(_dispatches)
        .where(_dispatches.c.tenant_id == tenant_id, _dispatches.c.customer_id == customer_id)
        .order_by(_dispatches.c.created_at.desc())
        .limit(limit)
    )
    return list((await conn.execute(query)).mappings().all())
