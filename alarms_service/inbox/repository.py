"""The inbox's reads and writes, always scoped by tenant and user: newest first, keyset pagination; an item is
acknowledged once (the first time is kept). The digests' items are written with their digests
(``digests/selection_repository.fill_inbox``), the admins' alerts' here (``file_items``)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.models import InboxItem
from shared.pagination import newest_first

_items = InboxItem.__table__


@dataclass(frozen=True, slots=True)
class InboxRow:
    """A row of ``alarms.inbox_items``."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    source_id: uuid.UUID
    alarm: str | None
    period: str | None
    title: str
    summary: str
    lines: list[str]
    action: str
    row_count: int
    created_at: datetime
    acknowledged_at: datetime | None


async def list_items(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    unacknowledged: bool = False,
    alarm: str | None = None,
    kind: str | None = None,
) -> list[InboxRow]:
    query = select(_items).where(_items.c.tenant_id == tenant_id, _items.c.user_id == user_id)
    if unacknowledged:
        query = query.where(_items.c.acknowledged_at.is_(None))
    equal = {_items.c.alarm: alarm, _items.c.kind: kind}
    return await newest_first(session, query, _items.c.created_at, _items.c.id, after, limit, InboxRow, equal)


async def unacknowledged_count(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(_items)
        .where(_items.c.tenant_id == tenant_id, _items.c.user_id == user_id, _items.c.acknowledged_at.is_(None))
    )
    return int((await session.execute(query)).scalar_one())


async def acknowledge(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, item_id: uuid.UUID | None = None
) -> int:
    """Acknowledge one item of the user's (``item_id``) or all of them; answers how many were newly acknowledged."""
    statement = update(_items).where(
        _items.c.tenant_id == tenant_id, _items.c.user_id == user_id, _items.c.acknowledged_at.is_(None)
    )
    if item_id is not None:
        statement = statement.where(_items.c.id == item_id)
    result = await session.execute(statement.values(acknowledged_at=func.now()))
    return int(getattr(result, "rowcount", 0) or 0)


async def get_item(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, item_id: uuid.UUID
) -> InboxRow | None:
    query = select(_items).where(_items.c.tenant_id == tenant_id, _items.c.user_id == user_id, _items.c.id == item_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else InboxRow(**row)


async def file_items(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Items of the inboxes (one per user); one already filed for the same user and source is left as it is."""
    if rows:
        await session.execute(insert(_items).on_conflict_do_nothing(), rows)
