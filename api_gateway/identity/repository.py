"""The current state of the credentials a caller presents: an API key by its hash, a key's creator, a user.

Read on a cache miss of the authenticator only (``authenticator``): plain SQL, the tenant's active state joined in.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class KeyState:
    id: uuid.UUID
    tenant_id: uuid.UUID
    roles: frozenset[str]
    rate_limit_per_minute: int
    created_by: str
    usable: bool  # not revoked, its tenant active


@dataclass(frozen=True, slots=True)
class CreatorKeyState:
    roles: frozenset[str]
    created_by: str
    usable: bool  # not revoked


@dataclass(frozen=True, slots=True)
class UserState:
    roles: frozenset[str]
    usable: bool  # the user and its tenant active


_API_KEY = text(
    "SELECT k.id, k.tenant_id, k.roles, k.rate_limit_per_minute, k.created_by, "
    "(k.revoked_at IS NULL AND t.active) AS usable "
    "FROM gateway.api_keys k JOIN gateway.tenants t ON t.id = k.tenant_id WHERE k.key_hash = :hash"
)
_CREATOR_KEY = text(
    "SELECT roles, created_by, revoked_at IS NULL AS usable FROM gateway.api_keys "
    "WHERE id = :key_id AND tenant_id = :tenant_id"
)
_USER = text(
    "SELECT u.roles, (u.active AND t.active) AS usable FROM gateway.users u "
    "JOIN gateway.tenants t ON t.id = u.tenant_id WHERE u.id = :user_id AND u.tenant_id = :tenant_id"
)


async def api_key(session: AsyncSession, key_hash: str) -> KeyState | None:
    row = (await session.execute(_API_KEY, {"hash": key_hash})).first()
    if row is None:
        return None
    return KeyState(row.id, row.tenant_id, frozenset(row.roles), row.rate_limit_per_minute, row.created_by, row.usable)


async def creator_key(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> CreatorKeyState | None:
    row = (await session.execute(_CREATOR_KEY, {"key_id": key_id, "tenant_id": tenant_id})).first()
    return None if row is None else CreatorKeyState(frozenset(row.roles), row.created_by, row.usable)


async def user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserState | None:
    row = (await session.execute(_USER, {"user_id": user_id, "tenant_id": tenant_id})).first()
    return None if row is None else UserState(frozenset(row.roles), row.usable)
