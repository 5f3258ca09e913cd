"""The tenant's users (ORM: ``models.User``)."""

import uuid
from typing import Any

from sqlalchemy import any_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.models import Tenant, User


async def email_taken(session: AsyncSession, tenant_id: uuid.UUID, email: str) -> bool:
    taken = await session.scalar(
        select(User.id).where(User.tenant_id == tenant_id, func.lower(User.email) == email.lower())
    )
    return taken is not None


async def get(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return await session.scalar(select(User).where(User.id == user_id, User.tenant_id == tenant_id))


async def page(
    session: AsyncSession, tenant_id: uuid.UUID, limit: int, after: list[Any] | None, role: str | None
) -> list[User]:
    """One page of the tenant's users by email (one more than ``limit``: ``make_page`` sees whether more follow)."""
    query = select(User).where(User.tenant_id == tenant_id)
    if role:
        query = query.where(literal(role) == any_(User.roles))
    if after:
        query = query.where(User.email > after[0])
    return list((await session.scalars(query.order_by(User.email).limit(limit + 1))).all())


async def for_login(session: AsyncSession, tenant_slug: str, email: str) -> User | None:
    """The user of an active tenant with this email (any case), active or not."""
    return await session.scalar(
        select(User)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(Tenant.slug == tenant_slug, Tenant.active, func.lower(User.email) == email.lower())
    )


async def active(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    """The user when both it and its tenant are active."""
    return await session.scalar(
        select(User)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.id == user_id, User.tenant_id == tenant_id, User.active, Tenant.active)
    )


async def find(session: AsyncSession, tenant_id: uuid.UUID, user_ids: list[uuid.UUID], emails: list[str]) -> list[User]:
    """The tenant's users with these ids or emails (any case), by id."""
    lowered = [e.lower() for e in emails]
    users = await session.scalars(
        select(User)
        .where(User.tenant_id == tenant_id, or_(User.id.in_(user_ids), func.lower(User.email).in_(lowered)))
        .order_by(User.id)
    )
    return list(users)


async def add(session: AsyncSession, user: User) -> None:
    """Insert ``user`` now (an IntegrityError here is a parallel insert of the same email)."""
    session.add(user)
    await session.flush()
