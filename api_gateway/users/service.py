"""The tenant's people. Every change announces itself (``gateway.user_changed``) through the outbox in the same
transaction; a password change or a deactivation ends the user's sessions."""

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.events import tenant_changed, user_announcement
from api_gateway.identity.credentials import hash_password
from api_gateway.models import Tenant, User, outbox
from api_gateway.tokens import repository as refresh_tokens
from api_gateway.users import repository
from api_gateway.users.rules import own_lockout, stored_roles
from api_gateway.users.schemas import UserCreate, UserUpdate
from shared.outbox import emit
from shared.problems import Conflict, NotFound, ValidationProblem


async def create_user(
    session: AsyncSession, tenant_id: uuid.UUID, data: UserCreate, announce_tenant: Tenant | None = None
) -> User:
    """Add a person; ``announce_tenant``: the tenant was just created, and its event must come first for
    consumers."""
    if await repository.email_taken(session, tenant_id, data.email):
        raise Conflict(f"A user with email {data.email!r} already exists in this tenant")
    user = User(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        email=data.email,
        full_name=data.full_name,
        password_hash=hash_password(data.password),
        roles=stored_roles(data.roles),
        active=True,
    )
    try:
        await repository.add(session, user)
    except IntegrityError:
        raise Conflict(f"A user with email {data.email!r} already exists in this tenant") from None
    if announce_tenant is not None:
        await emit(session, outbox, tenant_id, tenant_changed(announce_tenant))
    await emit(session, outbox, tenant_id, user_announcement(user))
    return user


async def get_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await repository.get(session, tenant_id, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def list_users(
    session: AsyncSession, tenant_id: uuid.UUID, limit: int, after: list[Any] | None, role: str | None
) -> list[User]:
    return await repository.page(session, tenant_id, limit, after, role)


def check_own_change(data: UserUpdate) -> None:
    """Refuse (422) a change an admin may not make to themselves (``rules.own_lockout``)."""
    refusal = own_lockout(data.active, data.roles)
    if refusal is not None:
        raise ValidationProblem.field(*refusal)


async def update_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, data: UserUpdate) -> User:
    user = await get_user(session, tenant_id, user_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "password" in changes or changes.get("active") is False:  # whoever held a session must log in again
        await refresh_tokens.revoke_user(session, user.id)
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"))
    if "roles" in changes:
        changes["roles"] = stored_roles(changes["roles"])
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    await emit(session, outbox, tenant_id, user_announcement(user))
    return user
