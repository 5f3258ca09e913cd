"""Who is calling: a person with a JWT, or an integration with an API key.

Answers a ``Principal`` or raises 401. Look-ups of API keys and of a token's user are cached for a few
seconds per process, so the hot path costs no database round trip while a revoked key or a deactivated
user is still refused within ``identity_cache_seconds`` everywhere (at once on the replica that did it).
"""

import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api_gateway.security import API_KEY_PREFIX, decode_access_token, hash_api_key
from api_gateway.settings import GatewaySettings
from shared.problems import Forbidden, Unauthorized


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: uuid.UUID
    actor: str
    roles: frozenset[str]
    api_key_id: uuid.UUID | None = None
    rate_limit_per_minute: int | None = None

    @property
    def user_id(self) -> uuid.UUID | None:
        kind, _, value = self.actor.partition(":")
        return uuid.UUID(value) if kind == "user" else None


class TTLCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._items: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any:
        hit = self._items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: Any, value: Any) -> None:
        if len(self._items) > 50_000:
            self._items.clear()
        self._items[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        self._items.clear()


_API_KEY_QUERY = text(
    "SELECT k.id, k.tenant_id, k.roles, k.rate_limit_per_minute, (k.revoked_at IS NULL AND t.active) AS usable "
    "FROM gateway.api_keys k JOIN gateway.tenants t ON t.id = k.tenant_id WHERE k.key_hash = :hash"
)
_USER_QUERY = text(
    "SELECT (u.active AND t.active) AS usable FROM gateway.users u JOIN gateway.tenants t ON t.id = u.tenant_id "
    "WHERE u.id = :user_id AND u.tenant_id = :tenant_id"
)
_REFUSED = object()


class Authenticator:
    def __init__(self, settings: GatewaySettings, engine: AsyncEngine) -> None:
        self.settings = settings
        self.engine = engine
        self.api_keys = TTLCache(settings.identity_cache_seconds)
        self.users = TTLCache(settings.identity_cache_seconds)

    def forget(self) -> None:
        """Drop cached identities (after a key is revoked or a user deactivated here)."""
        self.api_keys.clear()
        self.users.clear()

    async def authenticate(self, authorization: str | None, api_key: str | None) -> Principal:
        scheme, _, credential = (authorization or "").partition(" ")
        if api_key is None and scheme.lower() == "bearer" and credential.startswith(API_KEY_PREFIX):
            api_key = credential
        if api_key:
            return await self._from_api_key(api_key)
        if scheme.lower() == "bearer" and credential:
            return await self._from_token(credential)
        raise Unauthorized("Send an access token (Authorization: Bearer ...) or an API key (X-API-Key)")

    async def _from_api_key(self, api_key: str) -> Principal:
        key_hash = hash_api_key(api_key)
        principal = self.api_keys.get(key_hash)
        if principal is None:
            async with self.engine.connect() as conn:
                row = (await conn.execute(_API_KEY_QUERY, {"hash": key_hash})).first()
            if row is None or not row.usable:
                principal = _REFUSED
            else:
                principal = Principal(
                    tenant_id=row.tenant_id,
                    actor=f"apikey:{row.id}",
                    roles=frozenset(row.roles),
                    api_key_id=row.id,
                    rate_limit_per_minute=row.rate_limit_per_minute,
                )
            self.api_keys.put(key_hash, principal)
        if principal is _REFUSED:
            raise Unauthorized("The API key is not valid or was revoked")
        return principal

    async def _from_token(self, token: str) -> Principal:
        claims = decode_access_token(self.settings.jwt_secret, self.settings.jwt_issuer, token)
        try:
            user_id, tenant_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["tid"])
        except ValueError:
            raise Unauthorized("The access token is not valid") from None
        usable = self.users.get(user_id)
        if usable is None:
            async with self.engine.connect() as conn:
                usable = bool((await conn.execute(_USER_QUERY, {"user_id": user_id, "tenant_id": tenant_id})).scalar())
            self.users.put(user_id, usable)
        if not usable:
            raise Unauthorized("The user or its tenant is no longer active")
        return Principal(tenant_id=tenant_id, actor=f"user:{user_id}", roles=frozenset(claims.get("roles", ())))


async def current_principal(request: Request) -> Principal:
    principal = await request.app.state.authenticator.authenticate(
        request.headers.get("authorization"), request.headers.get("x-api-key")
    )
    request.state.tenant_id = str(principal.tenant_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: str) -> Any:
    allowed = frozenset(roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.roles.isdisjoint(allowed):
            raise Forbidden(f"This needs one of the roles: {', '.join(sorted(allowed))}")
        return principal

    return Depends(dependency)
