"""Tenants, users and API keys. Every change announces itself through the outbox in the same transaction."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import any_, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import refresh
from services.gateway.models import ApiKey, Tenant, User, outbox
from services.gateway.schemas import ApiKeyCreate, TenantCreate, TenantUpdate, UserCreate, UserUpdate
from services.gateway.security import DUMMY_PASSWORD_HASH, hash_password, new_api_key, verify_password
from shared.contracts.gateway import TenantChanged, UserChanged
from shared.identity import ADMIN
from shared.outbox import emit
from shared.pagination import keyset
from shared.problems import Conflict, NotFound, Unauthorized, ValidationProblem


def tenant_changed(tenant: Tenant) -> TenantChanged:
    """What ``gateway.tenant_changed`` says of a tenant: every change of a tenant announces all of it."""
    return TenantChanged(
        tenant_id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        country=tenant.country,
        timezone=tenant.timezone,
        default_currency=tenant.default_currency,
        language=tenant.language,
        active=tenant.active,
        sandbox=tenant.sandbox,
        test_clock=tenant.test_clock,
    )


def user_announcement(user: User) -> UserChanged:
    """What ``gateway.user_changed`` says of a user; the internal API answers a look-up in the same shape."""
    return UserChanged(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        roles=list(user.roles),
        active=user.active,
    )


async def create_tenant(session: AsyncSession, data: TenantCreate) -> tuple[Tenant, User]:
    if await session.scalar(select(Tenant.id).where(Tenant.slug == data.slug)):
        raise Conflict(f"A tenant with slug {data.slug!r} already exists")
    tenant = Tenant(
        id=uuid.uuid4(),
        slug=data.slug,
        name=data.name,
        country=data.country,
        timezone=data.timezone,
        default_currency=data.default_currency,
        language=data.language,
        active=True,
        sandbox=data.sandbox,
    )
    session.add(tenant)
    await session.flush()
    admin = await create_user(
        session,
        tenant.id,
        UserCreate(
            email=data.admin.email,
            full_name=data.admin.full_name,
            password=data.admin.password,
            roles=["admin"],
        ),
        announce_tenant=tenant,
    )
    return tenant, admin


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID, for_update: bool = False) -> Tenant:
    tenant = await session.get(Tenant, tenant_id, with_for_update=for_update)
    if tenant is None:
        raise NotFound("Tenant not found")
    return tenant


async def update_tenant(session: AsyncSession, tenant_id: uuid.UUID, data: TenantUpdate) -> Tenant:
    tenant = await get_tenant(session, tenant_id)
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(tenant, field, value)
    await session.flush()
    await emit(session, outbox, tenant.id, tenant_changed(tenant))
    return tenant


async def create_user(
    session: AsyncSession, tenant_id: uuid.UUID, data: UserCreate, announce_tenant: Tenant | None = None
) -> User:
    taken = await session.scalar(
        select(User.id).where(User.tenant_id == tenant_id, func.lower(User.email) == data.email.lower())
    )
    if taken:
        raise Conflict(f"A user with email {data.email!r} already exists in this tenant")
    user = User(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        email=data.email,
        full_name=data.full_name,
        password_hash=hash_password(data.password),
        roles=sorted({str(r) for r in data.roles}),
        active=True,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"A user with email {data.email!r} already exists in this tenant") from None
    if announce_tenant is not None:  # the tenant's event must come first for consumers
        await emit(session, outbox, tenant_id, tenant_changed(announce_tenant))
    await emit(session, outbox, tenant_id, user_announcement(user))
    return user


async def get_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await session.scalar(select(User).where(User.id == user_id, User.tenant_id == tenant_id))
    if user is None:
        raise NotFound("User not found")
    return user


async def list_users(
    session: AsyncSession, tenant_id: uuid.UUID, limit: int, after: list | None, role: str | None
) -> list[User]:
    query = select(User).where(User.tenant_id == tenant_id)
    if role:
        query = query.where(literal(role) == any_(User.roles))
    if after:
        query = query.where(User.email > after[0])
    return list((await session.scalars(query.order_by(User.email).limit(limit + 1))).all())


def own_lockout(data: UserUpdate) -> ValidationProblem | None:
    """An admin may not deactivate themselves nor drop their own admin role: the last admin of a tenant would lock
    everyone out, and a caller that did it by mistake could not undo it. Another admin can."""
    if data.active is False:
        return ValidationProblem.field("active", "you cannot deactivate yourself: another admin can")
    if data.roles is not None and ADMIN not in data.roles:
        return ValidationProblem.field("roles", "you cannot give up your own admin role: another admin can")
    return None


async def update_user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, data: UserUpdate) -> User:
    user = await get_user(session, tenant_id, user_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "password" in changes or changes.get("active") is False:  # whoever held a session must log in again
        await refresh.revoke_user(session, user.id)
    if "password" in changes:
        user.password_hash = hash_password(changes.pop("password"))
    if "roles" in changes:
        changes["roles"] = sorted({str(r) for r in changes["roles"]})
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    await emit(session, outbox, tenant_id, user_announcement(user))
    return user


async def authenticate_user(session: AsyncSession, tenant_slug: str, email: str, password: str) -> User:
    user = await session.scalar(
        select(User)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(Tenant.slug == tenant_slug, Tenant.active, func.lower(User.email) == email.lower())
    )
    if user is None:
        verify_password(DUMMY_PASSWORD_HASH, password)
        raise Unauthorized("Wrong tenant, email or password")
    if not verify_password(user.password_hash, password) or not user.active:
        raise Unauthorized("Wrong tenant, email or password")
    return user


async def create_api_key(
    session: AsyncSession, tenant_id: uuid.UUID, data: ApiKeyCreate, created_by: str, default_limit: int
) -> tuple[ApiKey, str]:
    key, prefix, key_hash = new_api_key()
    api_key = ApiKey(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=data.name,
        prefix=prefix,
        key_hash=key_hash,
        roles=sorted({str(r) for r in data.roles}),
        rate_limit_per_minute=data.rate_limit_per_minute or default_limit,
        created_by=created_by,
    )
    session.add(api_key)
    await session.flush()
    return api_key, key


async def list_api_keys(session: AsyncSession, tenant_id: uuid.UUID, limit: int, after: list | None) -> list[ApiKey]:
    query = keyset(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id),
        (ApiKey.created_at, ApiKey.id),
        (datetime.fromisoformat, uuid.UUID),
        after,
        limit,
    )
    return list((await session.scalars(query)).all())


async def revoke_api_key(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    api_key = await session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == tenant_id))
    if api_key is None:
        raise NotFound("API key not found")
    if api_key.revoked_at is None:
        api_key.revoked_at = datetime.now(UTC)
        await session.flush()
    return api_key
