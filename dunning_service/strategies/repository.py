"""Strategy queries."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.models import Strategy, StrategyVersion
from shared.db import row_as
from shared.pagination import keyset

_table = Strategy.__table__


@dataclass(frozen=True, slots=True)
class StrategyRow:
    """A strategy as stored (``models.Strategy``): its steps and match as JSON."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    description: str | None
    priority: int
    is_default: bool
    manual_only: bool
    active: bool
    archived: bool
    for_payment_plans: bool
    match: dict[str, Any]
    steps: list[dict[str, Any]]
    version: int
    updated_by: str | None
    created_at: datetime
    updated_at: datetime
    fees: list[dict[str, Any]] | None = None  # issue 19: None takes the tenant's default fee rules


@dataclass(frozen=True, slots=True)
class StrategyVersionRow:
    """A strategy as it was in one version (``models.StrategyVersion``)."""

    tenant_id: uuid.UUID
    strategy_id: uuid.UUID
    version: int
    snapshot: dict[str, Any]
    changed_by: str | None
    created_at: datetime


async def get_for_update(session: AsyncSession, tenant_id: uuid.UUID, strategy_id: uuid.UUID) -> Strategy | None:
    return await session.scalar(
        select(Strategy)
        .where(Strategy.tenant_id == tenant_id, Strategy.id == strategy_id, Strategy.archived.is_(False))
        .with_for_update()
    )


async def read(session: AsyncSession, tenant_id: uuid.UUID, strategy_id: uuid.UUID) -> StrategyRow | None:
    query = select(_table).where(_table.c.tenant_id == tenant_id, _table.c.id == strategy_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else row_as(StrategyRow, row)


async def find_default(session: AsyncSession, tenant_id: uuid.UUID) -> Strategy | None:
    return await session.scalar(
        select(Strategy).where(
            Strategy.tenant_id == tenant_id, Strategy.is_default.is_(True), Strategy.archived.is_(False)
        )
    )


async def find_for_plans(session: AsyncSession, tenant_id: uuid.UUID) -> Strategy | None:
    """The active strategy that follows payment plans' installments (issue 19), if any."""
    return await session.scalar(
        select(Strategy).where(
            Strategy.tenant_id == tenant_id,
            Strategy.for_payment_plans.is_(True),
            Strategy.active.is_(True),
            Strategy.archived.is_(False),
        )
    )


async def find_by_name(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> Strategy | None:
    return await session.scalar(
        select(Strategy).where(Strategy.tenant_id == tenant_id, Strategy.name == name, Strategy.archived.is_(False))
    )


async def list_strategies(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    active: bool | None = None,
    include_archived: bool = False,
) -> list[StrategyRow]:
    """In the order they are tried: priority, name, id."""
    query = select(_table).where(_table.c.tenant_id == tenant_id)
    if not include_archived:
        query = query.where(_table.c.archived.is_(False))
    if active is not None:
        query = query.where(_table.c.active.is_(active))
    query = keyset(query, (_table.c.priority, _table.c.name, _table.c.id), (int, str, uuid.UUID), after, limit)
    return [row_as(StrategyRow, row) for row in (await session.execute(query)).mappings()]


async def live_strategies(session: AsyncSession, tenant_id: uuid.UUID) -> list[StrategyRow]:
    """Every strategy that is not archived (active or not), for runs, explain and forecast."""
    query = select(_table).where(_table.c.tenant_id == tenant_id, _table.c.archived.is_(False))
    return [row_as(StrategyRow, row) for row in (await session.execute(query)).mappings()]


async def list_versions(
    session: AsyncSession, tenant_id: uuid.UUID, strategy_id: uuid.UUID, *, limit: int, after: list[Any] | None
) -> list[StrategyVersionRow]:
    """Newest version first."""
    table = StrategyVersion.__table__
    query = keyset(
        select(table).where(table.c.tenant_id == tenant_id, table.c.strategy_id == strategy_id),
        (table.c.version,),
        (int,),
        after,
        limit,
        newest_first=True,
    )
    return [row_as(StrategyVersionRow, row) for row in (await session.execute(query)).mappings()]
