"""One OpenAPI document for the whole public API: the gateway's own routes plus every service's public
routes (exactly the paths the routing table sends to it), with the security schemes the gateway applies, and the
webhooks the services send out (their ``webhooks`` sections).

Fetched from the services and cached for a few seconds; a service that does not answer is listed in
``x-unavailable-services`` instead of failing the whole document.
"""

import asyncio
import copy
import re
import time
from typing import Any

import httpx

from api_gateway.idempotency.rules import idempotent
from api_gateway.proxy import external_ids
from api_gateway.proxy.routing import SERVICE_RESOURCES, service_for
from api_gateway.settings import GatewaySettings
from shared.problems import document_problems

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from `POST /v1/auth/token`.",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An integration API key (shown once when created).",
    },
}
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKey": []}]
METHODS = ("get", "put", "post", "delete", "patch")
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "The same key sent again (with the same request) gets the first answer again, acting once.",
}
IDEMPOTENT_REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.",
    "schema": {"type": "string", "enum": ["true"]},
}
WRITES = ("put", "post", "patch", "delete")


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: (
                "#/components/schemas/" + renames.get(v.rsplit("/", 1)[1], v.rsplit("/", 1)[1])
                if k == "$ref" and isinstance(v, str) and v.startswith("#/components/schemas/")
                else _rewrite_refs(v, renames)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v, renames) for v in node]
    return node


PLAIN_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def _plain_names(doc: dict[str, Any]) -> dict[str, Any]:
    """The service's document with its schemas named by their titles where pydantic's name is not a plain
    identifier: a page of customers is ``CustomerPage`` (its title, see ``shared.pagination.Page``), not
    ``Page_CustomerOut_``. A name stays when its title is not plain either or is another schema's name."""
    schemas = doc.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for name, schema in schemas.items():
        title = schema.get("title")
        plain_title = isinstance(title, str) and PLAIN_NAME.match(title)
        if not PLAIN_NAME.match(name) and plain_title and title not in schemas and title not in renames.values():
            renames[name] = title
    renamed: dict[str, Any] = _rewrite_refs(doc, renames)
    return renamed | {
        "components": {
            **doc.get("components", {}),
            "schemas": {renames.get(n, n): _rewrite_refs(s, renames) for n, s in schemas.items()},
        }
    }


def _renames(service: str, theirs: dict[str, Any], merged: dict[str, Any]) -> dict[str, str]:
    """The service's schemas that must take another name: those whose name is taken by a different schema, and then
    those that refer to a renamed one (``Page_RunOut_`` is the same text in two services, but each one's refers to
    its own ``RunOut``), until nothing more changes."""
    renames: dict[str, str] = {}
    while True:
        more = {
            name: f"{service.capitalize()}{name}"
            for name, schema in theirs.items()
            if name not in renames and name in merged and merged[name] != _rewrite_refs(schema, renames)
        }
        if not more:
            return renames
        renames |= more


def merge_documents(gateway_doc: dict[str, Any], service_docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged = copy.deepcopy(_plain_names(gateway_doc))
    merged["info"] = {
        "title": "cobranza API",
        "version": gateway_doc.get("info", {}).get("version", "1.0.0"),
        "description": (
            "The public API of cobranza, a collections (dunning) backend. Authenticate with an access token "
            "(`POST /v1/auth/token`) or an API key (`X-API-Key`). Errors are RFC 9457 problem+json. Lists "
            "are cursor-paginated. Every POST that creates accepts an `Idempotency-Key`."
        ),
    }
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    merged["components"]["securitySchemes"] = SECURITY_SCHEMES
    tags = {t["name"]: t for t in merged.get("tags", [])}
    for service, doc in service_docs.items():
        doc = _plain_names(doc)
        renames = _renames(service, doc.get("components", {}).get("schemas", {}), schemas)
        for name, schema in doc.get("components", {}).get("schemas", {}).items():
            schemas[renames.get(name, name)] = _rewrite_refs(schema, renames)
        for path, item in doc.get("paths", {}).items():
            if service_for(path) == service:
                merged["paths"][path] = _rewrite_refs(item, renames)
        for name, item in doc.get("webhooks", {}).items():  # what a service sends out (issue 14)
            merged.setdefault("webhooks", {})[name] = _rewrite_refs(item, renames)
        for tag in doc.get("tags", []):
            tags.setdefault(tag["name"], tag)
    for path, item in merged["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            if "security" not in operation:
                operation["security"] = SECURITY
            document_problems(operation, gateway_statuses(path, method, operation))
            if idempotent(path, method):
                document_idempotency(operation)
    merged["tags"] = list(tags.values())
    external_ids.document(merged)
    return merged


def document_idempotency(operation: dict[str, Any]) -> None:
    """The ``Idempotency-Key`` request header, and ``Idempotent-Replayed`` on its success answers (a replayed
    refusal carries it too, but a problem is a problem however it came)."""
    operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    for code, response in operation.get("responses", {}).items():
        if code[:1] == "2":
            response.setdefault("headers", {})["Idempotent-Replayed"] = IDEMPOTENT_REPLAYED


def gateway_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """What the gateway itself may answer before or instead of the route: 401 from the authenticator, 429 from an
    API key's rate limit (every authenticated route), 502/504 from the service behind (forwarded routes), 413 from
    the body limit, 422 and 409 from the idempotency middleware (a key reused or still in progress). 503 when its
    database is out of reach. And 409 on every write: the constraint safety net of every service
    (``shared.problems``) answers a write that conflicts with stored data so."""
    statuses = {503}
    forwarded = service_for(path) is not None
    if operation.get("security"):
        statuses |= {401, 429}
        if forwarded:
            statuses |= {502, 504}
        if method in WRITES:
            statuses.add(409)
    if "requestBody" in operation:
        statuses.add(413)
    if idempotent(path, method):
        statuses |= {409, 422}
    return statuses


class MergedOpenAPI:
    def __init__(self, settings: GatewaySettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def _fetch(self, service: str) -> dict[str, Any] | None:
        try:
            response = await self.client.get(
                self.settings.service_url(service).rstrip("/") + "/openapi.json", timeout=5
            )
            response.raise_for_status()
            document: dict[str, Any] = response.json()
            return document
        except (httpx.HTTPError, ValueError):
            return None

    async def document(self, gateway_doc: dict[str, Any]) -> dict[str, Any]:
        async with self._lock:
            if self._cached and self._cached[0] > time.monotonic():
                return self._cached[1]
            services = list(SERVICE_RESOURCES)
            fetched = await asyncio.gather(*(self._fetch(s) for s in services))
            docs = {s: d for s, d in zip(services, fetched, strict=True) if d is not None}
            merged = merge_documents(gateway_doc, docs)
            missing = [s for s in services if s not in docs]
            if missing:
                merged["x-unavailable-services"] = missing
            # A partial document is cached briefly so a restarted service shows up soon.
            ttl = self.settings.openapi_cache_seconds if not missing else 2.0
            self._cached = (time.monotonic() + ttl, merged)
            return merged
