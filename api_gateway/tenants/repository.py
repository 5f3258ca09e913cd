"""Tenants (ORM: ``models.Tenant``)."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.models import Tenant


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return await session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None


async def get(session: AsyncSession, tenant_id: uuid.UUID, for_update: bool = False) -> Tenant | None:
    return await session.get(Tenant, tenant_id, with_for_update=for_update)


async def active_id_by_slug(session: AsyncSession, slug: str) -> uuid.UUID | None:
    """The id of the active tenant with this slug (any case)."""
    return await session.scalar(select(Tenant.id).where(Tenant.slug == func.lower(slug), Tenant.active))


async def add(session: AsyncSession, tenant: Tenant) -> None:
    session.add(tenant)
    await session.flush()
