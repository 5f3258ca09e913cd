"""Every route holds the one table of rights (``shared.permissions.MATRIX``), checked two ways:

- by its dependencies: a route that asks who the caller is depends on exactly one ``require(resource, action)`` (a
  dependency carrying ``.permission``) and admits exactly the roles the table gives it;
- by calling it: each of the six roles in turn, alone, on the real apps running on the test database. A role the
  table does not give gets 403 problem+json; a role it gives gets anything but 401/403 (404, 422, 2xx: the path
  ids are random, the body is empty JSON) and no 5xx.

The services are called directly with the identity the gateway forwards (``identity_headers``, signed with the
service's internal secret); the gateway's own routes with a real credential of each role (people log in, the
integration role is an API key; no credential holds ``service``, so those routes are called with five roles). The
platform operator's routes (``admitted_roles`` empty) answer 401 to every tenant credential. The assertion messages
list every offender at once: a to-do list.

A route that cannot be held to the table this way is named below (``PUBLIC``, ``OPERATOR``, ``NOT_CALLED``) with
its reason; nothing is skipped silently.
"""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from api_gateway.main import create_app as create_gateway
from api_gateway.settings import GatewaySettings
from shared.identity import (
    ADMIN,
    ALL_ROLES,
    COLLECTOR,
    INTEGRATION,
    MANAGER,
    READERS,
    SERVICE,
    SUPERVISOR,
    admits,
    current_identity,
    identity_headers,
)
from shared.permissions import MATRIX, Permission
from tests.support import Stack, TenantCtx, create_api_key, create_tenant, create_user, service_apps

ROLES = (ADMIN, MANAGER, SUPERVISOR, COLLECTOR, INTEGRATION, SERVICE)
SERVICES = ("receivables", "dunning", "messaging", "alarms", "webhooks")
APPS = (*SERVICES, "gateway")
PROBLEM = "application/problem+json"
ROLE_REFUSAL = "/problems/forbidden"  # shared.problems.Forbidden: what require() answers to a role it does not admit

# Routes that ask no one who they are, each with why (any app: health, metrics; or one app's).
EVERY_APP_PUBLIC = {
    ("GET", "/healthz"): "liveness, for the orchestrator",
    ("GET", "/readyz"): "readiness, for the orchestrator",
    ("GET", "/metrics"): "Prometheus scrapes it (the network policy keeps it inside the cluster)",
}
PUBLIC: dict[tuple[str, str, str], str] = {
    ("gateway", "POST", "/v1/auth/token"): "logging in: the credential is the form",
    ("gateway", "POST", "/v1/auth/revoke"): "logging out (RFC 7009): answers 200 for any token",
    ("gateway", "GET", "/openapi.json"): "the merged API document",
    ("gateway", "GET", "/docs"): "the API browser",
    ("gateway", "GET", "/docs/oauth2-redirect"): "the API browser's login page",
    ("gateway", "GET", "/redoc"): "the API reference page",
    ("gateway", "GET", "/webhooks/{path}"): "the providers' webhooks, forwarded: the service checks their signature",
    ("gateway", "POST", "/webhooks/{path}"): "the providers' webhooks, forwarded: the service checks their signature",
    ("gateway", "GET", "/portal/{path}"): "the customer's page, forwarded: the portal checks the link's token",
    ("gateway", "POST", "/portal/{path}"): "the customer's page, forwarded: the portal checks the link's token",
    **{
        ("gateway", method, "/v1/{path}"): "the proxy to the services: it authenticates, the service holds the rights"
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    },
    ("messaging", "GET", "/webhooks/messaging/whatsapp"): "Meta's webhook verification (its verify token)",
    ("messaging", "GET", "/webhooks/messaging/whatsapp/{tenant_id}"): "Meta's webhook verification, per tenant",
    ("messaging", "GET", "/webhooks/messaging/unsubscribe/{token}"): "the recipient's unsubscribe link (signed)",
    ("messaging", "POST", "/webhooks/messaging/unsubscribe/{token}"): "one-click unsubscribe (RFC 8058, signed)",
}

# Every route of the customer's own page (issue 17): the link's token in the path is the debtor's credential
# (services/portal/visits), the payment provider's signature its notification's.
PUBLIC_PREFIXES: dict[tuple[str, str], str] = {
    ("portal", "/portal/"): "the customer's page: the link's token (or the provider's signature) is the credential",
}

# The platform operator's routes: its token (X-Operator-Token), none of a tenant's roles. They admit no role
# (``admitted_roles`` empty), or check the token in the route (no role dependency at all: ``admits`` is None).
OPERATOR: dict[tuple[str, str, str], str] = {
    ("gateway", "POST", "/v1/tenants"): "creating a tenant and its first admin",
    ("gateway", "PUT", "/v1/tenants/{tenant_id}/webhook-settings"): "opening the operator's network to a tenant's URLs",
}

# Routes that ask who the caller is but are not called here, each with why.
NOT_CALLED: dict[tuple[str, str, str], str] = {}

# The roles a credential of the gateway can hold: the service role is only ever signed by a service.
CREDENTIAL_ROLES = frozenset(ALL_ROLES)


@dataclass(frozen=True)
class Route:
    app: str
    method: str
    path: str
    dependant: Dependant

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.app, self.method, self.path)

    def __str__(self) -> str:
        return f"{self.app}: {self.method} {self.path}"


def routes_of(name: str, app: FastAPI) -> Iterator[Route]:
    """Every operation of the app, its included routers' too (with their prefixes and router-level dependencies)."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            for method in sorted(context.methods or ()):
                yield Route(name, method, context.path_format, context.dependant)


def permissions_of(dependant: Dependant) -> set[Permission]:
    found = {dependant.call.permission} if hasattr(dependant.call, "permission") else set()
    for sub in dependant.dependencies:
        found |= permissions_of(sub)
    return found


def forwarded(dependant: Dependant) -> bool:
    """Whether the route reads the identity the gateway forwards (else: a gateway credential)."""
    return dependant.call is current_identity or any(forwarded(sub) for sub in dependant.dependencies)


def is_public(route: Route) -> bool:
    return (
        route.key in PUBLIC
        or (route.method, route.path) in EVERY_APP_PUBLIC
        or any(route.app == app and route.path.startswith(prefix) for app, prefix in PUBLIC_PREFIXES)
    )


def holdable(route: Route) -> frozenset[str]:
    """The roles a caller of the route can hold: any, signed by a service; a person's or a key's at the gateway."""
    return frozenset(READERS) if forwarded(route.dependant) else CREDENTIAL_ROLES


def table_roles(route: Route) -> frozenset[str] | None:
    """The roles the table gives the route's one permission (None: not exactly one, or not in the table)."""
    found = permissions_of(route.dependant)
    if len(found) != 1:
        return None
    (permission,) = found
    return MATRIX.get(permission.resource, {}).get(permission.action)


def all_routes() -> list[Route]:
    apps = {**service_apps(), "gateway": create_gateway(GatewaySettings())}
    return [route for name, app in apps.items() for route in routes_of(name, app)]


def test_every_route_that_asks_who_calls_depends_on_one_permission_of_the_table():
    offenders = []
    for route in all_routes():
        admitted = admits(route.dependant)
        if route.key in OPERATOR:
            if admitted:
                offenders.append(f"{route}: the operator's, but admits tenant roles {sorted(admitted)}")
            continue
        if admitted is None:
            if not is_public(route):
                offenders.append(f"{route}: asks no one who they are; not listed in PUBLIC (with its reason)")
            continue
        if is_public(route):
            offenders.append(f"{route}: listed in PUBLIC but asks who the caller is ({sorted(admitted)})")
            continue
        if admitted == frozenset():
            offenders.append(f"{route}: admits no role but is not listed in OPERATOR")
            continue
        found = permissions_of(route.dependant)
        if len(found) != 1:
            named = ", ".join(sorted(f"{p.resource}.{p.action}" for p in found)) or "none"
            offenders.append(f"{route}: depends on {len(found)} permissions ({named}); admits {sorted(admitted)}")
            continue
        (permission,) = found
        roles = MATRIX.get(permission.resource, {}).get(permission.action)
        if roles is None:
            offenders.append(f"{route}: {permission.resource}.{permission.action} is not in the table")
        elif admitted != roles & holdable(route):
            right = f"{permission.resource}.{permission.action}"
            offenders.append(f"{route}: admits {sorted(admitted)} but {right} gives {sorted(roles)}")
    assert not offenders, f"{len(offenders)} routes off the table:\n" + "\n".join(offenders)


def test_the_document_names_each_operation_s_permission_and_its_roles():
    """``x-permission`` (``customers:write``) and ``x-roles`` say the table's entry: a frontend reads them."""
    apps = {**service_apps(), "gateway": create_gateway(GatewaySettings())}
    wrong = []
    for name, app in apps.items():
        paths = app.openapi()["paths"]
        for route in routes_of(name, app):
            found = permissions_of(route.dependant)
            operation = paths.get(route.path, {}).get(route.method.lower())
            if len(found) != 1 or operation is None:  # internal routes are not in the document
                continue
            (permission,) = found
            roles = [role for role in ALL_ROLES if role in MATRIX[permission.resource][permission.action]]
            expected = (f"{permission.resource}:{permission.action}", roles)
            if (operation.get("x-permission"), operation.get("x-roles")) != expected:
                wrong.append(f"{route}: {operation.get('x-permission')} {operation.get('x-roles')}, not {expected}")
    assert not wrong, "\n".join(wrong)


def test_every_resource_and_action_of_the_table_is_used():
    """A right nobody enforces is a right that lies: each (resource, action) of the table guards some route."""
    used = {permission for route in all_routes() for permission in permissions_of(route.dependant)}
    unused = [f"{r}.{a}" for r, actions in MATRIX.items() for a in actions if Permission(r, a) not in used]
    assert not unused, f"in the table, guarding no route: {', '.join(unused)}"


def test_the_exceptions_name_routes_that_exist():
    keys = {route.key for route in all_routes()}
    assert not (set(PUBLIC) | set(OPERATOR) | set(NOT_CALLED)) - keys


PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def concrete(path: str) -> str:
    """The path with a random UUID for each parameter: a route of another tenant's (or nobody's) thing."""
    return PATH_PARAMETER.sub(lambda _: str(uuid.uuid4()), path)


async def call(client: httpx.AsyncClient, route: Route, headers: dict[str, str]) -> httpx.Response:
    body: dict[str, Any] = {"json": {}} if route.method in ("POST", "PUT", "PATCH") else {}
    return await client.request(route.method, concrete(route.path), headers=headers, **body)


def verdict(route: Route, role: str, allowed: frozenset[str], response: httpx.Response) -> str | None:
    """What is wrong with the answer to ``role`` calling ``route`` (None: nothing)."""
    status = response.status_code
    if not allowed:  # the platform operator's: a tenant's credential is no operator token
        return None if status == 401 else f"{route} as {role}: {status}, not 401 (the operator's token only)"
    if role not in allowed:
        if status != 403:
            return f"{route} as {role}: {status}, not 403 (the table does not give it {role})"
        if not response.headers.get("content-type", "").startswith(PROBLEM):
            return f"{route} as {role}: 403 but not problem+json"
        if not response.json().get("type", "").endswith(ROLE_REFUSAL):
            return f"{route} as {role}: 403 for another reason than the role: {response.text[:200]}"
        return None
    if status in (401, 403) or status >= 500:
        return f"{route} as {role}: {status} although {role} may: {response.text[:200]}"
    return None


async def credentials(api: httpx.AsyncClient, tenant: TenantCtx) -> dict[str, dict[str, str]]:
    """A real credential of the gateway per role a credential can hold: a person per role, a key for integration."""
    found = {ADMIN: tenant.admin, INTEGRATION: await create_api_key(api, tenant, roles=[INTEGRATION])}
    for role in (MANAGER, SUPERVISOR, COLLECTOR):
        found[role] = (await create_user(api, tenant, role))[1]
    return found


def signed(app: FastAPI, tenant: TenantCtx, role: str) -> dict[str, str]:
    """The identity the gateway forwards for one role alone (a person: the tenant's admin user, by id)."""
    actor = {INTEGRATION: f"apikey:{uuid.uuid4()}", SERVICE: "service:role-matrix"}.get(role, f"user:{tenant.admin_id}")
    return identity_headers(app.state.settings.internal_secret, tenant.id, actor, [role])


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", APPS)
async def test_every_role_gets_what_the_table_gives_it(api, stack: Stack, name):
    """Each route called by each role alone. The table's roles are the expectation; a route not yet on the table
    is held to what it says it admits (``admits``, the OpenAPI's ``x-roles``) and listed by the test above."""
    tenant = await create_tenant(api, sandbox=True)  # a sandbox: its test clock's routes answer, no real provider
    app = stack.gateway if name == "gateway" else stack.services[name]
    people = await credentials(api, tenant) if name == "gateway" else {}
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    offenders, calls = [], 0
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test") as client:
        for route in routes_of(name, app):
            admitted = admits(route.dependant)
            if admitted is None or route.key in NOT_CALLED:
                continue  # public, an operator's route checking its token inside (OPERATOR), or named with why
            allowed = table_roles(route)
            allowed = admitted if allowed is None else allowed  # the operator's (no role at all): refused to each
            by_credential = not forwarded(route.dependant)
            for role in ROLES:
                if by_credential and role not in CREDENTIAL_ROLES:
                    continue  # no credential of the gateway holds the service role
                headers = people[role] if by_credential else signed(app, tenant, role)
                response = await call(client, route, headers)
                calls += 1
                if (problem := verdict(route, role, allowed, response)) is not None:
                    offenders.append(problem)
    assert calls, f"no route of {name} was called"
    assert not offenders, f"{len(offenders)} answers off the table:\n" + "\n".join(offenders)
