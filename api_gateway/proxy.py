"""Forwarding a public request to the service that owns it, over pooled keep-alive connections.

Only an allow-list of headers goes through, and never identity headers sent by the caller: the gateway
sets them itself, signed. A service that is down answers 502, one too slow 504, both as problem+json.

This is the gateway's hot path, so it avoids what it does not need: the proxy is a route object matched
before FastAPI's own routes (no dependency solving), requests go out on the gateway's own lean connections
(``upstream``: httpx cost half the gateway's CPU), headers stay the bytes ASGI has, and the signed identity
headers of a caller are computed once per identity, not per request.
"""

from collections.abc import Awaitable, Callable
from urllib.parse import quote

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from api_gateway.auth import Principal
from api_gateway.routing import SERVICE_RESOURCES, service_for
from api_gateway.settings import GatewaySettings
from api_gateway.upstream import Answer, Headers, HttpxConnector, SocketConnector, UpstreamTimeout, UpstreamUnavailable
from shared.http import http_transport
from shared.identity import identity_headers
from shared.problems import BadGateway, GatewayTimeout

FORWARDED_REQUEST_HEADERS = frozenset(
    {b"content-type", b"accept", b"accept-language", b"if-none-match", b"if-match", b"user-agent"}
)
DROPPED_RESPONSE_HEADERS = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"content-length",
        b"x-request-id",
        b"server",
        b"date",
    }
)
_IDENTITY_CACHE_LIMIT = 10_000


class ForwardedResponse(Response):
    """A service's answer as it came (less hop-by-hop headers), without re-deriving its headers."""

    def __init__(self, answer: Answer) -> None:
        self.status_code = answer.status
        self.body = answer.body
        self.background = None
        self.raw_headers = [(k, v) for k, v in answer.headers if k not in DROPPED_RESPONSE_HEADERS]
        self.raw_headers.append((b"content-length", b"%d" % len(answer.body)))


class Upstream:
    """The pooled connections to the services: a lean connector for forwarding, and an httpx client on its own
    transport for ordinary calls (the merged OpenAPI)."""

    def __init__(self, settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        timeout = httpx.Timeout(settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds)
        urls = {service: settings.service_url(service) for service in SERVICE_RESOURCES}
        if transport is None:
            self.connector: SocketConnector | HttpxConnector = SocketConnector(
                urls,
                timeout=settings.upstream_timeout_seconds,
                connect_timeout=settings.upstream_connect_timeout_seconds,
                max_connections=settings.upstream_max_connections,
                keepalive=settings.http_keepalive_seconds,
            )
            transport = http_transport(settings)  # short keep-alive, a retry of a failed connect
        else:
            self.connector = HttpxConnector(transport, urls, timeout)
        self.client = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._identities: dict[Principal, Headers] = {}

    async def aclose(self) -> None:
        await self.connector.aclose()
        await self.client.aclose()

    def _identity(self, principal: Principal) -> Headers:
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
            headers += self._identity(principal)
        # The path as the caller sent it (still percent-encoded): the decoded one may hold any character.
        target = (scope.get("raw_path") or quote(scope["path"]).encode()).decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        try:
            answer = await self.connector.send(service, scope["method"], target, headers, body)
        except UpstreamTimeout:
            raise GatewayTimeout(f"The {service} service did not answer in time", service=service) from None
        except UpstreamUnavailable as exc:
            raise BadGateway(f"The {service} service is unavailable ({exc})", service=service) from None
        if answer.status in (502, 503, 504) and not _content_type(answer).startswith(b"application/problem+json"):
            raise BadGateway(f"The {service} service answered {answer.status}", service=service)
        return ForwardedResponse(answer)


def _content_type(answer: Answer) -> bytes:
    return next((value for name, value in answer.headers if name == b"content-type"), b"")


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
