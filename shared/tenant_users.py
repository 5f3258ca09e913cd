"""The tenant's users, asked of the gateway, which owns users (``GET /internal/users``: answered only to a signed
service identity, and only about the signed tenant's users). DESIGN: a service learns another's data from events
or asks its internal HTTP API.

Receivables keeps a projection of users and asks here only about users it has not heard of yet, so a user created
a moment ago is usable at once (``find``). A service that keeps no copy and stores user ids it is given (dunning's
action owner and action item assignees) checks them here (``require``): another tenant's user, or no user at all,
is a 422 naming the field (issue 11's isolation walk found dunning storing another tenant's user id).
"""

import uuid
from collections.abc import Iterable
from typing import Annotated

import httpx
from fastapi import Depends, Request
from pydantic import ValidationError

from shared.contracts.gateway import UserChanged
from shared.internal import InternalClient
from shared.problems import ServiceUnavailable, ValidationProblem

LOOKUP_LIMIT = 100  # ids and emails each, per look-up (what the gateway answers at most)


class UsersUnavailable(ServiceUnavailable):
    """The user may well exist: the caller tries again rather than hear it is not a user."""

    slug, title = "gateway-unavailable", "The gateway did not answer the look-up of a user"


class TenantUsers:
    """The look-up, as ``service:<our name>`` for one tenant at a time."""

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
            raise UsersUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc

    async def require(self, tenant_id: uuid.UUID, fields: dict[str, uuid.UUID | None]) -> None:
        """A 422 naming each field whose id is not a user of the tenant; fields set to None are not looked up."""
        wanted = {field: user_id for field, user_id in fields.items() if user_id is not None}
        if not wanted:
            return
        known = {user.user_id for user in await self.find(tenant_id, set(wanted.values()))}
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
