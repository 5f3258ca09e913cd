"""Forwarding a public request to the service that owns it, over the process's one pooled httpx transport.

Only an allow-list of headers goes through, and never identity headers sent by the caller: the gateway
sets them itself, signed. A service that is down answers 502, one too slow 504, both as problem+json.

This is the gateway's hot path, so it avoids what it does not need: the proxy is a route object matched
before FastAPI's own routes (no dependency solving); requests go to the httpx transport directly (no cookie,
auth or redirect handling, which the client would add per request); headers stay the bytes ASGI has, and the
signed identity headers of a caller are computed once per identity, not per request; the answer streams back
as the service sent it (no decoding, no re-wrapping of its headers).
"""

from collections.abc import Awaitable, Callable
from urllib.parse import quote

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from api_gateway.identity.principal import Principal
from api_gateway.proxy.routing import SERVICE_RESOURCES, service_for
from api_gateway.settings import GatewaySettings
from shared.http import http_transport
from shared.identity import identity_headers
from shared.problems import BadGateway, GatewayTimeout

Headers = list[tuple[bytes, bytes]]

FORWARDED_REQUEST_HEADERS = frozenset(
    {b"content-type", b"accept", b"accept-language", b"if-none-match", b"if-match", b"user-agent"}
)
# Hop-by-hop headers, and those the gateway sets itself. Content-Length stays: the body passes as it came.
DROPPED_RESPONSE_HEADERS = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"x-request-id", b"server", b"date"}
)
_IDENTITY_CACHE_LIMIT = 10_000


class ForwardedResponse(Response):
    """A service's answer streamed as it came (less hop-by-hop headers), its connection back to the pool at the
    end. The last chunk goes out with the end of the body, so a one-chunk answer is one message."""

    def __init__(self, upstream: httpx.Response) -> None:
        self.upstream = upstream
        self.status_code = upstream.status_code
        self.background = None
        self.raw_headers = [(k, v) for k, v in _lower(upstream.headers.raw) if k not in DROPPED_RESPONSE_HEADERS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            pending = b""
            async for chunk in self.upstream.aiter_raw():
                if pending:
                    await send({"type": "http.response.body", "body": pending, "more_body": True})
                pending = chunk
            await send({"type": "http.response.body", "body": pending, "more_body": False})
        finally:
            await self.upstream.aclose()


def _lower(headers: Headers) -> Headers:
    """ASGI header names are lower case; a service's usually already are."""
    return [(k if k.islower() else k.lower(), v) for k, v in headers]


class Upstream:
    """The process's one pooled httpx transport to the services (keep-alive HTTP/1.1), and a client on it for
    ordinary calls (the merged OpenAPI)."""

    def __init__(self, settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport or http_transport(  # short keep-alive, a retry of a failed connect
            settings,
            max_connections=settings.upstream_max_connections,
            max_keepalive_connections=settings.upstream_max_connections,
        )
        timeout = httpx.Timeout(settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds)
        self.extensions = {"timeout": timeout.as_dict()}  # what the client would add to each request
        self.client = httpx.AsyncClient(transport=self.transport, timeout=timeout)
        self.bases = {service: settings.service_url(service).rstrip("/") for service in SERVICE_RESOURCES}
        self._identities: dict[Principal, Headers] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    def identity(self, principal: Principal) -> Headers:
        """The signed identity headers of ``principal`` (principals come from the authenticator's cache)."""
        headers = self._identities.get(principal)
        if headers is None:
            if len(self._identities) >= _IDENTITY_CACHE_LIMIT:
                self._identities.clear()
            secret = self.settings.internal_secret
            signed = identity_headers(secret, principal.tenant_id, principal.actor, principal.roles)
            headers = self._identities[principal] = [(k.encode(), v.encode()) for k, v in signed.items()]
        return headers

    async def forward(
        self,
        request: Request,
        service: str,
        principal: Principal | None,
        body: bytes,
        pass_headers: frozenset[bytes] = frozenset(),
    ) -> Response:
        scope = request.scope
        headers: Headers = []
        forwarded_host = None
        for name, value in scope["headers"]:
            if name in FORWARDED_REQUEST_HEADERS or name in pass_headers:
                if name == b"host":  # the public host the caller used, not ours
                    forwarded_host = value
                else:
                    headers.append((name, value))
        if forwarded_host is not None and all(name != b"x-forwarded-host" for name, _ in headers):
            headers.append((b"x-forwarded-host", forwarded_host))
        headers.append((b"x-request-id", scope["state"]["request_id"].encode("latin-1")))
        if principal is not None:
            headers += self.identity(principal)
        # The path as the caller sent it (still percent-encoded): the decoded one may hold any character.
        url = self.bases[service] + (scope.get("raw_path") or quote(scope["path"]).encode()).decode("latin-1")
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        outgoing = httpx.Request(scope["method"], url, headers=headers, content=body, extensions=self.extensions)
        try:
            upstream = await self.transport.handle_async_request(outgoing)
        except httpx.TimeoutException:
            raise GatewayTimeout(f"The {service} service did not answer in time", service=service) from None
        except httpx.TransportError as exc:
            raise BadGateway(f"The {service} service is unavailable ({type(exc).__name__})", service=service) from None
        if upstream.status_code in (502, 503, 504):
            content_type = upstream.headers.get("content-type", "")
            # A service's own problem passes, and the portal's page for a debtor (a person reads it, on a phone).
            own_page = service == "portal" and content_type.startswith("text/html")
            if not own_page and not content_type.startswith("application/problem+json"):
                await upstream.aclose()
                raise BadGateway(f"The {service} service answered {upstream.status_code}", service=service)
        return ForwardedResponse(upstream)


class ServiceRoute(BaseRoute):
    """Matches every ``/v1`` path a service owns (see ``proxy.routing``) and hands it to ``handler``."""

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
