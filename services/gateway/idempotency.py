"""``Idempotency-Key`` on every POST of the public API, with the semantics integrators know from Stripe.

The same key with the same request replays the stored answer (``Idempotent-Replayed: true``); the same key
with another request is refused (422); a key whose first request is still running answers 409. A 5xx or a
429 is not stored, so the caller can retry. Keys belong to a tenant and are kept ``idempotency_key_hours``.

One ASGI middleware serves the gateway's own routes and the ones it forwards to the services alike.
"""

import hashlib
import hmac
import uuid

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asgi import read_body, replaying
from shared.problems import Conflict, Problem, ValidationProblem, problem_response

REPLAYED_HEADER = "idempotent-replayed"
STORED_HEADERS = ("content-type", "location", "etag")
# Tenants are created by the platform operator, outside any tenant: their keys live in this scope.
OPERATOR_SCOPE = uuid.UUID(int=0)

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


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256(f"{method} {path}?".encode() + query + b"\n")
    digest.update(body)
    return digest.hexdigest()


async def claim(engine: AsyncEngine, ids: dict, request_fingerprint: str, hours: int) -> Response | None:
    """Take the key for this request (None), or answer what a request with it already got."""
    if not 1 <= len(ids["key"]) <= 255:
        raise ValidationProblem.field("Idempotency-Key", "must have 1 to 255 characters")
    async with engine.begin() as conn:
        claimed = (await conn.execute(_CLAIM, {**ids, "fingerprint": request_fingerprint, "hours": hours})).first()
        stored = None if claimed else (await conn.execute(_LOOKUP, ids)).first()
    if stored is None:
        return None
    if stored.fingerprint != request_fingerprint:
        raise ValidationProblem.field("Idempotency-Key", "was already used with a different request")
    if stored.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still in progress", headers={"Retry-After": "1"})
    headers = {**(stored.headers or {}), REPLAYED_HEADER: "true"}
    return Response(stored.body, status_code=stored.status_code, headers=headers)


async def settle(engine: AsyncEngine, ids: dict, status: int | None, headers: Headers, body: bytes) -> None:
    """Store the answer; forget the key when there is no answer worth replaying (a crash, a 5xx, the rate limit's
    429: the same request later must be able to act)."""
    async with engine.begin() as conn:
        if status is None or status >= 500 or status == 429:
            await conn.execute(_RELEASE, ids)
            return
        kept = {h: headers[h] for h in STORED_HEADERS if h in headers}
        await conn.execute(_STORE, {**ids, "status": status, "headers": orjson.dumps(kept).decode(), "body": body})


def idempotent(path: str, method: str) -> bool:
    """The requests this middleware takes when they carry a key: ``POST /v1/...``, token requests excepted (the
    merged OpenAPI documents the header on exactly these)."""
    return method.upper() == "POST" and path.startswith("/v1/") and not path.startswith("/v1/auth/")


class IdempotencyMiddleware:
    """Wraps every ``POST /v1/...`` that carries an ``Idempotency-Key`` (token requests excepted)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key, path = headers.get("idempotency-key"), scope["path"]
        if key is None or not idempotent(path, scope["method"]):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        replay = replaying(body, receive)
        state = scope["app"].state
        owner = await _owner(state, path, headers)
        if owner is None:  # not authenticated: the route itself answers 401
            await self.app(scope, replay, send)
            return
        ids = {"tenant_id": owner, "key": key}
        hours = state.settings.idempotency_key_hours
        try:
            stored = await claim(state.engine, ids, fingerprint("POST", path, scope["query_string"], body), hours)
        except Problem as problem:
            await problem_response(problem, path, scope["state"].get("request_id"))(scope, receive, send)
            return
        if stored is not None:
            await stored(scope, receive, send)
            return
        status: int | None = None
        response_headers = Headers()
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status, response_headers = message["status"], Headers(raw=message["headers"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay, capture)
        except BaseException:
            await settle(state.engine, ids, None, response_headers, b"")
            raise
        await settle(state.engine, ids, status, response_headers, b"".join(chunks))


async def _owner(state: object, path: str, headers: Headers) -> uuid.UUID | None:
    """Whose key this is: the caller's tenant, or the operator's scope when creating tenants."""
    if path == "/v1/tenants":
        token = headers.get("x-operator-token", "")
        return OPERATOR_SCOPE if hmac.compare_digest(token, state.settings.operator_token) else None
    try:
        principal = await state.authenticator.authenticate(headers.get("authorization"), headers.get("x-api-key"))
    except Problem:
        return None
    return principal.tenant_id


async def purge_expired(engine: AsyncEngine, hours: int) -> int:
    async with engine.begin() as conn:
        result = await conn.execute(
            text("DELETE FROM gateway.idempotency_keys WHERE created_at < now() - make_interval(hours => :hours)"),
            {"hours": hours},
        )
    return result.rowcount or 0
