"""One merged OpenAPI document at the gateway: every service's public routes, unique operation ids, every status a
route can answer documented."""

import asyncio
import json
import re
from collections import Counter

from api_gateway.proxy.routing import SERVICE_RESOURCES, service_for
from shared.contracts.webhooks import PAYLOADS, WEBHOOK_BODIES, WebhookEventType
from tests.platform.test_frontend_contract import generate_and_compile
from tests.support import service_apps

METHODS = ("get", "post", "put", "patch", "delete")
# What the gateway answers itself, before or instead of the service: the merge adds these to the services' routes.
GATEWAY_STATUSES = {"401", "409", "413", "422", "429", "502", "503", "504"}
# Any authenticated caller may ask who it is: no role is needed, so no 403.
ANY_ROLE = {("get", "/v1/auth/me"), ("get", "/v1/tenant")}


async def test_merged_document_has_every_service_and_unique_operation_ids(api):
    document = (await api.get("/openapi.json")).json()
    assert "x-unavailable-services" not in document
    paths = document["paths"]
    assert "/v1/auth/token" in paths and "/v1/users" in paths  # the gateway's own
    assert "/v1/customers/{customer_id}" in paths  # a service's
    owners = {service_for(path) for path in paths} - {None}
    assert owners <= set(SERVICE_RESOURCES)
    operation_ids = [op["operationId"] for item in paths.values() for m, op in item.items() if m in METHODS]
    duplicates = [op for op, n in Counter(operation_ids).items() if n > 1]
    assert not duplicates
    assert not [p for p in paths if p in ("/healthz", "/readyz", "/metrics")]
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "apiKey"}
    assert "Problem" in document["components"]["schemas"]
    get_customer = paths["/v1/customers/{customer_id}"]["get"]
    assert get_customer["security"] and "404" in get_customer["responses"]
    assert paths["/v1/auth/token"]["post"]["security"] == []
    tags = {t["name"] for t in document["tags"]}
    assert {"customers", "users", "api-keys"} <= tags


async def test_docs_page_points_at_the_merged_document(api):
    page = await api.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text


async def test_a_service_that_is_down_is_listed_not_fatal(api, stack):
    merged = stack.gateway.state.merged_openapi
    original = merged.settings.alarms_url
    merged._cached = None
    merged.settings.alarms_url = "http://127.0.0.1:1"
    try:
        document = await merged.document(stack.gateway.openapi())
    finally:
        merged.settings.alarms_url = original
        merged._cached = None
    assert document["x-unavailable-services"] == ["alarms"] and "/v1/customers" in document["paths"]


def test_the_routing_table_names_exactly_the_resources_the_services_serve():
    """Each service's public paths are routed, and the table routes nothing a service does not serve."""
    for service, app in service_apps().items():
        served = {path[4:].split("/", 1)[0] for path in app.openapi()["paths"] if path.startswith("/v1/")}
        assert served == set(SERVICE_RESOURCES[service]), service


def _inline(node, schemas: dict, depth: int = 0):
    """A schema with every ``$ref`` replaced by what it names (the names themselves do not matter)."""
    if depth > 12:
        return "..."
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _inline(schemas[ref.rsplit("/", 1)[1]], schemas, depth + 1)
        return {k: _inline(v, schemas, depth) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, schemas, depth) for v in node]
    return node


def without_gateway_headers(response: dict) -> dict:
    """A response as its service publishes it: without the header the gateway's idempotency adds."""
    headers = {k: v for k, v in response.get("headers", {}).items() if k != "Idempotent-Replayed"}
    return {k: v for k, v in response.items() if k != "headers"} | ({"headers": headers} if headers else {})


async def test_every_route_of_the_merged_document_means_what_its_service_publishes(api, stack):
    """Issue 11: two services publishing different schemas under one name (``Page_RunOut_``: dunning's runs and
    alarms' runs) left one of them described with the other's page. Every operation's request and responses, with
    every reference followed, are the same in the merged document as in the service's own."""
    merged = (await api.get("/openapi.json")).json()
    merged_schemas = merged["components"]["schemas"]
    checked = 0
    for service, app in stack.services.items():
        own = app.openapi()
        own_schemas = own.get("components", {}).get("schemas", {})
        for path, item in own["paths"].items():
            if service_for(path) != service:
                continue
            for method in METHODS:
                if method not in item:
                    continue
                theirs, ours = item[method], merged["paths"][path][method]
                assert _inline(ours.get("requestBody"), merged_schemas) == _inline(
                    theirs.get("requestBody"), own_schemas
                ), f"{method.upper()} {path} requestBody"
                own_answers = {
                    code: without_gateway_headers(r)
                    for code, r in ours["responses"].items()
                    if code in theirs["responses"]
                }
                assert _inline(own_answers, merged_schemas) == _inline(theirs["responses"], own_schemas), (
                    f"{method.upper()} {path} responses"
                )
                assert set(ours["responses"]) - set(theirs["responses"]) <= GATEWAY_STATUSES
                checked += 1
    assert checked > 100
    assert merged["paths"]["/v1/dunning-runs"]["get"] != merged["paths"]["/v1/alarms/runs"]["get"]


def _answerable(path: str, method: str, operation: dict) -> set[str]:
    """The statuses an operation can answer by construction, whatever the route does."""
    parameters = operation.get("parameters", [])
    statuses = {"503"}  # no database connection (gateway or service)
    if any(p["in"] == "path" for p in parameters):
        statuses.add("404")  # an id that names nothing
    if parameters or "requestBody" in operation:
        statuses.add("422")
    if "requestBody" in operation:
        statuses.add("413")  # the gateway's body limit
    if operation.get("security"):
        statuses.add("401")
        if (method, path) not in ANY_ROLE:
            statuses.add("403")
        if service_for(path) is not None:
            statuses |= {"429", "502", "504"}  # an API key's rate limit; the service behind down or slow
    if method == "post" and not path.startswith("/v1/auth/"):
        statuses.add("409")  # an Idempotency-Key still in progress
    return statuses


async def test_every_operation_documents_what_it_can_answer_by_construction_as_problem_json(api):
    """Issue 11: every status a route can answer is documented, and every error answer is problem+json."""
    document = (await api.get("/openapi.json")).json()
    lacking, not_problems, checked = [], [], 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            checked += 1
            missing = _answerable(path, method, operation) - set(operation["responses"])
            if missing:
                lacking.append(f"{method.upper()} {path}: {sorted(missing)}")
            for code, response in operation["responses"].items():
                if code[0] in "45" and set(response.get("content", {})) != {"application/problem+json"}:
                    not_problems.append(f"{method.upper()} {path} {code}: {sorted(response.get('content', {}))}")
    assert checked > 100
    assert not lacking, lacking
    assert not not_problems, not_problems
    assert "HTTPValidationError" not in document["components"]["schemas"]  # FastAPI's 422 body: nobody answers it
    idempotent = document["paths"]["/v1/customers"]["post"]["parameters"]
    assert [p["name"] for p in idempotent if p["in"] == "header"] == ["Idempotency-Key"]


async def test_a_status_raised_by_a_shared_dependency_is_documented_on_every_route_using_it(stack):
    """``answers`` on a dependency: the role check's 403 and the identity's 401 reach each route's document."""
    receivables = stack.services["receivables"].openapi()["paths"]
    assert {"401", "403", "404", "422", "503"} <= set(receivables["/v1/customers/{customer_id}"]["get"]["responses"])
    gateway = stack.gateway.openapi()["paths"]
    assert {"401", "503"} <= set(gateway["/v1/auth/me"]["get"]["responses"])
    assert "403" not in gateway["/v1/auth/me"]["get"]["responses"]
    assert "403" in gateway["/v1/users/{user_id}"]["patch"]["responses"]


async def test_the_merged_document_carries_the_services_webhooks(api, tmp_path):
    """The webhooks service's ``webhooks`` section (the catalogue, ``document_webhooks``) reaches the gateway's
    merged document with every event type, its exact body and payload; openapi-typescript still makes a client of
    it, with no ``unknown`` in the events' types."""
    document = (await api.get("/openapi.json")).json()
    assert "x-unavailable-services" not in document
    schemas = document["components"]["schemas"]

    def resolve(node: dict) -> dict:
        return schemas[node["$ref"].rsplit("/", 1)[1]]

    assert set(document["webhooks"]) == {t.value for t in WebhookEventType}
    for event_type in WebhookEventType:
        operation = document["webhooks"][event_type.value]["post"]
        body = resolve(operation["requestBody"]["content"]["application/json"]["schema"])
        assert body["properties"]["type"]["const"] == event_type.value
        payload = resolve(body["properties"]["data"])
        assert set(payload["properties"]) == set(PAYLOADS[event_type].model_fields)
        assert payload["properties"]["version"]["const"] == 1
        assert payload["required"] == PAYLOADS[event_type].model_json_schema()["required"]
    assert schemas["InvoiceStatusChangedV1"]["properties"]["open_amount"]["type"] == "string"  # money as text

    spec, client = tmp_path / "openapi.json", tmp_path / "schema.d.ts"
    spec.write_text(json.dumps(document))
    await asyncio.to_thread(generate_and_compile, spec, client)
    generated = client.read_text()
    assert '"promise.kept": {' in generated and 'post: operations["webhook_promise_kept"]' in generated
    # Each component schema, as the generated client types it ("        Name: {" ... "        };").
    types = dict(re.findall(r"^        (\w+): \{\n(.*?)^        \};$", generated, flags=re.M | re.S))
    for event_type, payload in PAYLOADS.items():
        for name in (payload.__name__, WEBHOOK_BODIES[event_type].__name__):
            assert name in types and "unknown" not in types[name], name
    assert "open_amount: string;" in types["InvoiceStatusChangedV1"]
