"""``Idempotency-Key`` on every POST of the public API, with the semantics integrators know from Stripe.

The same key with the same request replays the stored answer (``Idempotent-Replayed: true``); the same key
with another request is refused (422); a key whose first request is still running answers 409. A 5xx or a
429 is not stored, so the caller can retry. Keys belong to a tenant and are kept ``idempotency_key_hours``.

One ASGI middleware serves the gateway's own routes and the ones it forwards to the services alike.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.datastructures import Headers, State
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api_gateway.idempotency import repository
from api_gateway.idempotency.repository import KeyId
from api_gateway.idempotency.rules import fingerprint, idempotent, valid_key, worth_keeping
from api_gateway.identity.principal import Principal
from api_gateway.tenants.auth import is_operator
from shared.asgi import read_body, replaying
from shared.problems import Conflict, Problem, ValidationProblem, problem_response

REPLAYED_HEADER = "idempotent-replayed"
STORED_HEADERS = ("content-type", "location", "etag")
# Tenants are created by the platform operator, outside any tenant: their keys live in this scope.
OPERATOR_SCOPE = uuid.UUID(int=0)


async def claim(engine: AsyncEngine, key: KeyId, request_fingerprint: str, hours: int) -> Response | None:
    """Take the key for this request (None), or answer what a request with it already got."""
    if not valid_key(key.key):
        raise ValidationProblem.field("Idempotency-Key", "must have 1 to 255 characters")
    async with AsyncSession(engine) as session, session.begin():
        claimed = await repository.claim(session, key, request_fingerprint, hours)
        stored = None if claimed else await repository.stored(session, key)
    if stored is None:
        return None
    if stored.fingerprint != request_fingerprint:
        raise ValidationProblem.field("Idempotency-Key", "was already used with a different request")
    if stored.status_code is None:
        raise Conflict("A request with this Idempotency-Key is still in progress", headers={"Retry-After": "1"})
    headers = {**(stored.headers or {}), REPLAYED_HEADER: "true"}
    return Response(stored.body, status_code=stored.status_code, headers=headers)


async def settle(engine: AsyncEngine, key: KeyId, status: int | None, headers: Headers, body: bytes) -> None:
    """Store the answer; forget the key when there is no answer worth replaying (``rules.worth_keeping``)."""
    async with AsyncSession(engine) as session, session.begin():
        if status is None or not worth_keeping(status):
            await repository.release(session, key)
            return
        kept = {h: headers[h] for h in STORED_HEADERS if h in headers}
        await repository.keep(session, key, status, kept, body)


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
        ids = KeyId(owner, key)
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


async def _owner(state: State, path: str, headers: Headers) -> uuid.UUID | None:
    """Whose key this is: the caller's tenant, or the operator's scope when creating tenants."""
    if path == "/v1/tenants":
        return OPERATOR_SCOPE if is_operator(state.settings, headers.get("x-operator-token")) else None
    try:
        principal: Principal = await state.authenticator.authenticate(
            headers.get("authorization"), headers.get("x-api-key")
        )
    except Problem:
        return None
    return principal.tenant_id


async def purge_expired(engine: AsyncEngine, hours: int) -> int:
    """Forget keys older than ``hours`` (the worker's hourly job)."""
    async with AsyncSession(engine) as session, session.begin():
        return await repository.purge_expired(session, hours)
