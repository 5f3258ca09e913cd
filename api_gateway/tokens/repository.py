"""Refresh tokens, stored as their sha256 (``models.RefreshToken``). Spending one is one conditional UPDATE: of two
parallel refreshes with one token only one finds it unspent."""

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api_gateway.models import RefreshToken
from api_gateway.tokens.rules import StoredToken

_SPEND = text(
    "UPDATE gateway.refresh_tokens SET spent_at = now() "
    "WHERE token_hash = :hash AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > now() "
    "RETURNING tenant_id, user_id, family_id"
)
_FIND = text("SELECT family_id, spent_at, revoked_at, expires_at FROM gateway.refresh_tokens WHERE token_hash = :hash")
_REVOKE_FAMILY = text(
    "UPDATE gateway.refresh_tokens SET revoked_at = now() WHERE family_id = :family AND revoked_at IS NULL"
)
_REVOKE_USER = text("UPDATE gateway.refresh_tokens SET revoked_at = now() WHERE user_id = :user AND revoked_at IS NULL")
_PURGE = text("DELETE FROM gateway.refresh_tokens WHERE expires_at < now() - interval '1 day'")


@dataclass(frozen=True, slots=True)
class SpentToken:
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    family_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class FoundToken:
    family_id: uuid.UUID
    stored: StoredToken


async def add(session: AsyncSession, token: RefreshToken) -> None:
    session.add(token)
    await session.flush()


async def spend(session: AsyncSession, token_hash: str) -> SpentToken | None:
    """Mark the token spent when it is live (not spent, revoked nor expired); None when it is not."""
    row = (await session.execute(_SPEND, {"hash": token_hash})).first()
    return None if row is None else SpentToken(row.tenant_id, row.user_id, row.family_id)


async def find(session: AsyncSession, token_hash: str) -> FoundToken | None:
    row = (await session.execute(_FIND, {"hash": token_hash})).first()
    if row is None:
        return None
    return FoundToken(row.family_id, StoredToken(row.spent_at, row.revoked_at, row.expires_at))


async def revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(_REVOKE_FAMILY, {"family": family_id})


async def revoke_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Revoke every refresh token of a user (their password changed, or they were deactivated)."""
    await session.execute(_REVOKE_USER, {"user": user_id})


async def purge_expired(session: AsyncSession) -> int:
    """Delete tokens expired over a day ago: spent or not, they can only be refused (as expired) by then."""
    result = await session.execute(_PURGE)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DML result (CursorResult) has rowcount
