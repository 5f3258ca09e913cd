"""Bodies that name a customer or invoices by the ERP's ids (``customer_external_id``, ``invoice_external_ids``)
beside cobranza's (``customer_id``, ``invoice_ids``), in every service: the same rules and the same 422s.

Who resolves: receivables (the system of record) from its tables; dunning from its projection, which holds both ids
of every customer and invoice it can act on; a service that keeps no copy (messaging) asks receivables' internal
look-up (``POST /internal/external-ids``), the one the gateway asks for ``ext:`` in paths and filters.
"""

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from shared.internal import InternalClient
from shared.problems import ServiceUnavailable, ValidationProblem

LOOK_UP_PATH = "/internal/external-ids"


def form_errors(
    customer_id: uuid.UUID | None,
    customer_external_id: str | None,
    invoice_ids: Sequence[uuid.UUID] = (),
    invoice_external_ids: Sequence[str] = (),
    customer_required: bool = True,
    invoices_required: bool = False,
) -> list[dict[str, Any]]:
    """What is wrong with the way a body names its customer and invoices: exactly one form each."""
    errors = []
    if customer_id is not None and customer_external_id is not None:
        errors.append(
            {"field": "customer_external_id", "message": "name the customer by customer_id or customer_external_id"}
        )
    elif customer_required and customer_id is None and customer_external_id is None:
        errors.append({"field": "customer_id", "message": "required (or customer_external_id)"})
    if invoice_ids and invoice_external_ids:
        errors.append(
            {"field": "invoice_external_ids", "message": "name the invoices by invoice_ids or invoice_external_ids"}
        )
    elif invoices_required and not invoice_ids and not invoice_external_ids:
        errors.append({"field": "invoice_ids", "message": "at least one invoice (or invoice_external_ids)"})
    return errors


def unknown(field: str, kind: str, external_id: str) -> dict[str, Any]:
    """The error naming a field whose external id the tenant does not have, with the value sent."""
    return {
        "field": field,
        "message": f"no {kind} with external id {external_id!r} in this tenant",
        "code": "unknown_external_id",
        "value": external_id,
    }


class ReceivablesUnavailable(ServiceUnavailable):
    """The external id may well exist: the caller tries again rather than hear it is unknown."""

    slug, title = "receivables-unavailable", "Receivables did not answer the look-up of an external id"


class ExternalIdLookUp:
    """Receivables' look-up of the ERP's ids, for a service that keeps no copy of customers and invoices."""

    def __init__(self, client: InternalClient) -> None:
        self.client = client

    async def require(self, tenant_id: uuid.UUID, kind: str, named: dict[str, str]) -> dict[str, uuid.UUID]:
        """``{field: external id}`` to ``{field: id}`` in the tenant; a 422 names every field whose external id
        the tenant does not have."""
        if not named:
            return {}
        try:
            response = await self.client.request(
                "POST", "receivables", LOOK_UP_PATH, tenant_id, json={kind: sorted(set(named.values()))}
            )
            found = {e: uuid.UUID(i) for e, i in response.json().get(kind, {}).items()}
        except (httpx.HTTPError, ValueError, TypeError, AttributeError) as exc:
            raise ReceivablesUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
        errors = [unknown(field, kind, e) for field, e in named.items() if e not in found]
        if errors:
            raise ValidationProblem(errors)
        return {field: found[e] for field, e in named.items()}


async def external_id_look_up(request: Request) -> ExternalIdLookUp:
    """The look-up a request uses (tests route it to the in-process receivables)."""
    return ExternalIdLookUp(InternalClient(request.app.state.http, request.app.state.settings))


ExternalIdLookUpDep = Annotated[ExternalIdLookUp, Depends(external_id_look_up)]
