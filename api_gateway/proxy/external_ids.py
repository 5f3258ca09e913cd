"""The ERP's ids wherever the public API takes a customer, invoice or payment id: ``ext:<external id>``.

``GET /v1/customers/ext:ERP-C-100/timeline`` or ``GET /v1/messages?customer_id=ext:ERP-C-100`` reach exactly
what the same request with cobranza's id reaches: the gateway asks receivables (the system of record of
customers, invoices and payments) for the ids of the caller's tenant and forwards the request rewritten with
them, so every service (receivables, dunning, messaging, alarms) takes the ERP's ids without knowing of them.

Where: the segment after a resource of ``routing.REFERENCE_SEGMENTS`` in a path (an unknown external id is a
404), and the ``customer_id``, ``invoice_id`` and ``payment_id`` query parameters of any route (a 422). The
external id is URL-encoded like any path segment or query value (``ext:F%2F0001`` for ``F/0001``).
"""

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

import httpx
from starlette.types import Scope

from api_gateway.identity.principal import Principal
from api_gateway.proxy.forwarding import Upstream
from api_gateway.proxy.routing import REFERENCE_SEGMENTS
from shared.problems import BadGateway, GatewayTimeout, NotFound, ValidationProblem

PREFIX = "ext:"
ID_PARAMETERS = {"customer_id": "customer", "invoice_id": "invoice", "payment_id": "payment"}
LOOK_UP_PATH = "/internal/external-ids"
PATTERN = r"^ext:.+$"
EXAMPLES = {"customer": "ext:ERP-C-100", "invoice": "ext:F-0001-00012", "payment": "ext:REC-000981"}


@dataclass(frozen=True)
class Reference:
    """An ``ext:`` reference of a request: in its path (``parameter`` None) or in a query parameter."""

    kind: str
    external_id: str
    parameter: str | None = None


async def resolve(scope: Scope, upstream: Upstream, principal: Principal) -> None:
    """Rewrite the request's ``ext:`` references to cobranza's ids of the caller's tenant (most requests have
    none: a substring test is all they cost)."""
    if b"ext" not in (scope.get("raw_path") or b"") and b"ext" not in scope["query_string"]:
        return
    refs = references(scope)
    if refs:
        rewrite(
            scope, await look_up(upstream.client, upstream.bases["receivables"], upstream.identity(principal), refs)
        )


def _path_segments(scope: Scope) -> list[str]:
    return (scope.get("raw_path") or quote(scope["path"]).encode()).decode("latin-1").split("/")


def references(scope: Scope) -> list[Reference]:
    """Every ``ext:`` reference of the request: ``/v1/<resource>/ext:<id>/...`` and ``?customer_id=ext:<id>``."""
    found = []
    segments = _path_segments(scope)  # ["", "v1", resource, reference, ...]
    if len(segments) > 3 and segments[2] in REFERENCE_SEGMENTS:
        segment = unquote(segments[3])
        if segment.startswith(PREFIX) and len(segment) > len(PREFIX):
            found.append(Reference(REFERENCE_SEGMENTS[segments[2]], segment[len(PREFIX) :]))
    for name, value in parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True):
        if name in ID_PARAMETERS and value.startswith(PREFIX) and len(value) > len(PREFIX):
            found.append(Reference(ID_PARAMETERS[name], value[len(PREFIX) :], name))
    return found


def rewrite(scope: Scope, ids: dict[Reference, uuid.UUID | None]) -> None:
    """The request as if it had named cobranza's ids; a reference without an id is an error naming it."""
    missing = [r for r, found in ids.items() if found is None]
    in_path = next((r for r in ids if r.parameter is None), None)
    if in_path is not None and ids[in_path] is None:
        raise NotFound(
            f"No {in_path.kind} with external id {in_path.external_id!r} in this tenant",
            external_id=in_path.external_id,
        )
    if missing:
        raise ValidationProblem(
            [
                {
                    "field": r.parameter,
                    "message": f"no {r.kind} with external id {r.external_id!r} in this tenant",
                    "code": "unknown_external_id",
                    "value": r.external_id,
                }
                for r in missing
            ]
        )
    if in_path is not None:
        segments = _path_segments(scope)
        segments[3] = str(ids[in_path])
        raw_path = "/".join(segments)
        scope["raw_path"] = raw_path.encode("latin-1")
        scope["path"] = unquote(raw_path)
    in_query = {(r.parameter, PREFIX + r.external_id): str(found) for r, found in ids.items() if r.parameter}
    if in_query:
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        scope["query_string"] = urlencode([(n, in_query.get((n, v), v)) for n, v in pairs]).encode("latin-1")


async def look_up(
    client: httpx.AsyncClient, base_url: str, headers: list[tuple[bytes, bytes]], refs: list[Reference]
) -> dict[Reference, uuid.UUID | None]:
    """Receivables' ids of ``refs`` in the caller's tenant (the identity headers scope the look-up), None where
    the tenant has no such external id."""
    wanted: dict[str, list[str]] = {}
    for ref in refs:
        wanted.setdefault(ref.kind, []).append(ref.external_id)
    try:
        response = await client.post(base_url + LOOK_UP_PATH, json=wanted, headers=headers)
    except httpx.TimeoutException:
        raise GatewayTimeout("The receivables service did not answer in time", service="receivables") from None
    except httpx.TransportError as exc:
        raise BadGateway(
            f"The receivables service is unavailable ({type(exc).__name__})", service="receivables"
        ) from None
    if response.status_code == 422:  # an external id longer than any the ERP can have stored
        return {ref: None for ref in refs}
    if response.status_code != 200:
        raise BadGateway(f"The receivables service answered {response.status_code}", service="receivables")
    found: dict[str, dict[str, str]] = response.json()
    return {
        ref: uuid.UUID(found[ref.kind][ref.external_id]) if ref.external_id in found.get(ref.kind, {}) else None
        for ref in refs
    }


def document(openapi: dict[str, Any]) -> None:
    """Say in the merged OpenAPI document that every customer, invoice or payment id parameter (in a path or a
    query) also takes ``ext:<external id>``."""
    for item in openapi.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                kind = ID_PARAMETERS.get(parameter.get("name", ""))
                if kind is None or parameter.get("in") not in ("path", "query"):
                    continue
                parameter["schema"] = {
                    "anyOf": [{"type": "string", "format": "uuid"}, {"type": "string", "pattern": PATTERN}],
                    "title": parameter["schema"].get("title", parameter["name"]),
                }
                unknown = "a 404" if parameter["in"] == "path" else "a 422 naming it"
                said = parameter.get("description")
                parameter["description"] = (f"{said} " if said else "") + (
                    f"The {kind}'s id, or the ERP's id written `ext:<external id>` (URL-encoded), e.g. "
                    f"`{EXAMPLES[kind]}`; an external id the tenant does not have is {unknown}."
                )
