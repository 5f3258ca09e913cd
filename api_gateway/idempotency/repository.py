"""``gateway.idempotency_keys``: a key per tenant, claimed by its first request, then holding that request's answer.

Each function is one statement in the caller's transaction: the middleware commits each step at once (a claim
must be seen by a parallel request with the same key before the first one finishes)."""

import uuid
from dataclasses import dataclass

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_CLAIM = text(
    "INSERT INTO gateway.idempotency_keys (tenant_id, key, fingerprint) VALUES (:tenant_id, :key, :fingerprint) "
    "ON CONFLICT (tenant_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status_code = NULL, "
    "headers = NULL, body = NULL, created_at = now() "
    "WHERE gateway.idempotency_keys.created_at < now() - make_interval(hours => :hours) "
    "RETURNING key"
)
_LOOKUP = text(
    "SELECT fingerprint, status_code, headers, body FROM gateway.idempotency_keys "
    "WHERE tenant_id = :tenant_id AND key = :key"
)
_STORE = text(
    "UPDATE gateway.idempotency_keys SET status_code = :status, headers = CAST(:headers AS jsonb), body = :body "
    "WHERE tenant_id = :tenant_id AND key = :key"
)
_RELEASE = text("DELETE FROM gateway.idempotency_keys WHERE tenant_id = :tenant_id AND key = :key")
_PURGE = text("DELETE FROM gateway.idempotency_keys WHERE created_at < now() - make_interval(hours => :hours)")


@dataclass(frozen=True, slots=True)
class KeyId:
    tenant_id: uuid.UUID
    key: str

    def params(self) -> dict[str, object]:
        return {"tenant_id": self.tenant_id, "key": self.key}


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """What a key holds: the first request's fingerprint and, once it finished, its answer (status None: still
    running)."""

    fingerprint: str
    status_code: int | None
    headers: dict[str, str] | None
    body: bytes | None


async def claim(session: AsyncSession, key: KeyId, fingerprint: str, hours: int) -> bool:
    """Take the key for a request: a new key, or one older than ``hours`` (taken afresh). False: it is held."""
    claimed = await session.execute(_CLAIM, {**key.params(), "fingerprint": fingerprint, "hours": hours})
    return claimed.first() is not None


async def stored(session: AsyncSession, key: KeyId) -> StoredAnswer | None:
    row = (await session.execute(_LOOKUP, key.params())).first()
    return None if row is None else StoredAnswer(row.fingerprint, row.status_code, row.headers, row.body)


async def keep(session: AsyncSession, key: KeyId, status: int, headers: dict[str, str], body: bytes) -> None:
    params = {**key.params(), "status": status, "headers": orjson.dumps(headers).decode(), "body": body}
    await session.execute(_STORE, params)


async def release(session: AsyncSession, key: KeyId) -> None:
    await session.execute(_RELEASE, key.params())


async def purge_expired(session: AsyncSession, hours: int) -> int:
    result = await session.execute(_PURGE, {"hours": hours})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DML result (CursorResult) has rowcount
