"""Bodies that name a customer or invoices by the ERP's ids (``customer_external_id``, ``invoice_external_ids``)
beside cobranza's (``customer_id``, ``invoice_ids``): resolved to cobranza's ids before anything else runs, so a
request with either form does exactly the same."""

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.external_ids.repository import ids_by_external_id
from shared.external_ids import form_errors, unknown
from shared.problems import Problem, ValidationProblem

Body = TypeVar("Body", bound=BaseModel)


async def _look_up(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, named: dict[str, str]
) -> tuple[dict[str, uuid.UUID], list[dict[str, Any]]]:
    """``{field: external id}`` to ``{field: id}`` of those found, and an error for each of the others."""
    found = await ids_by_external_id(session, tenant_id, kind, set(named.values()))
    errors = [unknown(field, kind, e) for field, e in named.items() if e not in found]
    return {field: found[e] for field, e in named.items() if e in found}, errors


async def require_known(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, named: dict[str, str]
) -> dict[str, uuid.UUID]:
    """``{field: external id}`` to ``{field: id}``; a 422 names every field whose external id is unknown."""
    ids, errors = await _look_up(session, tenant_id, kind, named)
    if errors:
        raise ValidationProblem(errors)
    return ids


async def resolve_references(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    customer_id: uuid.UUID | None,
    customer_external_id: str | None,
    invoice_ids: Sequence[uuid.UUID] = (),
    invoice_external_ids: Sequence[str] = (),
    customer_required: bool = True,
) -> tuple[uuid.UUID | None, list[uuid.UUID]]:
    """The customer's id and the invoices' ids (in the order named), whichever form the body used. A 422 names
    every field in error at once: both forms given, or each external id the tenant does not have (with its value)."""
    errors = form_errors(customer_id, customer_external_id, invoice_ids, invoice_external_ids, customer_required)
    if errors:
        raise ValidationProblem(errors)
    if customer_external_id is not None:
        customer, errors = await _look_up(
            session, tenant_id, "customer", {"customer_external_id": customer_external_id}
        )
        customer_id = customer.get("customer_external_id")
    if not invoice_external_ids:
        invoices: dict[str, uuid.UUID] = {}
    else:
        named = {f"invoice_external_ids[{i}]": e for i, e in enumerate(invoice_external_ids)}
        invoices, missing = await _look_up(session, tenant_id, "invoice", named)
        errors += missing
    if errors:
        raise ValidationProblem(errors)
    return customer_id, list(invoices.values()) or list(invoice_ids)


async def resolved(session: AsyncSession, tenant_id: uuid.UUID, body: Body, customer_required: bool = True) -> Body:
    """``body`` (outcome, note, task, payment) with ``customer_id`` and ``invoice_ids`` (when it has them) set
    from whichever form it used; the rest of the request then runs as if it had sent cobranza's ids."""
    customer_id, invoice_ids = await resolve_references(
        session,
        tenant_id,
        customer_id=body.customer_id,  # type: ignore[attr-defined]
        customer_external_id=body.customer_external_id,  # type: ignore[attr-defined]
        invoice_ids=getattr(body, "invoice_ids", ()),
        invoice_external_ids=getattr(body, "invoice_external_ids", ()),
        customer_required=customer_required,
    )
    update: dict[str, Any] = {"customer_id": customer_id}
    if hasattr(body, "invoice_ids"):
        update["invoice_ids"] = invoice_ids
    return body.model_copy(update=update)


@contextmanager
def fields_named_as_sent(body: BaseModel) -> Iterator[None]:
    """Errors found after resolution name the fields the caller sent: ``invoice_ids[2]`` is reported as
    ``invoice_external_ids[2]`` when the body named its invoices by external id (positions are kept)."""
    renames = {}
    if getattr(body, "customer_external_id", None) is not None:
        renames["customer_id"] = "customer_external_id"
    if getattr(body, "invoice_external_ids", None):
        renames["invoice_ids"] = "invoice_external_ids"
    try:
        yield
    except Problem as problem:
        for old, new in renames.items():
            _rename(problem, old, new)
        raise


def _rename(problem: Problem, old: str, new: str) -> None:
    def renamed(field: Any) -> Any:
        if isinstance(field, str) and (field == old or field.startswith(old + "[")):
            return new + field[len(old) :]
        return field

    if "field" in problem.extra:
        problem.extra["field"] = renamed(problem.extra["field"])
    for error in problem.extra.get("errors", []):
        error["field"] = renamed(error.get("field"))
    if problem.detail:
        problem.detail = problem.detail.replace(old + "[", new + "[").replace(old + ":", new + ":")
