"""The identity the gateway forwards (tenant, actor, roles), as FastAPI dependencies.

Dependencies here are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in a thread pool,
which costs more than the whole request on the hot read path.

Only the gateway is public. It authenticates the caller and forwards who it is in headers signed with
the internal secret; a service trusts nothing else. Internal calls between services sign the same way
with the ``service`` role.
"""

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from shared.problems import Unauthorized, answers

TENANT_HEADER = "x-cobranza-tenant"
ACTOR_HEADER = "x-cobranza-actor"
ROLES_HEADER = "x-cobranza-roles"
SIGNATURE_HEADER = "x-cobranza-signature"

ADMIN, MANAGER, SUPERVISOR, COLLECTOR, INTEGRATION, SERVICE = (
    "admin",
    "manager",
    "supervisor",
    "collector",
    "integration",
    "service",
)
PERSON_ROLES = (ADMIN, MANAGER, SUPERVISOR, COLLECTOR)
ALL_ROLES = (*PERSON_ROLES, INTEGRATION)
# Who may read portfolio data; writes are narrowed per route.
READERS = (ADMIN, MANAGER, SUPERVISOR, COLLECTOR, INTEGRATION, SERVICE)


@dataclass(frozen=True, slots=True)
class Identity:
    tenant_id: uuid.UUID
    actor: str  # "user:<uuid>", "apikey:<uuid>" or "service:<name>"
    roles: frozenset[str]

    @property
    def user_id(self) -> uuid.UUID | None:
        kind, _, value = self.actor.partition(":")
        return uuid.UUID(value) if kind == "user" else None

    def has_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


def _signature(secret: str, tenant: str, actor: str, roles: str) -> str:
    message = f"{tenant}|{actor}|{roles}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def identity_headers(secret: str, tenant_id: uuid.UUID | str, actor: str, roles: Iterable[str]) -> dict[str, str]:
    tenant, role_list = str(tenant_id), ",".join(sorted(roles))
    return {
        TENANT_HEADER: tenant,
        ACTOR_HEADER: actor,
        ROLES_HEADER: role_list,
        SIGNATURE_HEADER: _signature(secret, tenant, actor, role_list),
    }


def verify_identity(secret: str, headers: Mapping[str, str]) -> Identity:
    get = headers.get
    tenant, actor, roles, signature = (
        get(TENANT_HEADER),
        get(ACTOR_HEADER),
        get(ROLES_HEADER, ""),
        get(SIGNATURE_HEADER),
    )
    if not tenant or not actor or not signature:
        raise Unauthorized("Requests must come through the gateway")
    if not hmac.compare_digest(signature, _signature(secret, tenant, actor, roles)):
        raise Unauthorized("The forwarded identity is not signed by the gateway")
    try:
        tenant_id = uuid.UUID(tenant)
    except ValueError:
        raise Unauthorized("The forwarded tenant is not valid") from None
    return Identity(tenant_id, actor, frozenset(filter(None, roles.split(","))))


@answers(401)
async def current_identity(request: Request) -> Identity:
    identity = verify_identity(request.app.state.settings.internal_secret, request.headers)
    request.state.tenant_id = str(identity.tenant_id)
    return identity


# Any identity the gateway forwards: the OpenAPI document reads this (``admits``) where no role is required.
current_identity.admitted_roles = frozenset(READERS)  # type: ignore[attr-defined]


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def admits(dependant: Any) -> frozenset[str] | None:
    """The roles a route admits, read from its dependencies' ``admitted_roles`` (each must pass: their intersection);
    None when no dependency asks who the caller is (a public route)."""
    found = [frozenset(dependant.call.admitted_roles)] if hasattr(dependant.call, "admitted_roles") else []
    for sub in dependant.dependencies:
        roles = admits(sub)
        if roles is not None:
            found.append(roles)
    return frozenset.intersection(*found) if found else None
