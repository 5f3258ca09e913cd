"""The caller of one of the gateway's own routes, and the role checks of those routes (through the one matrix,
``shared.permissions``: each domain package names its checks in its ``auth.py``)."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.identity import ALL_ROLES
from shared.permissions import require_of
from shared.problems import answers


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: uuid.UUID
    actor: str
    roles: frozenset[str]
    api_key_id: uuid.UUID | None = None
    rate_limit_per_minute: int | None = None

    @property
    def user_id(self) -> uuid.UUID | None:
        kind, _, value = self.actor.partition(":")
        return uuid.UUID(value) if kind == "user" else None


@answers(401, 429)
async def current_principal(request: Request) -> Principal:
    """The caller of one of the gateway's own routes; an API key spends its rate limit here as on forwarded
    routes."""
    principal: Principal = await request.app.state.authenticator.authenticate(
        request.headers.get("authorization"), request.headers.get("x-api-key")
    )
    request.state.tenant_id = str(principal.tenant_id)
    if principal.api_key_id is not None:
        await request.app.state.rate_limiter.check(str(principal.api_key_id), principal.rate_limit_per_minute or 0)
    return principal


# Any authenticated caller: the OpenAPI document reads this (``shared.identity.admits``) where no role is required.
current_principal.admitted_roles = frozenset(ALL_ROLES)  # type: ignore[attr-defined]


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(resource: str, action: str) -> Callable[[Principal], Awaitable[Principal]]:
    """The gateway's check of (resource, action) of ``shared.permissions.MATRIX`` on the authenticated caller."""
    return require_of(resource, action, current_principal)


async def committed_identity_change(request: Request, session: AsyncSession) -> None:
    """After a change of a user, key or tenant: commit now (not at the edge) so no gateway can reload the old state
    after being told of the change, then tell every gateway process."""
    await session.commit()
    await request.app.state.authenticator.changed()
