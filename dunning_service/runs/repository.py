"""Run and dispatch queries."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.models import Dispatch, Run
from shared.db import row_as
from shared.pagination import newest_first, typed_cursor

_runs = Run.__table__
_dispatches = Dispatch.__table__


@dataclass(frozen=True, slots=True)
class RunRow:
    """A run as stored (``models.Run``); listings leave the dry run's ``plan`` out."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    as_of: date
    dry_run: bool
    trigger: str
    status: str
    requested_by: str | None
    counts: dict[str, Any]
    strategy_versions: dict[str, Any]
    note: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    planned_at: datetime | None
    plan_limit: int | None
    plan: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DispatchRow:
    """What a run handed over for one customer (``models.Dispatch``)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    customer_id: uuid.UUID
    as_of: date
    idempotency_key: str
    channel: str | None
    address: str | None
    kind: str
    tone: int
    action: str | None
    state: str
    strategy_id: uuid.UUID
    invoice_ids: list[uuid.UUID]
    step_ids: list[uuid.UUID]
    step_keys: list[str]
    action_invoice_ids: list[uuid.UUID]
    message_id: uuid.UUID | None
    delivery_state: str | None
    error: str | None
    created_at: datetime
    resolved_at: datetime | None
    origin_id: uuid.UUID | None
    part: int | None


async def read(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> RunRow | None:
    query = select(_runs).where(_runs.c.tenant_id == tenant_id, _runs.c.id == run_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else row_as(RunRow, row)


async def delivery(session: AsyncSession, run_id: uuid.UUID) -> dict[str, int]:
    query = (
        select(_dispatches.c.state, func.count()).where(_dispatches.c.run_id == run_id).group_by(_dispatches.c.state)
    )
    return {state: n for state, n in (await session.execute(query)).all()}


async def list_runs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    dry_run: bool | None = None,
    status: str | None = None,
    trigger: str | None = None,
    as_of_from: date | None = None,
    as_of_to: date | None = None,
) -> list[RunRow]:
    """Newest first, without dry runs' plans (read one run for its plan)."""
    query = select(*(c for c in _runs.c if c.name != "plan")).where(_runs.c.tenant_id == tenant_id)
    if as_of_from:
        query = query.where(_runs.c.as_of >= as_of_from)
    if as_of_to:
        query = query.where(_runs.c.as_of <= as_of_to)
    equal = {_runs.c.dry_run: dry_run, _runs.c.status: status, _runs.c.trigger: trigger}
    return await newest_first(session, query, _runs.c.created_at, _runs.c.id, after, limit, RunRow, equal)


async def list_dispatches(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    run_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    state: str | None = None,
) -> list[DispatchRow]:
    query = select(_dispatches).where(_dispatches.c.tenant_id == tenant_id, _dispatches.c.run_id == run_id)
    if state:
        query = query.where(_dispatches.c.state == state)
    if after:
        query = query.where(_dispatches.c.id > typed_cursor(after, uuid.UUID)[0])
    query = query.order_by(_dispatches.c.id).limit(limit + 1)
    return [row_as(DispatchRow, row) for row in (await session.execute(query)).mappings()]


async def customer_dispatches(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID, limit: int = 200
) -> list[DispatchRow]:
    query = (
        select(_dispatches)
        .where(_dispatches.c.tenant_id == tenant_id, _dispatches.c.customer_id == customer_id)
        .order_by(_dispatches.c.created_at.desc())
        .limit(limit)
    )
    return [row_as(DispatchRow, row) for row in (await session.execute(query)).mappings()]
