"""Refresh tokens (OAuth2, RFC 6749 §6; revocation in the style of RFC 7009): rotating and revocable.

A login starts a *family*. Each refresh spends the token it was given and issues the next one of the family; a
spent token used again is a theft sign (someone else holds a copy), so the whole family is revoked and its
holder must log in again. Spending is one conditional UPDATE: of two parallel refreshes with one token only one
finds it unspent, the other sees a reuse. A refresh reads the user and tenant as they are now: a deactivated user or
tenant gets no new access token. Changing a password or deactivating a user revokes all of that user's tokens.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.gateway.models import RefreshToken, Tenant, User
from services.gateway.security import hash_api_key, new_refresh_token
from shared.problems import Unauthorized

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


@dataclass(frozen=True, slots=True)
class StoredToken:
    spent_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime


def refusal(stored: StoredToken | None, now: datetime) -> tuple[str, bool]:
    """Why a token that could not be spent is refused, and whether its family must be revoked (a reuse)."""
    if stored is None:
        return "The refresh token is not valid", False
    if stored.revoked_at is not None:
        return "The refresh token was revoked: log in again", False
    if stored.spent_at is not None:
        return "The refresh token was already used: every token of this login is revoked, log in again", True
    if stored.expires_at <= now:
        return "The refresh token has expired: log in again", False
    return "The refresh token is not valid", False


async def issue(session: AsyncSession, user: User, ttl_seconds: int, family_id: uuid.UUID | None = None) -> str:
    """A new refresh token for ``user``: the first of a new family (a login), or the next of ``family_id``."""
    token, token_hash = new_refresh_token()
    session.add(
        RefreshToken(
            id=uuid.uuid4(),
            tenant_id=user.tenant_id,
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=token_hash,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds),
        )
    )
    await session.flush()
    return token


async def _refuse(session: AsyncSession, detail: str, family_id: uuid.UUID | None) -> Unauthorized:
    """Revoke ``family_id`` (if any) and commit now: the answer is an error, which would roll it back."""
    if family_id is not None:
        await session.execute(_REVOKE_FAMILY, {"family": family_id})
        await session.commit()
    return Unauthorized(detail)


async def rotate(session: AsyncSession, token: str, ttl_seconds: int) -> tuple[User, str]:
    """Spend ``token`` and answer its user (as they are now) with the family's next token; or raise 401."""
    token_hash = hash_api_key(token)
    spent = (await session.execute(_SPEND, {"hash": token_hash})).first()
    if spent is None:
        row = (await session.execute(_FIND, {"hash": token_hash})).first()
        stored = StoredToken(row.spent_at, row.revoked_at, row.expires_at) if row is not None else None
        detail, reused = refusal(stored, datetime.now(UTC))
        raise await _refuse(session, detail, row.family_id if reused and row is not None else None)
    user = await session.scalar(
        select(User)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.id == spent.user_id, User.tenant_id == spent.tenant_id, User.active, Tenant.active)
    )
    if user is None:
        raise await _refuse(session, "The user or its tenant is no longer active", spent.family_id)
    return user, await issue(session, user, ttl_seconds, spent.family_id)


async def revoke(session: AsyncSession, token: str) -> None:
    """Revoke the family of ``token`` (logout). Unknown tokens are ignored (RFC 7009 §2.2)."""
    family_id = await session.scalar(_FIND, {"hash": hash_api_key(token)})
    if family_id is not None:
        await session.execute(_REVOKE_FAMILY, {"family": family_id})


async def revoke_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Revoke every refresh token of a user (their password changed, or they were deactivated)."""
    await session.execute(_REVOKE_USER, {"user": user_id})


async def purge_expired(engine: AsyncEngine) -> int:
    """Delete tokens expired over a day ago: spent or not, they can only be refused (as expired) by then."""
    async with engine.begin() as conn:
        result = await conn.execute(
            text("DELETE FROM gateway.refresh_tokens WHERE expires_at < now() - interval '1 day'")
        )
    return result.rowcount
