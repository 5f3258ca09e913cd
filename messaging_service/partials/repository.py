"""Queries of the tenant's template partials (ORM rows, typed by ``models.TemplatePartial``)."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import TemplatePartial
from shared.pagination import keyset


async def find_partial(
    session: AsyncSession, tenant_id: uuid.UUID, partial_id: uuid.UUID, lock: bool = False
) -> TemplatePartial | None:
    query = select(TemplatePartial).where(TemplatePartial.tenant_id == tenant_id, TemplatePartial.id == partial_id)
    return await session.scalar(query.with_for_update() if lock else query)


async def list_partials(
    session: AsyncSession, tenant_id: uuid.UUID, *, limit: int, after: list[Any] | None
) -> list[TemplatePartial]:
    query = select(TemplatePartial).where(TemplatePartial.tenant_id == tenant_id)
    query = keyset(query, (TemplatePartial.name,), (str,), after, limit)
    return list((await session.scalars(query)).all())
