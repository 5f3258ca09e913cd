"""The contract a frontend or ERP team reads (issue 14): who may call each operation, as enforced; the Idempotency-Key
where the gateway honours it; every error a route can answer as problem+json with an example; and a query parameter
the operation does not take refused, not ignored.

Every test walks the merged document (``GET /openapi.json``) or the apps' routes, not a list kept here: a new route is
covered by construction.
"""

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute, iter_route_contexts

from api_gateway.idempotency.rules import idempotent
from api_gateway.limits import ratelimit
from api_gateway.proxy.routing import service_for
from shared.app import create_service_app, declared_query
from shared.identity import ADMIN, ALL_ROLES, COLLECTOR, INTEGRATION, MANAGER, SUPERVISOR
from shared.permissions import require
from shared.settings import ServiceSettings
from tests.support import create_api_key, create_tenant, create_user

METHODS = ("get", "post", "put", "patch", "delete")
WRITES = ("post", "put", "patch", "delete")
PROBLEM = "application/problem+json"


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def expected_errors(method: str, path: str, operation: dict[str, Any]) -> set[str]:
    """The problems an operation can answer by construction, from what the operation itself says."""
    parameters = operation.get("parameters", [])
    statuses = {"503"}
    if any(p["in"] == "path" for p in parameters):
        statuses.add("404")
    if parameters or "requestBody" in operation:
        statuses.add("422")
    if operation.get("security"):
        statuses |= {"401", "429"}
        if set(operation["x-roles"]) < set(ALL_ROLES):
            statuses.add("403")
        if method in WRITES:
            statuses.add("409")
        if service_for(path) is not None:
            statuses |= {"502", "504"}
    if idempotent(path, method):
        statuses |= {"409", "422"}
    return statuses


async def test_every_operation_says_who_may_call_it_and_documents_its_problems_with_examples(api):
    document = (await api.get("/openapi.json")).json()
    problems = []
    for method, path, operation in operations(document):
        name = f"{method.upper()} {path}"
        roles = operation.get("x-roles")
        if not isinstance(roles, list) or not set(roles) <= set(ALL_ROLES):
            problems.append(f"{name}: x-roles {roles!r}")
            continue
        sentence = "Roles: " + (", ".join(roles) if roles else "none")
        if sentence not in operation.get("description", ""):
            problems.append(f"{name}: the description does not say {sentence!r}")
        if bool(roles) != bool(operation.get("security")):
            problems.append(f"{name}: roles {roles} but security {operation.get('security')}")
        responses = operation["responses"]
        missing = expected_errors(method, path, operation) - set(responses)
        if missing:
            problems.append(f"{name}: undocumented {sorted(missing)}")
        for code, response in responses.items():
            if code[0] not in "45":
                continue
            content = response.get("content", {})
            example = content.get(PROBLEM, {}).get("example", {})
            if set(content) != {PROBLEM} or example.get("status") != int(code) or not example.get("type"):
                problems.append(f"{name} {code}: not problem+json with an example of its status")
            if code in ("429", "503") and "Retry-After" not in response.get("headers", {}):
                problems.append(f"{name} {code}: Retry-After is not documented")
    assert not problems, "\n".join(problems)
    assert len(operations(document)) > 100
    tenants = document["paths"]["/v1/tenants"]["post"]
    assert tenants["x-roles"] == [] and "X-Operator-Token" in tenants["description"]
    assert document["paths"]["/v1/users"]["post"]["x-roles"] == [ADMIN]
    assert document["paths"]["/v1/customers"]["get"]["x-roles"] == list(ALL_ROLES)


async def test_every_post_the_gateway_makes_idempotent_documents_the_key_and_the_replay_header(api):
    document = (await api.get("/openapi.json")).json()
    checked = 0
    for method, path, operation in operations(document):
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        if not idempotent(path, method):
            assert "Idempotency-Key" not in headers, f"{method.upper()} {path}"
            continue
        checked += 1
        assert headers.count("Idempotency-Key") == 1, f"{method.upper()} {path}"
        successes = [r for code, r in operation["responses"].items() if code.startswith("2")]
        assert successes, f"{method.upper()} {path}"
        for response in successes:
            assert "Idempotent-Replayed" in response.get("headers", {}), f"{method.upper()} {path}"
    assert checked >= 30  # every creating POST: customers, invoices, payments, users, api-keys, ...
    assert not idempotent("/v1/auth/token", "post") and idempotent("/v1/customers", "post")


def walk_request(method: str, path: str, operation: dict[str, Any]) -> dict[str, Any]:
    """A request any role check can judge: ids that name nothing, no query, a body that is at least well-formed
    (FastAPI parses the JSON before the dependencies run; the role check runs before the body is validated)."""
    url = path
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", str(uuid.uuid4()))
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return {"method": method.upper(), "url": url, "json": {}}
    if "text/csv" in content:
        return {"method": method.upper(), "url": url, "content": b"", "headers": {"Content-Type": "text/csv"}}
    return {"method": method.upper(), "url": url}


def _about_the_tenant(response: httpx.Response) -> bool:
    """A 403 that refuses the tenant, whatever the caller's role: a live tenant asking for a test clock."""
    return response.json().get("type", "").endswith("/not-a-sandbox")


async def test_every_operation_answers_each_role_as_its_document_says(api):
    """A person of each role (an API key for ``integration``) calls every operation: a role the document does not
    name is refused with 403 problem+json; a role it names is never refused (any answer but 401 and 403)."""
    tenant = await create_tenant(api)
    credentials = {ADMIN: tenant.admin}
    for role in (MANAGER, SUPERVISOR, COLLECTOR):
        credentials[role] = (await create_user(api, tenant, role))[1]
    credentials[INTEGRATION] = await create_api_key(api, tenant, roles=[INTEGRATION], rate_limit_per_minute=100_000)
    document = (await api.get("/openapi.json")).json()
    disagreements, walked = [], 0
    for method, path, operation in operations(document):
        roles = operation["x-roles"]
        if not operation.get("security"):
            continue  # public (token, revoke) or the operator's: test below
        walked += 1
        request = walk_request(method, path, operation)
        for role in ALL_ROLES:
            headers = {**request.get("headers", {}), **credentials[role]}
            response = await api.request(**{**request, "headers": headers})
            if role not in roles:
                refused = response.status_code == 403 and response.headers["content-type"] == PROBLEM
                if not refused:
                    disagreements.append(f"{method.upper()} {path} as {role}: {response.status_code} (not allowed)")
            elif response.status_code == 401 or (response.status_code == 403 and not _about_the_tenant(response)):
                disagreements.append(f"{method.upper()} {path} as {role}: {response.status_code} {response.text}")
    assert not disagreements, "\n".join(disagreements)
    assert walked > 100


async def test_the_operator_route_refuses_every_tenant_role(api):
    tenant = await create_tenant(api)
    manager = (await create_user(api, tenant, MANAGER))[1]
    key = await create_api_key(api, tenant, roles=[INTEGRATION])
    for headers in (tenant.admin, manager, key):
        response = await api.post("/v1/tenants", json={}, headers=headers)
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM


# --- unknown query parameters ---------------------------------------------------------------------------------------


def test_the_check_knows_exactly_the_query_parameters_each_route_documents(stack):
    """The parameters the check admits are the ones the document lists, for every route of every app."""
    checked = 0
    for name, app in {**stack.services, "gateway": stack.gateway}.items():
        paths = app.openapi()["paths"]
        for route in iter_route_contexts(app.routes):  # included routers' routes, with their prefixes
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            for method in route.methods:
                operation = paths[route.path_format][method.lower()]
                documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
                assert declared_query(route.original_route) == documented, f"{name} {method} {route.path_format}"
                checked += 1
    assert checked > 100


UNKNOWN = [  # (path, a parameter it documents with a value, a misspelling or a parameter it does not take)
    ("/v1/customers", {"q": "Acme"}, "search"),
    ("/v1/invoices", {"status": "normal", "limit": "2"}, "stauts"),
    ("/v1/kpis/aging", {"as_of": "2025-06-30"}, "asof"),
    ("/v1/strategies", {"active": "true"}, "enabled"),
    ("/v1/dunning-forecast", {"days": "7"}, "day"),
    ("/v1/templates", {"language": "es"}, "lang"),
    ("/v1/messages", {"channel": "email"}, "status"),
    ("/v1/alarms", {"alarm": "actions"}, "type"),
    ("/v1/alarms/runs", {"limit": "5"}, "page"),
    ("/v1/users", {"role": "admin"}, "roles"),
    ("/v1/auth/me", {}, "verbose"),
    ("/v1/tenant", {}, "id"),
]


@pytest.mark.parametrize(("path", "documented", "unknown"), UNKNOWN)
async def test_a_query_parameter_the_operation_does_not_take_is_a_422_naming_it(api, path, documented, unknown):
    tenant = await create_tenant(api)
    works = await api.get(path, params=documented, headers=tenant.admin)
    assert works.status_code == 200, works.text
    refused = await api.get(path, params={**documented, unknown: "x"}, headers=tenant.admin)
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM, refused.text
    errors = refused.json()["errors"]
    assert [(e["field"], e["loc"]) for e in errors] == [(unknown, ["query", unknown])]
    assert unknown in refused.json()["detail"]


async def test_the_readme_search_is_q_and_search_returns_no_one(api):
    tenant = await create_tenant(api)
    for name in ("Acme Norte", "Zeta Sur"):
        body = {"external_id": name, "name": name, "country": "AR"}
        assert (await api.post("/v1/customers", json=body, headers=tenant.admin)).status_code == 201
    found = await api.get("/v1/customers", params={"q": "Acme"}, headers=tenant.admin)
    assert [c["name"] for c in found.json()["items"]] == ["Acme Norte"]
    ignored = await api.get("/v1/customers", params={"search": "Acme", "q": "Acme"}, headers=tenant.admin)
    assert ignored.status_code == 422 and [e["field"] for e in ignored.json()["errors"]] == ["search"]
    both = await api.get("/v1/customers?search=a&segment=b&zzz=1", headers=tenant.admin)
    assert sorted(e["field"] for e in both.json()["errors"]) == ["search", "zzz"]


# --- rate limits ------------------------------------------------------------------------------------------------------


class NextMinute:
    """The rate limiter's clock, a window later."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock

    def time(self) -> float:
        return self.clock.time() + ratelimit.WINDOW_SECONDS


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/auth/me"])
async def test_a_real_429_says_when_to_retry_on_forwarded_and_gateway_routes(api, path):
    tenant = await create_tenant(api)
    key = await create_api_key(api, tenant, roles=[ADMIN], rate_limit_per_minute=2)
    statuses = [(await api.get(path, headers=key)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = await api.get(path, headers=key)
    assert refused.status_code == 429 and refused.headers["content-type"] == PROBLEM
    assert 1 <= int(refused.headers["retry-after"]) <= ratelimit.WINDOW_SECONDS + 1
    assert refused.json()["limit"] == 2


async def test_a_rate_limited_post_is_not_replayed_under_its_idempotency_key(api, monkeypatch):
    """A 429 is not the answer to the request: the same key a minute later acts, and then replays that."""
    tenant = await create_tenant(api)
    key = await create_api_key(api, tenant, roles=[ADMIN], rate_limit_per_minute=1)
    assert (await api.get("/v1/customers", headers=key)).status_code == 200
    body = {"external_id": "C-429", "name": "Cliente Limitado", "country": "AR"}
    headers = {**key, "Idempotency-Key": "create-c-429"}
    limited = await api.post("/v1/customers", json=body, headers=headers)
    assert limited.status_code == 429 and "idempotent-replayed" not in limited.headers
    monkeypatch.setattr(ratelimit, "time", NextMinute(ratelimit.time))
    created = await api.post("/v1/customers", json=body, headers=headers)
    assert created.status_code == 201 and "idempotent-replayed" not in created.headers, created.text
    replayed = await api.post("/v1/customers", json=body, headers={**tenant.admin, "Idempotency-Key": "create-c-429"})
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert json.loads(replayed.content) == created.json()


def test_roles_are_read_from_every_check_a_route_depends_on():
    """Two checks on one route admit only the roles both admit; a route nobody checks is public; a dependency's
    ``access`` sentence names a credential that is no role."""

    async def operator_token() -> None:
        return None

    operator_token.admitted_roles = frozenset()  # type: ignore[attr-defined]
    operator_token.access = "the operator's token"  # type: ignore[attr-defined]
    router = APIRouter(prefix="/v1/things", tags=["things"])

    @router.get(
        # the matrix: admin, manager, supervisor write templates; admin, manager, integration write people
        "/both",
        dependencies=[Depends(require("templates", "write")), Depends(require("people", "write"))],
    )
    async def both() -> None:
        """Both checks."""

    @router.get("/public")
    async def public(q: str | None = None) -> None:
        return None

    @router.get("/operator", dependencies=[Depends(operator_token)])
    async def operator() -> None:
        return None

    app = create_service_app(ServiceSettings(), title="t", description="t", routers=[router])
    paths = app.openapi()["paths"]
    assert paths["/v1/things/both"]["get"]["x-roles"] == [ADMIN, MANAGER]
    assert paths["/v1/things/both"]["get"]["description"] == "Both checks.\n\nRoles: admin, manager."
    assert paths["/v1/things/public"]["get"]["x-roles"] == []
    assert paths["/v1/things/public"]["get"]["description"] == "Roles: none needed (no credentials)."
    assert paths["/v1/things/operator"]["get"]["description"] == "Roles: the operator's token."
