"""Forwarding a public request to the service that owns it, over the process's keep-alive connections.

Only an allow-list of headers goes through, and never identity headers sent by the caller: the gateway sets them
itself, signed. A service that is down answers 502, one too slow 504, both as problem+json.

This is the gateway's hot path, so it avoids what it does not need: the proxy is a route object matched
before FastAPI's own routes (no dependency solving); requests go out as httpcore's (the transport httpx is built
on) on connections of a free-list of ours (``connections``: no pool walk per request) over asyncio's transports
(``network``), with no httpx Request or Response built around them; headers stay the bytes ASGI has, and the
signed identity headers of a caller are computed once per identity, not per request; the answer streams back
as the service sent it (no decoding, no re-wrapping of its headers).
"""

from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote

import httpcore
import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from api_gateway.identity.principal import Principal
from api_gateway.proxy.connections import ServiceConnections
from api_gateway.proxy.routing import SERVICE_RESOURCES, service_for
from api_gateway.settings import GatewaySettings
from shared.http import CONNECT_RETRIES, http_transport
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
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})  # a Content-Length even when empty, as httpx sends
# What a connection that fails (refused, reset, cut short, garbled) raises: the service is unavailable.
CONNECTION_ERRORS = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol)


class ForwardedResponse(Response):
    """A service's answer streamed as it came (less hop-by-hop headers), its connection given back at the end.
    The last chunk goes out with the end of the body, so a one-chunk answer is one message."""

    def __init__(self, upstream: httpcore.Response) -> None:
        self.upstream = upstream
        self.status_code = upstream.status
        self.background = None
        self.raw_headers = [(k, v) for k, v in _lower(upstream.headers) if k not in DROPPED_RESPONSE_HEADERS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            pending = b""
            async for chunk in cast(AsyncIterable[bytes], self.upstream.stream):
                if pending:
                    await send({"type": "http.response.body", "body": pending, "more_body": True})
                pending = chunk
            await send({"type": "http.response.body", "body": pending, "more_body": False})
        finally:
            await self.upstream.aclose()


def _lower(headers: Headers) -> Headers:
    """ASGI header names are lower case; a service's usually already are."""
    return [(k if k.islower() else k.lower(), v) for k, v in headers]


def _header(headers: Headers, name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")


@dataclass(frozen=True)
class ServiceAddress:
    """Where a service's requests go: its origin, its Host header, the path its URL puts before ours."""

    origin: httpcore.Origin
    host: bytes
    prefix: bytes

    @classmethod
    def of(cls, base_url: str) -> "ServiceAddress":
        url = httpx.URL(base_url)
        scheme = url.scheme.encode()
        port = url.port or (443 if url.scheme == "https" else 80)
        host = url.netloc  # host[:port] as the URL writes it
        return cls(httpcore.Origin(scheme, url.raw_host, port), host, url.raw_path.rstrip(b"/"))


class Upstream:
    """The process's keep-alive connections to the services (``connections``: httpcore's connections in a
    free-list of ours, one per service), and an httpx client for ordinary calls (the merged OpenAPI, look-ups).
    Tests pass ``transport`` (httpx's, to in-process apps): then both go through it."""

    def __init__(self, settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport
        timeout = httpx.Timeout(settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds)
        self.extensions = {"timeout": timeout.as_dict()}  # what the client would add to each request
        client_transport = transport or http_transport(  # short keep-alive, a retry of a failed connect
            settings,
            max_connections=settings.upstream_max_connections,
            max_keepalive_connections=settings.upstream_max_connections,
        )
        self.client = httpx.AsyncClient(transport=client_transport, timeout=timeout)
        self.bases = {service: settings.service_url(service).rstrip("/") for service in SERVICE_RESOURCES}
        self.addresses = {service: ServiceAddress.of(base) for service, base in self.bases.items()}
        self.connections = {
            service: ServiceConnections(
                address.origin,
                keepalive_seconds=settings.http_keepalive_seconds,
                retries=CONNECT_RETRIES,
                limit=settings.upstream_max_connections,
                pool_timeout=settings.upstream_timeout_seconds,
                connect_timeout=settings.upstream_connect_timeout_seconds,
            )
            for service, address in self.addresses.items()
        }
        self._identities: dict[Principal, Headers] = {}

    async def aclose(self) -> None:
        await self.client.aclose()
        for connections in self.connections.values():
            await connections.aclose()

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
        address = self.addresses[service]
        headers: Headers = [(b"host", address.host)]
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
        method = scope["method"]
        if body or method in BODY_METHODS:
            headers.append((b"content-length", b"%d" % len(body)))
        # The path as the caller sent it (still percent-encoded): the decoded one may hold any character.
        target = address.prefix + (scope.get("raw_path") or quote(scope["path"]).encode())
        if scope["query_string"]:
            target += b"?" + scope["query_string"]
        url = httpcore.URL(
            scheme=address.origin.scheme, host=address.origin.host, port=address.origin.port, target=target
        )
        outgoing = httpcore.Request(method, url, headers=headers, content=body, extensions=self.extensions)
        try:
            if self.transport is None:
                upstream = await self.connections[service].request(outgoing)
            else:
                upstream = await self._through_transport(self.transport, outgoing, body)
        except (httpcore.TimeoutException, httpx.TimeoutException):
            raise GatewayTimeout(f"The {service} service did not answer in time", service=service) from None
        except (*CONNECTION_ERRORS, httpx.TransportError) as exc:
            raise BadGateway(f"The {service} service is unavailable ({type(exc).__name__})", service=service) from None
        if upstream.status in (502, 503, 504):
            content_type = _header(upstream.headers, b"content-type")
            # A service's own problem passes, and the portal's page for a debtor (a person reads it, on a phone).
            own_page = service == "portal" and content_type.startswith(b"text/html")
            if not own_page and not content_type.startswith(b"application/problem+json"):
                await upstream.aclose()
                raise BadGateway(f"The {service} service answered {upstream.status}", service=service)
        return ForwardedResponse(upstream)

    @staticmethod
    async def _through_transport(
        transport: httpx.AsyncBaseTransport, request: httpcore.Request, body: bytes
    ) -> httpcore.Response:
        """The same request through an httpx transport (the tests' in-process apps), answered in httpcore's shape."""
        url = httpx.URL(scheme=request.url.scheme.decode(), host=request.url.host.decode(), port=request.url.port)
        outgoing = httpx.Request(
            request.method.decode(),
            url.copy_with(raw_path=request.url.target),
            headers=request.headers,
            content=body,
            extensions=request.extensions,
        )
        answer = await transport.handle_async_request(outgoing)
        return httpcore.Response(answer.status_code, headers=answer.headers.raw, content=answer.stream)


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
