"""The tenant's API keys (ORM: ``models.ApiKey``)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.models import ApiKey
from shared.pagination import keyset


async def add(session: AsyncSession, api_key: ApiKey) -> None:
    session.add(api_key)
    await session.flush()


async def page(session: AsyncSession, tenant_id: uuid.UUID, limit: int, after: list[Any] | None) -> list[ApiKey]:
    """One page of the tenant's keys, oldest first (one more than ``limit``)."""
    query = keyset(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id),
        (ApiKey.created_at, ApiKey.id),
        (datetime.fromisoformat, uuid.UUID),
        after,
        limit,
    )
    return list((await session.scalars(query)).all())


async def get(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return await session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id))
