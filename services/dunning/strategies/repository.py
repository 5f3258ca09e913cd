"""Strategy queries."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.dunning.models import Strategy, StrategyVersion, table_of
from shared.pagination import keyset

_table = table_of(Strategy)


async def get_for_update(session: AsyncSession, tenant_id: uuid.UUID, strategy_id: uuid.UUID) -> Strategy | None:
    return await session.scalar(
        select(Strategy)
        .where(Strategy.tenant_id == tenant_id, Strategy.id == strategy_id, Strategy.archived.is_(False))
        .with_for_update()
    )


async def read(conn: AsyncConnection, tenant_id: uuid.UUID, strategy_id: uuid.UUID) -> Any:
    query = select(_table).where(_table.c.tenant_id == tenant_id, _table.c.id == strategy_id)
    return (await conn.execute(query)).mappings().first()


async def find_default(session: AsyncSession, tenant_id: uuid.UUID) -> Strategy | None:
    return await session.scalar(
        select(Strategy).where(
            Strategy.tenant_id == tenant_id, Strategy.is_default.is_(True), Strategy.archived.is_(False)
        )
    )


async def find_by_name(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> Strategy | None:
    return await session.scalar(
        select(Strategy).where(Strategy.tenant_id == tenant_id, Strategy.name == name, Strategy.archived.is_(False))
    )


async def list_strategies(
    conn: AsyncConnection,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    active: bool | None = None,
    include_archived: bool = False,
) -> list[Any]:
    """In the order they are tried: priority, name, id."""
    query = select(_table).where(_table.c.tenant_id == tenant_id)
    if not include_archived:
        query = query.where(_table.c.archived.is_(False))
    if active is not None:
        query = query.where(_table.c.active.is_(active))
    query = keyset(query, (_table.c.priority, _table.c.name, _table.c.id), (int, str, uuid.UUID), after, limit)
    return list((await conn.execute(query)).mappings().all())


async def live_strategies(conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID) -> list[Any]:
    """Every strategy that is not archived (active or not), for runs, explain and forecast."""
    query = select(_table).where(_table.c.tenant_id == tenant_id, _table.c.archived.is_(False))
    return list((await conn.execute(query)).mappings().all())


async def list_versions(
    conn: AsyncConnection, tenant_id: uuid.UUID, strategy_id: uuid.UUID, *, limit: int, after: list[Any] | None
) -> list[Any]:
    """Newest version first."""
    table = table_of(StrategyVersion)
    query = keyset(
        select(table).where(table.c.tenant_id == tenant_id, table.c.strategy_id == strategy_id),
        (table.c.version,),
        (int,),
        after,
        limit,
        newest_first=True,
    )
    return list((await conn.execute(query)).mappings().all())
