"""The forwarded paths: every ``/v1`` resource a service owns (``ServiceRoute``, matched before FastAPI's own
routes), the providers' callbacks under ``/webhooks/``, and a 404 for any other ``/v1`` path."""

import contextlib

from fastapi import APIRouter, FastAPI, Request
from redis.exceptions import RedisError
from starlette.responses import Response

from api_gateway.identity.principal import Principal
from api_gateway.limits.body import declares_body
from api_gateway.proxy import external_ids, intake
from api_gateway.proxy.forwarding import ServiceRoute
from api_gateway.proxy.routing import UNAUTHENTICATED_PREFIXES
from shared.problems import NotFound

PROXIED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# Provider signatures are computed over the public URL and body: the service needs these to verify them.
WEBHOOK_HEADERS = frozenset(
    {b"x-twilio-signature", b"x-hub-signature-256", b"host", b"x-forwarded-proto", b"x-forwarded-host"}
)

router = APIRouter(include_in_schema=False)


def service_route(app: FastAPI) -> ServiceRoute:
    """The route of every forwarded ``/v1`` request (the gateway's hot path: see ``forwarding``)."""
    state = app.state

    async def proxy(request: Request, service: str) -> Response:
        """Authenticate, rate-limit API keys, forward to ``service`` (Idempotency-Key: see the middleware)."""
        principal: Principal = await state.authenticator.authenticate(
            request.headers.get("authorization"), request.headers.get("x-api-key")
        )
        request.scope["state"]["tenant_id"] = str(principal.tenant_id)
        if principal.api_key_id is not None:
            await state.rate_limiter.check(str(principal.api_key_id), principal.rate_limit_per_minute or 0)
        body = await request.body() if declares_body(request.scope) else b""  # within its limit: BodyLimit
        await external_ids.resolve(request.scope, state.upstream, principal)  # `ext:<the ERP's id>`
        response: Response = await state.upstream.forward(request, service, principal, body)
        return response

    return ServiceRoute(proxy)


@router.api_route("/webhooks/{path:path}", methods=["GET", "POST"])
async def provider_webhook(request: Request) -> Response:
    """Provider callbacks: no caller identity; the service verifies the provider's signature. Status and
    inbound callbacks are stored and answered here (``intake``); the rest (pages, verification) is forwarded."""
    state = request.app.state
    stored = intake.stored_kind(request.method, request.url.path)
    if stored is not None:
        kind, tenant_id = stored
        with contextlib.suppress(RedisError):  # the limit needs Redis, the callback does not: none lost
            await state.rate_limiter.check("webhooks", state.settings.webhook_rate_limit_per_minute)
        body = await request.body()  # within its limit: BodyLimit
        await intake.store(state.sessionmaker, request, tenant_id, body, state.settings.public_base_url)
        return intake.provider_answer(kind)
    service = next((s for p, s in UNAUTHENTICATED_PREFIXES.items() if request.url.path.startswith(p)), None)
    if service is None:
        raise NotFound("No such webhook")
    body = await request.body()  # within its limit: BodyLimit
    forwarded: Response = await state.upstream.forward(request, service, None, body, WEBHOOK_HEADERS)
    return forwarded


# The customer's page keeps its own cookie (the form nonce) and sees where the request came from; the payment
# provider's notifications are signed over x-signature (and x-request-id, which the gateway keeps as sent).
PORTAL_HEADERS = frozenset({b"cookie", b"x-signature", b"x-forwarded-proto", b"x-forwarded-host", b"host"})


@router.api_route("/portal/{path:path}", methods=["GET", "POST"])
async def customer_portal(request: Request) -> Response:
    """The customer's own page (issue 17) and the payment provider's notifications: public, no caller identity
    (the link's token is the debtor's credential, the provider's signature the notification's). The caller's
    address is appended to ``X-Forwarded-For`` for the portal's rate limits and audit."""
    state = request.app.state
    peer = request.client.host if request.client else ""
    claimed = request.headers.get("x-forwarded-for")
    chain = f"{claimed}, {peer}" if claimed else peer
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"x-forwarded-for"]
    request.scope["headers"] = [*headers, (b"x-forwarded-for", chain.encode("latin-1"))]
    body = await request.body()  # within its limit: BodyLimit
    forwarded: Response = await state.upstream.forward(
        request, "portal", None, body, PORTAL_HEADERS | {b"x-forwarded-for"}
    )
    return forwarded


@router.api_route("/v1/{path:path}", methods=PROXIED_METHODS)
async def unknown_resource(request: Request) -> Response:
    raise NotFound(f"No resource at {request.url.path}")
