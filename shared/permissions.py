"""Who may do what: the one table of roles per resource and action, and the dependency the routers use.

Every route that asks who the caller is depends on ``require(RESOURCE, ACTION)``; each domain package names those
dependencies in its ``auth.py`` by what they allow (``CustomerRead``, ``CustomerWrite``). The OpenAPI document says
the roles (``x-roles``, read through ``admitted_roles``) and ``tests/platform/test_role_matrix.py`` calls every route
with every role and holds the answers to this table. Change a right here, nowhere else.

``service`` is the role of the services' own signed calls to each other (never a person's or a key's).
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, NamedTuple, Protocol, TypeVar

from fastapi import Depends

from shared.identity import (
    ADMIN,
    ALL_ROLES,
    COLLECTOR,
    INTEGRATION,
    MANAGER,
    READERS,
    SERVICE,
    SUPERVISOR,
    Identity,
    current_identity,
)
from shared.problems import Forbidden, answers

Roles = frozenset[str]

EVERYONE: Roles = frozenset(READERS)
PEOPLE_AND_ERP: Roles = frozenset({ADMIN, MANAGER, SUPERVISOR, COLLECTOR, INTEGRATION})
COLLECTORS: Roles = frozenset({ADMIN, MANAGER, SUPERVISOR, COLLECTOR})
SUPERVISORS: Roles = frozenset({ADMIN, MANAGER, SUPERVISOR})
MANAGERS: Roles = frozenset({ADMIN, MANAGER})
ERP_WRITERS: Roles = frozenset({ADMIN, MANAGER, SUPERVISOR, INTEGRATION})
ERP_MANAGERS: Roles = frozenset({ADMIN, MANAGER, INTEGRATION})
RUNNERS: Roles = frozenset({ADMIN, MANAGER, INTEGRATION, SERVICE})
SERVICES: Roles = frozenset({SERVICE})
ADMINS: Roles = frozenset({ADMIN})
TENANT_ROLES: Roles = frozenset(ALL_ROLES)  # every role of a tenant's people and keys (not ``service``)


class Permission(NamedTuple):
    resource: str
    action: str


# resource -> action -> the roles allowed. Reads are open to every role of the tenant (collectors see the whole
# portfolio: seed 004's follow-up needs it); writes are narrowed to who does that work.
MATRIX: dict[str, dict[str, Roles]] = {
    # receivables: the system of record
    "customers": {"read": EVERYONE, "write": PEOPLE_AND_ERP, "delete": ERP_MANAGERS},
    "external-ids": {"read": EVERYONE},
    "imports": {"write": ERP_MANAGERS},
    "invoices": {"read": EVERYONE, "write": ERP_WRITERS, "status": PEOPLE_AND_ERP},
    "kpis": {"read": EVERYONE},
    "notes": {"read": EVERYONE, "write": COLLECTORS},
    "outcomes": {"read": EVERYONE, "write": COLLECTORS | SERVICES},  # service: the portal's debtor actions
    "payments": {"read": EVERYONE, "write": ERP_WRITERS | SERVICES},  # service: the portal's online payments
    "people": {"read": EVERYONE, "write": ERP_MANAGERS},
    "promises": {"read": EVERYONE, "review": frozenset({ADMIN, MANAGER, SERVICE})},
    # issue 19: payment plans; service: the portal proposes (and may accept) for the debtor
    "payment-plans": {
        "read": EVERYONE,
        "propose": PEOPLE_AND_ERP | SERVICES,
        "decide": PEOPLE_AND_ERP | SERVICES,
        "cancel": PEOPLE_AND_ERP,
        "review": frozenset({ADMIN, MANAGER, SERVICE}),
    },
    "statements": {"read": EVERYONE},
    "tasks": {"read": EVERYONE, "write": COLLECTORS | SERVICES},
    "timeline": {"read": EVERYONE},
    # the collector's desk (issue 18): one's own worklist; another collector's, a team's or everyone's is supervision
    "worklist": {"read": COLLECTORS},
    "supervision": {"read": SUPERVISORS},
    "warning-signs": {"read": EVERYONE, "refresh": MANAGERS},  # issue 18: seed 001's signs, the computed risk
    # issue 19: late charges, documents of their own; a manager forgives one, the ERP invoices it
    "charges": {"read": EVERYONE, "waive": MANAGERS, "invoice": frozenset({ADMIN, INTEGRATION})},
    # the tenant's settings, one section per service
    "tenant-settings": {"read": EVERYONE, "write": MANAGERS},
    # dunning
    "strategies": {"read": EVERYONE, "write": MANAGERS},
    "strategy-experiments": {"read": EVERYONE, "write": MANAGERS},  # issue 19: A/B/n tests of strategies
    "dunning-runs": {"read": EVERYONE, "run": RUNNERS},
    "dunning-projection": {"resync": frozenset({ADMIN, MANAGER, SERVICE})},
    "action-items": {"read": EVERYONE, "work": COLLECTORS, "assign": SUPERVISORS},
    "insight": {"read": EVERYONE},
    # messaging
    "messages": {"read": EVERYONE, "resend": COLLECTORS},
    "replies": {"read": EVERYONE},
    "opt-outs": {"read": EVERYONE, "write": PEOPLE_AND_ERP | SERVICES, "delete": MANAGERS},  # service: the portal
    "templates": {"read": EVERYONE, "write": SUPERVISORS},
    # alarms
    "alarm-runs": {"read": EVERYONE, "run": RUNNERS},
    "alarm-inbox": {"read": COLLECTORS, "acknowledge": COLLECTORS},  # each person their own items (issue 18)
    "login-alerts": {"write": frozenset({ADMIN, SERVICE})},
    # webhooks
    "webhook-endpoints": {"read": frozenset({ADMIN, INTEGRATION, SERVICE}), "write": frozenset({ADMIN, SERVICE})},
    "webhook-deliveries": {
        "read": frozenset({ADMIN, INTEGRATION, SERVICE}),
        "replay": frozenset({ADMIN, INTEGRATION, SERVICE}),
    },
    # portal: the links to customers' own pages, and what debtors did there (issue 17)
    "portal-links": {"read": EVERYONE, "write": PEOPLE_AND_ERP, "revoke_all": MANAGERS},
    "portal-actions": {"read": EVERYONE},
    # the services' calls to each other (/internal/...)
    "internal": {"call": SERVICES},
    # gateway: the tenant's people and keys, checked on the gateway's own routes (a ``Principal``, not an Identity)
    "tenant": {"read": TENANT_ROLES, "write": ADMINS},
    "identity": {"read": TENANT_ROLES},  # who am I: every caller may ask
    "users": {"read": SUPERVISORS, "write": ADMINS},
    "api-keys": {"read": ADMINS, "write": ADMINS},
    "test-clock": {"read": TENANT_ROLES, "write": ADMINS},
}


def allowed_roles(permission: Permission) -> Roles:
    """The roles the table gives ``permission``; a KeyError names a resource or action the table lacks."""
    return MATRIX[permission.resource][permission.action]


class HasRoles(Protocol):
    """A caller as a role check sees it: a service's ``Identity``, the gateway's ``Principal``."""

    @property
    def roles(self) -> frozenset[str]: ...


Caller = TypeVar("Caller", bound=HasRoles)


def require_of(
    resource: str, action: str, caller: Callable[..., Awaitable[Caller]]
) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency admitting only the roles the table gives (resource, action), asking ``caller`` (a dependency)
    who calls. It keeps the permission and its roles on itself: the OpenAPI document (``x-roles``) and the
    role-matrix test read them there."""
    permission = Permission(resource, action)
    roles = allowed_roles(permission)

    async def dependency(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if who.roles.isdisjoint(roles):
            raise Forbidden(f"{action} on {resource} needs one of the roles: {', '.join(sorted(roles))}")
        return who

    if not roles >= TENANT_ROLES:  # given to every role of a tenant, it refuses no caller: no 403 to document
        dependency = answers(403)(dependency)

    dependency.admitted_roles = roles  # type: ignore[attr-defined]
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def require(resource: str, action: str) -> Callable[[Identity], Awaitable[Identity]]:
    """The services' check of (resource, action) on the identity the gateway forwards (``require_of``)."""
    return require_of(resource, action, current_identity)
