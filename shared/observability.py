"""Request ids, access logs and Prometheus metrics (one pure ASGI middleware), and the health routes."""

import asyncio
import time
import uuid
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import text
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.outbox import queue_name
from shared.problems import ServiceUnavailable

log = structlog.get_logger()

REQUEST_ID_HEADER = b"x-request-id"
UNMATCHED_ROUTE = "<unmatched>"
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class Metrics:
    """The HTTP metrics of one app, in its own registry (so tests can build many apps in one process)."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.service = service
        # Read at scrape time: what the service still has to send, and what waits on its queue.
        self.outbox_pending = Gauge(
            "outbox_pending_messages", "Outbox rows not yet relayed", ["service"], registry=self.registry
        )
        self.queue_length = Gauge(
            "queue_length_jobs", "Jobs waiting on the service's queue", ["service"], registry=self.registry
        )
        self.dead_letters = Gauge(
            "inbox_dead_letters", "Messages that kept failing (see cobranza-admin)", ["service"], registry=self.registry
        )

    async def refresh(self, app_state: Any) -> None:
        schema = self.service
        try:
            async with app_state.engine.connect() as conn:
                pending = (
                    await conn.execute(text(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL"))
                ).scalar()
                dead = (
                    await conn.execute(text(f"SELECT count(*) FROM {schema}.inbox WHERE error IS NOT NULL"))
                ).scalar()
            self.outbox_pending.labels(schema).set(pending)
            self.dead_letters.labels(schema).set(dead)
            self.queue_length.labels(schema).set(await app_state.redis.zcard(queue_name(schema)))
        except Exception:  # metrics never fail the scrape; readiness reports the outage
            log.warning("metrics_refresh_failed", service=schema)


class RequestContextMiddleware:
    """Gives each request an id (kept from ``X-Request-Id`` when the caller sent one), logs it with its
    tenant, answers the id back, and records count and latency by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, REQUEST_ID_HEADER) or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", UNMATCHED_ROUTE)
            method = scope["method"]
            self.metrics.requests.labels(self.metrics.service, method, route, str(status)).inc()
            self.metrics.latency.labels(self.metrics.service, method, route).observe(elapsed)
            if scope["path"] not in QUIET_PATHS:
                log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 2),
                    tenant_id=state.get("tenant_id"),
                )
            structlog.contextvars.unbind_contextvars("request_id")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def check_readiness(app_state: Any, limit_seconds: float = 2.0) -> dict[str, str]:
    """Check the database and Redis; each answers ``ok`` or the error."""
    checks: dict[str, str] = {}

    async def database() -> None:
        async with app_state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def redis() -> None:
        await app_state.redis.ping()

    for name, check in (("database", database), ("redis", redis)):
        try:
            await asyncio.wait_for(check(), limit_seconds)
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; say which
            checks[name] = f"{type(exc).__name__}: {exc}"[:200]
    return checks


def health_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the database and Redis answer."""
        checks = await check_readiness(request.app.state)
        if any(v != "ok" for v in checks.values()):
            raise ServiceUnavailable("A dependency is not reachable", checks=checks)
        return JSONResponse({"status": "ok", "checks": checks})

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        await request.app.state.metrics.refresh(request.app.state)
        return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def install_observability(app: FastAPI, service: str) -> None:
    metrics = Metrics(service)
    app.state.metrics = metrics
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.include_router(health_router())
