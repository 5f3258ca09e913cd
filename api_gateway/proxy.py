"""Forwarding a public request to the service that owns it, over one pooled httpx client.

Only an allow-list of headers goes through, and never identity headers sent by the caller: the gateway
sets them itself, signed. A service that is down answers 502, one too slow 504, both as problem+json.
"""

import httpx
from starlette.requests import Request
from starlette.responses import Response

from api_gateway.auth import Principal
from api_gateway.settings import GatewaySettings
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


def upstream_client(settings: GatewaySettings, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds),
        limits=httpx.Limits(
            max_connections=settings.upstream_max_connections,
            max_keepalive_connections=settings.upstream_max_connections,
        ),
    )


async def forward(
    request: Request,
    client: httpx.AsyncClient,
    settings: GatewaySettings,
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
    headers["x-request-id"] = request.state.request_id
    if principal is not None:
        headers.update(
            identity_headers(settings.internal_secret, principal.tenant_id, principal.actor, principal.roles)
        )
    url = settings.service_url(service).rstrip("/") + request.url.path
    try:
        upstream = await client.request(
            request.method, url, params=request.url.query or None, content=body, headers=headers
        )
    except httpx.TimeoutException:
        raise GatewayTimeout(f"The {service} service did not answer in time", service=service) from None
    except httpx.TransportError as exc:
        raise BadGateway(f"The {service} service is unavailable ({type(exc).__name__})", service=service) from None
    if upstream.status_code in (502, 503, 504) and not upstream.headers.get("content-type", "").startswith(
        "application/problem+json"
    ):
        raise BadGateway(f"The {service} service answered {upstream.status_code}", service=service)
    response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS}
    return Response(upstream.content, status_code=upstream.status_code, headers=response_headers)
