"""Forwarding a public request to the service that owns it, over one pooled httpx transport.

Only an allow-list of headers goes through, and never identity headers sent by the caller: the gateway
sets them itself, signed. A service that is down answers 502, one too slow 504, both as problem+json.

This is the gateway's hot path, so it avoids what it does not need: the proxy is a route object matched
before FastAPI's own routes (no dependency solving), and requests go to the httpx transport directly
(no cookie, auth or redirect handling, which the client would add per request).
"""

from collections.abc import Awaitable, Callable
from urllib.parse import quote

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from api_gateway.auth import Principal
from api_gateway.routing import service_for
from api_gateway.settings import GatewaySettings
from shared.http import http_transport
from shared.identity import identity_headers
from shared.problems import BadGateway, GatewayTimeout

FORWARDED_REQUEST_HEADERS = (
    "content-type",
    "accept",
    "accept-language",
    "if-none-match",
    "if-match",
    "user-agent",
)
DROPPED_RESPONSE_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "transfer-encoding",
        "content-length",
        "content-encoding",
        "x-request-id",
        "server",
        "date",
    }
)


class Upstream:
    """The pooled connections to the services: one transport, and a client on it for ordinary calls."""

    def __init__(self, settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport or http_transport(  # short keep-alive, a retry of a failed connect
            settings,
            max_connections=settings.upstream_max_connections,
            max_keepalive_connections=settings.upstream_max_connections,
        )
        timeout = httpx.Timeout(settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds)
        self.timeout = timeout.as_dict()
        self.client = httpx.AsyncClient(transport=self.transport, timeout=timeout)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def forward(
        self,
        request: Request,
        service: str,
        principal: Principal | None,
        body: bytes,
        pass_headers: tuple[str, ...] = (),
    ) -> Response:
        headers = {
            name: value for name in (*FORWARDED_REQUEST_HEADERS, *pass_headers) if (value := request.headers.get(name))
        }
        if "host" in headers:  # the public host the caller used, not ours
            headers.setdefault("x-forwarded-host", headers.pop("host"))
        headers["x-request-id"] = request.scope["state"]["request_id"]
        if principal is not None:
            headers.update(
                identity_headers(self.settings.internal_secret, principal.tenant_id, principal.actor, principal.roles)
            )
        query = request.scope["query_string"]
        # The path as the caller sent it (still percent-encoded): the decoded one may hold any character.
        raw_path = request.scope.get("raw_path") or quote(request.scope["path"]).encode()
        url = self.settings.service_url(service).rstrip("/") + raw_path.decode("latin-1")
        if query:
            url += "?" + query.decode("latin-1")
        outgoing = httpx.Request(
            request.method, url, headers=headers, content=body, extensions={"timeout": self.timeout}
        )
        try:
            upstream = await self.transport.handle_async_request(outgoing)
            try:
                content = await upstream.aread()
            finally:
                await upstream.aclose()
        except httpx.TimeoutException:
            raise GatewayTimeout(f"The {service} service did not answer in time", service=service) from None
        except httpx.TransportError as exc:
            raise BadGateway(f"The {service} service is unavailable ({type(exc).__name__})", service=service) from None
        content_type = upstream.headers.get("content-type", "")
        if upstream.status_code in (502, 503, 504) and not content_type.startswith("application/problem+json"):
            raise BadGateway(f"The {service} service answered {upstream.status_code}", service=service)
        response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS}
        return Response(content, status_code=upstream.status_code, headers=response_headers)


class ServiceRoute(BaseRoute):
    """Matches every ``/v1`` path a service owns (see ``routing``) and hands it to ``handler``."""

    path = "/v1/{service-resource}"  # the metrics label of every proxied request

    def __init__(self, handler: Callable[[Request, str], Awaitable[Response]]) -> None:
        self.handler = handler

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and service_for(scope["path"]) is not None:
            return Match.FULL, {"route": self}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.handler(request, service_for(scope["path"]) or "")
        await response(scope, receive, send)
