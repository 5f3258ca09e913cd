"""The links (by the token's hash), their opens and revocations."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.portal.models import Link
from shared.db import row_as
from shared.pagination import newest_first

_links = Link.__table__


@dataclass(frozen=True, slots=True)
class LinkRow:
    tenant_id: uuid.UUID
    id: uuid.UUID
    customer_id: uuid.UUID
    message_id: uuid.UUID | None
    channel: str | None
    language: str | None
    issued_by: str
    issued_at: datetime
    revoked_at: datetime | None
    opens: int
    last_opened_at: datetime | None


_COLUMNS = [_links.c[name] for name in LinkRow.__dataclass_fields__]


async def insert_links(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Store links; a token already stored (a message redelivered) is kept as it was."""
    if not rows:
        return 0
    result = await session.execute(
        insert(_links).values(list(rows)).on_conflict_do_nothing(index_elements=["token_hash"]).returning(_links.c.id)
    )
    return len(result.all())


async def find_by_hash(session: AsyncSession, token_hash: bytes) -> LinkRow | None:
    row = (await session.execute(select(*_COLUMNS).where(_links.c.token_hash == token_hash))).mappings().first()
    return row_as(LinkRow, row) if row is not None else None


async def load(session: AsyncSession, tenant_id: uuid.UUID, link_id: uuid.UUID) -> LinkRow | None:
    statement = select(*_COLUMNS).where(_links.c.tenant_id == tenant_id, _links.c.id == link_id)
    row = (await session.execute(statement)).mappings().first()
    return row_as(LinkRow, row) if row is not None else None


async def list_links(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID | None, *, limit: int, after: list[Any] | None
) -> list[LinkRow]:
    """Newest first."""
    statement = select(*_COLUMNS).where(_links.c.tenant_id == tenant_id)
    equal = {_links.c.customer_id: customer_id}
    return await newest_first(session, statement, _links.c.issued_at, _links.c.id, after, limit, LinkRow, equal)


async def record_open(session: AsyncSession, tenant_id: uuid.UUID, link_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(_links)
        .where(_links.c.tenant_id == tenant_id, _links.c.id == link_id)
        .values(opens=_links.c.opens + 1, last_opened_at=now)
    )


async def revoke(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    now: datetime,
    *,
    customer_id: uuid.UUID | None = None,
    link_id: uuid.UUID | None = None,
) -> int:
    statement = update(_links).where(_links.c.tenant_id == tenant_id, _links.c.revoked_at.is_(None))
    if customer_id is not None:
        statement = statement.where(_links.c.customer_id == customer_id)
    if link_id is not None:
        statement = statement.where(_links.c.id == link_id)
    result = await session.execute(statement.values(revoked_at=now).returning(_links.c.id))
    return len(result.all())
