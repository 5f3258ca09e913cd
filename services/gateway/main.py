"""The gateway app: its own routes, then every other ``/v1`` path forwarded to the service that owns it."""

import contextlib

import httpx
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from redis.exceptions import RedisError
from starlette.responses import JSONResponse, Response

from services.gateway import external_ids, intake
from services.gateway.auth import Authenticator
from services.gateway.docs import install_docs
from services.gateway.idempotency import IdempotencyMiddleware
from services.gateway.internal import router as internal_router
from services.gateway.limits import BodyLimit, declares_body
from services.gateway.openapi import MergedOpenAPI
from services.gateway.proxy import ServiceRoute, Upstream
from services.gateway.ratelimit import RateLimiter
from services.gateway.routers import auth_router, keys_router, tenants_router, users_router
from services.gateway.routing import UNAUTHENTICATED_PREFIXES
from services.gateway.settings import GatewaySettings
from services.gateway.test_clock.advance import router as advance_router
from services.gateway.test_clock.router import router as test_clock_router
from shared.app import create_service_app
from shared.problems import NotFound

PROXIED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# Provider signatures are computed over the public URL and body: the service needs these to verify them.
WEBHOOK_HEADERS = frozenset(
    {b"x-twilio-signature", b"x-hub-signature-256", b"host", b"x-forwarded-proto", b"x-forwarded-host"}
)

TAGS = [
    {"name": "auth", "description": "Access tokens for people; who am I."},
    {"name": "tenants", "description": "Tenants (created by the platform operator) and the caller's tenant."},
    {"name": "users", "description": "The people of a tenant and their roles."},
    {"name": "api-keys", "description": "API keys for integrations: hashed at rest, shown once, revocable."},
    {
        "name": "test-clock",
        "description": "A sandbox tenant's test clock: months of collections rehearsed in minutes (issue 15).",
    },
]


def create_app(
    settings: GatewaySettings | None = None, upstream_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """``upstream_transport`` lets tests route to in-process service apps instead of sockets."""
    settings = settings or GatewaySettings()

    async def startup(app: FastAPI) -> None:
        app.state.upstream = Upstream(settings, upstream_transport)
        app.state.authenticator = Authenticator(settings, app.state.engine, app.state.redis)
        app.state.authenticator.generation.start()
        app.state.rate_limiter = RateLimiter(app.state.redis)
        app.state.merged_openapi = MergedOpenAPI(settings, app.state.upstream.client)

    async def shutdown(app: FastAPI) -> None:
        await app.state.authenticator.generation.aclose()
        await app.state.upstream.aclose()

    app = create_service_app(
        settings,
        title="cobranza gateway",
        description="Identity, routing and the merged OpenAPI of cobranza.",
        routers=[
            auth_router,
            tenants_router,
            users_router,
            keys_router,
            test_clock_router,
            advance_router,
            internal_router,
        ],
        tags=TAGS,
        on_startup=startup,
        on_shutdown=shutdown,
        middleware=[IdempotencyMiddleware, BodyLimit],  # the limit first: before anything reads a body
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-Id", "Retry-After", "Idempotent-Replayed", "Location"],
        )

    async def proxy(request: Request, service: str) -> Response:
        """Authenticate, rate-limit API keys, forward to ``service`` (Idempotency-Key: see the middleware)."""
        principal = await app.state.authenticator.authenticate(
            request.headers.get("authorization"), request.headers.get("x-api-key")
        )
        request.scope["state"]["tenant_id"] = str(principal.tenant_id)
        if principal.api_key_id is not None:
            await app.state.rate_limiter.check(str(principal.api_key_id), principal.rate_limit_per_minute or 0)
        body = await request.body() if declares_body(request.scope) else b""  # within its limit: BodyLimit
        await external_ids.resolve(request.scope, app.state.upstream, principal)  # `ext:<the ERP's id>`
        return await app.state.upstream.forward(request, service, principal, body)

    app.router.routes.insert(0, ServiceRoute(proxy))

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document(request: Request) -> JSONResponse:
        return JSONResponse(await request.app.state.merged_openapi.document(app.openapi()))

    install_docs(app)

    @app.api_route("/webhooks/{path:path}", methods=["GET", "POST"], include_in_schema=False)
    async def provider_webhook(request: Request) -> Response:
        """Provider callbacks: no caller identity; the service verifies the provider's signature. Status and
        inbound callbacks are stored and answered here (``intake``); the rest (pages, verification) is forwarded."""
        stored = intake.stored_kind(request.method, request.url.path)
        if stored is not None:
            kind, tenant_id = stored
            with contextlib.suppress(RedisError):  # the limit needs Redis, the callback does not: none lost
                await app.state.rate_limiter.check("webhooks", settings.webhook_rate_limit_per_minute)
            body = await request.body()  # within its limit: BodyLimit
            await intake.store(app.state.engine, request, tenant_id, body, settings.public_base_url)
            return intake.provider_answer(kind)
        service = next((s for p, s in UNAUTHENTICATED_PREFIXES.items() if request.url.path.startswith(p)), None)
        if service is None:
            raise NotFound("No such webhook")
        body = await request.body()  # within its limit: BodyLimit
        return await app.state.upstream.forward(request, service, None, body, WEBHOOK_HEADERS)

    @app.api_route("/v1/{path:path}", methods=PROXIED_METHODS, include_in_schema=False)
    async def unknown_resource(request: Request) -> Response:
        raise NotFound(f"No resource at {request.url.path}")

    return app
