"""Whether ids name users of a tenant, asked of the gateway, which owns users (``GET /internal/users``: answered only
to a signed service identity, and only about the signed tenant's users).

For a service that keeps no copy of the users and stores user ids it is given (dunning's action owner and action
item assignees): another tenant's user, or no user at all, is a 422 naming the field (issue 11's isolation walk
found dunning storing another tenant's user id). Receivables keeps a projection and asks the gateway only about
users it has not heard of yet (``services.receivables.people.gateway``).
"""

import uuid
from typing import Annotated

import httpx
from fastapi import Depends, Request

from shared.internal import InternalClient
from shared.problems import ServiceUnavailable, ValidationProblem


class UsersUnavailable(ServiceUnavailable):
    """The user may well exist: the caller tries again rather than hear it is not a user."""

    slug, title = "gateway-unavailable", "The gateway did not answer the look-up of a user"


class TenantUsers:
    """The look-up, as ``service:<our name>`` for one tenant at a time."""

    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def require(self, tenant_id: uuid.UUID, fields: dict[str, uuid.UUID | None]) -> None:
        """A 422 naming each field whose id is not a user of the tenant; fields set to None are not looked up."""
        wanted = {field: user_id for field, user_id in fields.items() if user_id is not None}
        if not wanted:
            return
        try:
            params = {"user_id": sorted({str(u) for u in wanted.values()})}
            listed = await self.client.get_json("gateway", "/internal/users", tenant_id, **params)
            known = {uuid.UUID(str(user["user_id"])) for user in listed}
        except (httpx.HTTPError, ValueError, TypeError, KeyError) as exc:
            raise UsersUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
        errors = [
            {"field": field, "message": "is not a user of this tenant"}
            for field, user_id in wanted.items()
            if user_id not in known
        ]
        if errors:
            raise ValidationProblem(errors)


async def tenant_users(request: Request) -> TenantUsers:
    """The look-up a request uses (tests route it to the in-process gateway)."""
    return TenantUsers(InternalClient(request.app.state.http, request.app.state.settings))


TenantUsersDep = Annotated[TenantUsers, Depends(tenant_users)]
