"""People's sessions: a password grant or a refresh grant answers a short-lived access token (JWT) and a refresh
token (OAuth2, RFC 6749 §6; revocation in the style of RFC 7009): rotating and revocable.

A login starts a *family*. Each refresh spends the token it was given and issues the next one of the family; a
spent token used again is a theft sign (someone else holds a copy), so the whole family is revoked and its
holder must log in again. Spending is one conditional UPDATE: of two parallel refreshes with one token only one
finds it unspent, the other sees a reuse. A refresh reads the user and tenant as they are now: a deactivated user or
tenant gets no new access token. Changing a password or deactivating a user revokes all of that user's tokens.
"""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api_gateway.identity.credentials import (
    DUMMY_PASSWORD_HASH,
    hash_api_key,
    issue_access_token,
    new_refresh_token,
    verify_password,
)
from api_gateway.models import RefreshToken, User
from api_gateway.settings import GatewaySettings
from api_gateway.tokens import repository
from api_gateway.tokens.rules import refusal
from api_gateway.tokens.schemas import TokenOut
from api_gateway.users import repository as users
from shared.problems import Unauthorized


async def authenticate_user(session: AsyncSession, tenant_slug: str, email: str, password: str) -> User:
    """The active user of an active tenant with this email and password, or 401 (as slow for an unknown user)."""
    user = await users.for_login(session, tenant_slug, email)
    if user is None:
        verify_password(DUMMY_PASSWORD_HASH, password)
        raise Unauthorized("Wrong tenant, email or password")
    if not verify_password(user.password_hash, password) or not user.active:
        raise Unauthorized("Wrong tenant, email or password")
    return user


def token_answer(settings: GatewaySettings, user: User, refresh_token: str) -> TokenOut:
    token = issue_access_token(
        settings.jwt_secret, settings.jwt_issuer, settings.jwt_ttl_seconds, user.id, user.tenant_id, user.roles
    )
    return TokenOut(
        access_token=token,
        expires_in=settings.jwt_ttl_seconds,
        refresh_token=refresh_token,
        refresh_expires_in=settings.refresh_token_ttl_seconds,
    )


async def issue(session: AsyncSession, user: User, ttl_seconds: int, family_id: uuid.UUID | None = None) -> str:
    """A new refresh token for ``user``: the first of a new family (a login), or the next of ``family_id``."""
    token, token_hash = new_refresh_token()
    await repository.add(
        session,
        RefreshToken(
            id=uuid.uuid4(),
            tenant_id=user.tenant_id,
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=token_hash,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl_seconds),
        ),
    )
    return token


async def _refuse(session: AsyncSession, detail: str, family_id: uuid.UUID | None) -> Unauthorized:
    """Revoke ``family_id`` (if any) and commit now: the answer is an error, which would roll it back."""
    if family_id is not None:
        await repository.revoke_family(session, family_id)
        await session.commit()
    return Unauthorized(detail)


async def rotate(session: AsyncSession, token: str, ttl_seconds: int) -> tuple[User, str]:
    """Spend ``token`` and answer its user (as they are now) with the family's next token; or raise 401."""
    token_hash = hash_api_key(token)
    spent = await repository.spend(session, token_hash)
    if spent is None:
        found = await repository.find(session, token_hash)
        detail, reused = refusal(found.stored if found is not None else None, datetime.now(UTC))
        raise await _refuse(session, detail, found.family_id if reused and found is not None else None)
    user = await users.active(session, spent.tenant_id, spent.user_id)
    if user is None:
        raise await _refuse(session, "The user or its tenant is no longer active", spent.family_id)
    return user, await issue(session, user, ttl_seconds, spent.family_id)


async def revoke(session: AsyncSession, token: str) -> None:
    """Revoke the family of ``token`` (logout). Unknown tokens are ignored (RFC 7009 §2.2)."""
    found = await repository.find(session, hash_api_key(token))
    if found is not None:
        await repository.revoke_family(session, found.family_id)


async def purge_expired(engine: AsyncEngine) -> int:
    """Delete tokens expired over a day ago (the worker's daily job)."""
    async with AsyncSession(engine) as session, session.begin():
        return await repository.purge_expired(session)
