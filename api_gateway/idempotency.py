"""``Idempotency-Key`` on POST, with the semantics integrators know from Stripe.

The same key with the same request replays the stored answer; the same key with another request is
refused (422); a key whose first request is still running answers 409. A 5xx is not stored, so the
caller can retry. Keys are kept ``idempotency_key_hours`` (at least 24).
"""

import hashlib
import uuid
from collections.abc import Awaitable, Callable

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import Response

from shared.problems import Conflict, ValidationProblem

REPLAYED_HEADER = "idempotent-replayed"
STORED_HEADERS = ("content-type", "location", "etag")

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


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}?{query}\n".encode())
    digest.update(body)
    return digest.hexdigest()


async def idempotent(
    engine: AsyncEngine,
    tenant_id: uuid.UUID,
    key: str,
    request_fingerprint: str,
    hours: int,
    call: Callable[[], Awaitable[Response]],
) -> Response:
    if not 1 <= len(key) <= 255:
        raise ValidationProblem.field("Idempotency-Key", "must have 1 to 255 characters")
    ids = {"tenant_id": tenant_id, "key": key}
    async with engine.begin() as conn:
        claimed = (await conn.execute(_CLAIM, {**ids, "fingerprint": request_fingerprint, "hours": hours})).first()
        stored = None if claimed else (await conn.execute(_LOOKUP, ids)).first()
    if stored is not None:
        if stored.fingerprint != request_fingerprint:
            raise ValidationProblem.field("Idempotency-Key", "was already used with a different request")
        if stored.status_code is None:
            raise Conflict("A request with this Idempotency-Key is still in progress", headers={"Retry-After": "1"})
        return Response(
            stored.body,
            status_code=stored.status_code,
            headers={**(stored.headers or {}), REPLAYED_HEADER: "true"},
        )
    try:
        response = await call()
    except BaseException:
        async with engine.begin() as conn:
            await conn.execute(_RELEASE, ids)
        raise
    async with engine.begin() as conn:
        if response.status_code >= 500:
            await conn.execute(_RELEASE, ids)
        else:
            headers = {h: response.headers[h] for h in STORED_HEADERS if h in response.headers}
            await conn.execute(
                _STORE,
                {
                    **ids,
                    "status": response.status_code,
                    "headers": orjson.dumps(headers).decode(),
                    "body": response.body,
                },
            )
    return response


async def purge_expired(engine: AsyncEngine, hours: int) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            text("DELETE FROM gateway.idempotency_keys WHERE created_at < now() - make_interval(hours => :hours)"),
            {"hours": hours},
        )
    return result.rowcount or 0
