"""Who is calling: a person with a JWT, or an integration with an API key.

Answers a ``Principal`` with the caller's current roles or raises 401. The JWT only identifies the user: roles
and the active state come from the database, cached per process and dropped on every process as soon as a user,
key or tenant changes (``generation``), so a demotion, deactivation or revocation holds on the next request.
"""

import time
import uuid
from typing import Generic, TypeVar

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api_gateway.identity import repository
from api_gateway.identity.credentials import API_KEY_PREFIX, decode_access_token, hash_api_key
from api_gateway.identity.generation import IdentityGeneration
from api_gateway.identity.principal import Principal
from api_gateway.identity.rules import MAX_KEY_CHAIN, creator_of, grantable
from api_gateway.settings import GatewaySettings
from shared.problems import Unauthorized

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        hit = self._items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: K, value: V) -> None:
        if len(self._items) > 50_000:
            self._items.clear()
        self._items[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        self._items.clear()


class Authenticator:
    """Current roles and active state from the database, cached per process until the identity generation moves
    (``generation``) or ``identity_cache_seconds`` pass. A JWT only says who the user is; its roles claim is not used.

    An API key answers with its roles reduced to what its creator may grant now (``grantable`` of the creator's
    current roles; a key created by a key: that key's effective roles); when nothing is left, or the creator was
    deactivated or revoked, the key is refused (401)."""

    def __init__(self, settings: GatewaySettings, engine: AsyncEngine, redis: Redis) -> None:
        self.settings = settings
        self.engine = engine
        # A key's principal, or why it is refused (that is cached too: a bad key costs no query per request).
        self.api_keys: TTLCache[str, Principal | str] = TTLCache(settings.identity_cache_seconds)
        self.users: TTLCache[tuple[uuid.UUID, uuid.UUID], frozenset[str]] = TTLCache(settings.identity_cache_seconds)
        self.generation = IdentityGeneration(redis, settings.identity_check_seconds, self.forget)

    def forget(self) -> None:
        """Drop cached identities (after a key is revoked or a user deactivated here)."""
        self.api_keys.clear()
        self.users.clear()

    async def changed(self) -> None:
        """Call after a change of a user, key or tenant was committed: every process drops its cache."""
        await self.generation.bump()

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
            async with AsyncSession(self.engine) as session:
                principal = await self._load_api_key(session, key_hash)
            # Not when the generation moved (or is unknown) while we read: the value may predate the change.
            if self.generation.valid(epoch):
                self.api_keys.put(key_hash, principal)
        if isinstance(principal, str):
            raise Unauthorized(principal)
        return principal

    async def _load_api_key(self, session: AsyncSession, key_hash: str) -> Principal | str:
        key = await repository.api_key(session, key_hash)
        if key is None or not key.usable:
            return "The API key is not valid or was revoked"
        roles = key.roles & await self._creator_grants(session, key.tenant_id, key.created_by, 0)
        if not roles:
            return "The API key's creator was deactivated or no longer holds its roles"
        return Principal(
            tenant_id=key.tenant_id,
            actor=f"apikey:{key.id}",
            roles=roles,
            api_key_id=key.id,
            rate_limit_per_minute=key.rate_limit_per_minute,
        )

    async def _creator_grants(
        self, session: AsyncSession, tenant_id: uuid.UUID, created_by: str, depth: int
    ) -> frozenset[str]:
        kind, value = creator_of(created_by)
        try:
            creator_id = uuid.UUID(value)
        except ValueError:
            return frozenset()
        if kind == "user":
            user = await repository.user(session, tenant_id, creator_id)
            return grantable(user.roles) if user is not None and user.usable else frozenset()
        if kind == "apikey" and depth < MAX_KEY_CHAIN:
            key = await repository.creator_key(session, tenant_id, creator_id)
            if key is not None and key.usable:
                return grantable(key.roles & await self._creator_grants(session, tenant_id, key.created_by, depth + 1))
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
            async with AsyncSession(self.engine) as session:
                user = await repository.user(session, tenant_id, user_id)
            roles = user.roles if user is not None and user.usable else frozenset()
            if self.generation.valid(epoch):
                self.users.put((user_id, tenant_id), roles)
        if not roles:
            raise Unauthorized("The user or its tenant is no longer active")
        return Principal(tenant_id=tenant_id, actor=f"user:{user_id}", roles=roles)
