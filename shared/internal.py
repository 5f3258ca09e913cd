"""Calls from one service to another's internal HTTP API, signed like the gateway's forwarded identity."""

import uuid
from typing import Any

import httpx

from shared.identity import SERVICE, identity_headers
from shared.pagination import MAX_LIMIT
from shared.settings import ServiceSettings


class InternalClient:
    """Ask another service over its HTTP API (never its schema), as ``service:<our name>``."""

    def __init__(self, http: httpx.AsyncClient, settings: ServiceSettings) -> None:
        self.http = http
        self.settings = settings

    def _headers(self, tenant_id: uuid.UUID) -> dict[str, str]:
        return identity_headers(
            self.settings.internal_secret, tenant_id, f"service:{self.settings.service_name}", [SERVICE]
        )

    async def request(
        self, method: str, service: str, path: str, tenant_id: uuid.UUID, **kwargs: Any
    ) -> httpx.Response:
        url = self.settings.service_url(service).rstrip("/") + path
        response = await self.http.request(method, url, headers=self._headers(tenant_id), **kwargs)
        response.raise_for_status()
        return response

    async def get_json(self, service: str, path: str, tenant_id: uuid.UUID, **params: Any) -> Any:
        return (await self.request("GET", service, path, tenant_id, params=params)).json()

    async def all_items(self, service: str, path: str, tenant_id: uuid.UUID, **params: Any) -> list[Any]:
        """Every item of a cursor-paginated list, page after page (for the short lists a service needs whole)."""
        items: list[Any] = []
        cursor = None
        while True:
            page = await self.get_json(
                service, path, tenant_id, **params, limit=MAX_LIMIT, **({"cursor": cursor} if cursor else {})
            )
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items
