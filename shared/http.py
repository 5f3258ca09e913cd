"""The one pooled httpx client of a process (internal calls, providers, webhooks).

Idle connections are dropped before the server's keep-alive timeout ends (uvicorn's is 5 s), so a request is
not written on a connection the server is closing; a connection that cannot be opened is tried once more by
the transport (``retries`` covers connect errors only: nothing was sent yet, so nothing can repeat).
"""

import httpx

from shared.settings import ServiceSettings

CONNECT_RETRIES = 1


def http_transport(settings: ServiceSettings, **limits: int) -> httpx.AsyncHTTPTransport:
    return httpx.AsyncHTTPTransport(
        retries=CONNECT_RETRIES,
        limits=httpx.Limits(keepalive_expiry=settings.http_keepalive_seconds, **limits),
    )


def create_http_client(settings: ServiceSettings, timeout_seconds: float = 30.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=http_transport(settings), timeout=httpx.Timeout(timeout_seconds, connect=5.0))
