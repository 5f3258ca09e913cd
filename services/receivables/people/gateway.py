"""Asking the gateway, which owns users, about users the projection has not heard of yet: a user created a moment
ago is usable at once, before its ``gateway.user_changed`` arrives (DESIGN: a service learns another's data from
events or asks its internal HTTP API)."""

import uuid
from collections.abc import Iterable
from typing import Annotated

import httpx
from fastapi import Depends, Request
from pydantic import ValidationError

from shared.contracts.gateway import UserChanged
from shared.internal import InternalClient
from shared.problems import ServiceUnavailable

LOOKUP_LIMIT = 100  # ids and emails each, per look-up (what the gateway answers at most)


class GatewayUnavailable(ServiceUnavailable):
    """The user may well exist: the caller tries again rather than hear it is not a user."""

    slug, title = "gateway-unavailable", "The gateway did not answer the look-up of a user"


class GatewayUsers:
    """The gateway's internal ``GET /internal/users``, asked as ``service:receivables`` for one tenant."""

    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def find(
        self, tenant_id: uuid.UUID, user_ids: Iterable[uuid.UUID] = (), emails: Iterable[str] = ()
    ) -> list[UserChanged]:
        """The tenant's users among these ids and emails (the first ``LOOKUP_LIMIT`` of each), as the gateway
        announces them."""
        params = {"user_id": [str(u) for u in user_ids][:LOOKUP_LIMIT], "email": list(emails)[:LOOKUP_LIMIT]}
        try:
            listed = await self.client.get_json("gateway", "/internal/users", tenant_id, **params)
            return [UserChanged.model_validate(item) for item in listed]
        except (httpx.HTTPError, ValidationError, ValueError, TypeError) as exc:
            raise GatewayUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc


async def gateway_users(request: Request) -> GatewayUsers:
    """The look-up a request uses (tests route it to the in-process gateway)."""
    return GatewayUsers(InternalClient(request.app.state.http, request.app.state.settings))


GatewayUsersDep = Annotated[GatewayUsers, Depends(gateway_users)]
