"""The gateway app: its own routes, then every other ``/v1`` path forwarded to the service that owns it."""

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api_gateway.api_keys.router import router as api_keys_router
from api_gateway.docs.openapi import MergedOpenAPI
from api_gateway.docs.router import install_docs
from api_gateway.idempotency.middleware import IdempotencyMiddleware
from api_gateway.identity import credentials
from api_gateway.identity.authenticator import Authenticator
from api_gateway.limits.body import BodyLimit
from api_gateway.limits.ratelimit import RateLimiter
from api_gateway.proxy.forwarding import Upstream
from api_gateway.proxy.router import router as proxy_router
from api_gateway.proxy.router import service_route
from api_gateway.settings import GatewaySettings
from api_gateway.tenants.router import router as tenants_router
from api_gateway.test_clock.router import router as test_clock_router
from api_gateway.tokens.router import router as tokens_router
from api_gateway.users.internal import router as internal_router
from api_gateway.users.router import router as users_router
from shared.app import create_service_app

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
    credentials.use_password_hashing(settings.password_hashing)

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
        routers=[tokens_router, tenants_router, users_router, api_keys_router, test_clock_router, internal_router],
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
    app.router.routes.insert(0, service_route(app))  # before every other route: the hot path matches first
    install_docs(app)
    app.include_router(proxy_router)  # last: its `/v1/{path}` answers 404 for what no route above took
    return app
