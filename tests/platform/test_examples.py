"""Issue 14: a contract a frontend team trusts. In the merged OpenAPI document every request body and every success
response has an example that validates against its schema, every schema has a plain name, and no object is open
where its shape is known."""

import re
from typing import Any

import jsonschema_rs
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter

from services.receivables.ingest.schemas import CustomerBatch, InvoiceBatch, PaymentBatch
from tests.support import service_apps

METHODS = ("get", "post", "put", "patch", "delete")
PLAIN_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
# Open on purpose (the description of each says so): a timeline entry's details are a log kept as written, by
# kind; template data and a rendered template's context hold whatever keys a tenant's own templates read.
OPEN_BY_DESIGN = {
    "HistoryEntryOut.data",
    "TimelineEntryOut.data",
    "Communication.data",
    "PreviewOut.data",
    "WebhookEventOut.data",  # every catalogue type's payload in one list; each shape is in the `webhooks` section
    "ActionOut.detail",  # what a debtor asked on the portal: one shape per kind of action
    "ActionOut.result",  # what it became: the ids of the outcome, task, payment or receipt
    "ReasonOut.evidence",  # the facts behind a worklist reason: one shape per reason code
}


def _resolve(node: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schemas[node["$ref"].rsplit("/", 1)[1]]
    return node


def bodies(document: dict[str, Any]):
    """(where, media type object) of every request body and success response with content."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {path}"
            if "requestBody" in operation:
                for media_type, media in operation["requestBody"]["content"].items():
                    yield f"{where} request {media_type}", media
            for code, response in operation["responses"].items():
                if code.startswith("2"):
                    for media_type, media in response.get("content", {}).items():
                        yield f"{where} {code} {media_type}", media


def examples_of(media: dict[str, Any], schemas: dict[str, Any]) -> list[Any]:
    """The examples a client sees for a body: the media type's own, else its schema's (a reference followed; for
    an optional body, its non-null branch)."""
    if "example" in media:
        return [media["example"]]
    if "examples" in media:
        return [e["value"] for e in media["examples"].values()]
    schema = media.get("schema", {})
    branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") != "null"]
    found = []
    for branch in branches:
        target = _resolve(branch, schemas)
        found += target.get("examples", []) or ([target["example"]] if "example" in target else [])
    return found


def open_objects(schemas: dict[str, Any]) -> set[str]:
    """``Schema.field`` of every property that is, or holds, an object with no known shape (``unknown`` or
    ``Record<string, unknown>`` in a generated TypeScript client)."""

    def is_open(node: Any) -> bool:
        if not isinstance(node, dict):
            return False
        if node == {} or (
            node.get("type") == "object"
            and "properties" not in node
            and node.get("additionalProperties") in (None, True, {})
        ):
            return True
        inner = [*node.get("anyOf", []), *node.get("oneOf", []), *node.get("allOf", [])]
        inner += [node[k] for k in ("items", "additionalProperties") if isinstance(node.get(k), dict)]
        return any(is_open(n) for n in inner)

    return {
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, definition in schema.get("properties", {}).items()
        if is_open(definition)
    }


async def test_every_body_has_an_example_that_validates_against_its_schema(api):
    document = (await api.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    missing, invalid, checked = [], [], 0
    for where, media in bodies(document):
        if media.get("schema", {}).get("format") == "binary":
            continue  # a PDF: there is no JSON to show
        found = examples_of(media, schemas)
        if not found:
            missing.append(where)
        validator = jsonschema_rs.validator_for(
            {**media.get("schema", {}), "components": document["components"]}, validate_formats=True
        )
        for example in found:
            checked += 1
            errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(example)]
            if errors:
                invalid.append(f"{where}: {errors[:3]}")
    assert not missing, missing
    assert not invalid, invalid
    assert checked > 150


async def test_every_schema_example_validates_and_names_are_plain(api):
    """The examples of every schema (nested ones included), and plain names only: no module paths, no
    ``Page_CustomerOut_`` or ``-Input``."""
    document = (await api.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    invalid = []
    for name, schema in schemas.items():
        validator = jsonschema_rs.validator_for(
            {"$ref": f"#/components/schemas/{name}", "components": document["components"]}, validate_formats=True
        )
        for example in schema.get("examples", []):
            errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(example)]
            if errors:
                invalid.append(f"{name}: {errors[:3]}")
    assert not invalid, invalid
    assert [name for name in schemas if not PLAIN_NAME.match(name)] == []
    assert {"CustomerPage", "RunPage", "AlarmsRunPage", "TokenRequest"} <= set(schemas)


async def test_no_open_object_where_the_shape_is_known(api):
    document = (await api.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert open_objects(schemas) == OPEN_BY_DESIGN
    for spot in OPEN_BY_DESIGN:
        name, field = spot.split(".")
        assert "open object by design" in schemas[name]["properties"][field]["description"], spot


def test_every_request_example_is_accepted_by_its_model():
    """JSON Schema cannot say everything a model checks (a valid phone number, a currency's decimals, a promised
    date not in the past...): the examples of what clients send pass the models themselves. The bulk bodies are
    read by hand (row by row), so their models are named here."""
    from api_gateway.main import create_app

    apps = {**service_apps(), "gateway": create_app()}
    bodies = [CustomerBatch, InvoiceBatch, PaymentBatch]
    for app in apps.values():
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if isinstance(route, APIRoute) and route.body_field is not None:
                bodies.append(route.body_field.field_info.annotation)
    refused, checked = [], 0
    for body in bodies:
        adapter = TypeAdapter(body)
        schema = adapter.json_schema()
        targets = [schema] + [
            schema["$defs"][b["$ref"].rsplit("/", 1)[1]] for b in schema.get("anyOf", []) if "$ref" in b
        ]
        for example in [e for target in targets for e in target.get("examples", [])]:
            checked += 1
            try:
                adapter.validate_python(example)
            except ValueError as exc:
                refused.append(f"{body}: {exc}")
    assert not refused, refused
    assert checked > 40
