"""Who is calling: a person with a JWT, or an integration with an API key.

Answers a ``Principal`` with the caller's current roles or raises 401. The JWT only identifies the user: roles
and the active state come from the database, cached per process and dropped on every process as soon as a user,
key or tenant changes (``generation``), so a demotion, deactivation or revocation holds on the next request.
"""

import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.gateway.generation import IdentityGeneration
from services.gateway.security import API_KEY_PREFIX, decode_access_token, hash_api_key
from services.gateway.settings import GatewaySettings
from shared.identity import ADMIN, ALL_ROLES, INTEGRATION
from shared.problems import Forbidden, Unauthorized, answers


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
    "SELECT k.id, k.tenant_id, k.roles, k.rate_limit_per_minute, k.created_by, "
    "(k.revoked_at IS NULL AND t.active) AS usable "
    "FROM gateway.api_keys k JOIN gateway.tenants t ON t.id = k.tenant_id WHERE k.key_hash = :hash"
)
_CREATOR_KEY_QUERY = text(
    "SELECT roles, created_by, revoked_at IS NULL AS usable FROM gateway.api_keys "
    "WHERE id = :key_id AND tenant_id = :tenant_id"
)
_USER_QUERY = text(
    "SELECT u.roles, (u.active AND t.active) AS usable FROM gateway.users u "
    "JOIN gateway.tenants t ON t.id = u.tenant_id WHERE u.id = :user_id AND u.tenant_id = :tenant_id"
)
_MAX_KEY_CHAIN = 8  # keys created by keys created by keys...


def grantable(roles: frozenset[str]) -> frozenset[str]:
    """The roles a holder of ``roles`` may put on an API key: their own, and ``integration`` for admins."""
    return roles | {INTEGRATION} if ADMIN in roles else roles


class Authenticator:
    """Current roles and active state from the database, cached per process until the identity generation moves
    (``generation``) or ``identity_cache_seconds`` pass. A JWT only says who the user is; its roles claim is not used.

    An API key answers with its roles reduced to what its creator may grant now (``grantable`` of the creator's
    current roles; a key created by a key: that key's effective roles); when nothing is left, or the creator was
    deactivated or revoked, the key is refused (401)."""

    def __init__(self, settings: GatewaySettings, engine: AsyncEngine, redis: Redis) -> None:
        self.settings = settings
        self.engine = engine
        self.api_keys = TTLCache(settings.identity_cache_seconds)
        self.users = TTLCache(settings.identity_cache_seconds)
        self.generation = IdentityGeneration(redis, settings.identity_check_seconds, self.forget)

    def forget(self) -> None:
        """Drop cached identities (after a key is revoked or a user deactivated here)."""
        self.api_keys.clear()
        self.users.clear()

    async def changed(self) -> None:
        """Call after a change of a user, key or tenant was committed: every process drops its cache."""
        await self.generation.bump()

    def _put(self, cache: TTLCache, key: Any, value: Any, epoch: int | None) -> None:
        # Not when the generation moved (or is unknown) while we read: the value may predate the change.
        if self.generation.valid(epoch):
            cache.put(key, value)

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
        epoch = await self.generation.current()
        principal = self.api_keys.get(key_hash) if epoch is not None else None
        if principal is None:
            async with self.engine.connect() as conn:
                principal = await self._load_api_key(conn, key_hash)
            self._put(self.api_keys, key_hash, principal, epoch)
        if isinstance(principal, str):
            raise Unauthorized(principal)
        return principal

    async def _load_api_key(self, conn: AsyncConnection, key_hash: str) -> Principal | str:
        row = (await conn.execute(_API_KEY_QUERY, {"hash": key_hash})).first()
        if row is None or not row.usable:
            return "The API key is not valid or was revoked"
        roles = frozenset(row.roles) & await self._creator_grants(conn, row.tenant_id, row.created_by, 0)
        if not roles:
            return "The API key's creator was deactivated or no longer holds its roles"
        return Principal(
            tenant_id=row.tenant_id,
            actor=f"apikey:{row.id}",
            roles=roles,
            api_key_id=row.id,
            rate_limit_per_minute=row.rate_limit_per_minute,
        )

    async def _creator_grants(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, created_by: str, depth: int
    ) -> frozenset[str]:
        kind, _, value = created_by.partition(":")
        try:
            creator_id = uuid.UUID(value)
        except ValueError:
            return frozenset()
        if kind == "user":
            row = (await conn.execute(_USER_QUERY, {"user_id": creator_id, "tenant_id": tenant_id})).first()
            return grantable(frozenset(row.roles)) if row is not None and row.usable else frozenset()
        if kind == "apikey" and depth < _MAX_KEY_CHAIN:
            row = (await conn.execute(_CREATOR_KEY_QUERY, {"key_id": creator_id, "tenant_id": tenant_id})).first()
            if row is not None and row.usable:
                roles = frozenset(row.roles) & await self._creator_grants(conn, tenant_id, row.created_by, depth + 1)
                return grantable(roles)
        return frozenset()

    async def _from_token(self, token: str) -> Principal:
        claims = decode_access_token(self.settings.jwt_secret, self.settings.jwt_issuer, token)
        try:
            user_id, tenant_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["tid"])
        except ValueError:
            raise Unauthorized("The access token is not valid") from None
        epoch = await self.generation.current()
        roles = self.users.get((user_id, tenant_id)) if epoch is not None else None
        if roles is None:
            async with self.engine.connect() as conn:
                row = (await conn.execute(_USER_QUERY, {"user_id": user_id, "tenant_id": tenant_id})).first()
            roles = frozenset(row.roles) if row is not None and row.usable else frozenset()
            self._put(self.users, (user_id, tenant_id), roles, epoch)
        if not roles:
            raise Unauthorized("The user or its tenant is no longer active")
        return Principal(tenant_id=tenant_id, actor=f"user:{user_id}", roles=roles)


@answers(401, 429)
async def current_principal(request: Request) -> Principal:
    """The caller of one of the gateway's own routes; an API key spends its rate limit here as on forwarded
    routes."""
    principal = await request.app.state.authenticator.authenticate(
        request.headers.get("authorization"), request.headers.get("x-api-key")
    )
    request.state.tenant_id = str(principal.tenant_id)
    if principal.api_key_id is not None:
        await request.app.state.rate_limiter.check(str(principal.api_key_id), principal.rate_limit_per_minute or 0)
    return principal


# Any authenticated caller: the OpenAPI document reads this (``shared.identity.admits``) where no role is required.
current_principal.admitted_roles = frozenset(ALL_ROLES)  # type: ignore[attr-defined]


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: str) -> Any:
    allowed = frozenset(roles)

    @answers(403)
    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.roles.isdisjoint(allowed):
            raise Forbidden(f"This needs one of the roles: {', '.join(sorted(allowed))}")
        return principal

    dependency.admitted_roles = allowed  # type: ignore[attr-defined]
    return Depends(dependency)
