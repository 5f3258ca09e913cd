"""One merged OpenAPI document at the gateway: every service's public routes, unique operation ids."""

from collections import Counter

from api_gateway.routing import SERVICE_RESOURCES, service_for

METHODS = ("get", "post", "put", "patch", "delete")


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
    from tests.support import service_apps

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
                for part in ("requestBody", "responses"):
                    assert _inline(ours.get(part), merged_schemas) == _inline(theirs.get(part), own_schemas), (
                        f"{method.upper()} {path} {part}"
                    )
                checked += 1
    assert checked > 100
    assert merged["paths"]["/v1/dunning-runs"]["get"] != merged["paths"]["/v1/alarms/runs"]["get"]
