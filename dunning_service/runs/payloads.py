"""The commands dunning hands over, as JSON-ready dicts shaped like the contracts: what a fallback sends, what
explain shows, and the reference the run's SQL (``runs/statements.py``) is held to by
``tests/dunning/test_selection_agrees.py``; ``tests/dunning`` validates what lands in the outbox against
``SendCommunications`` and ``CreateTask``.
Each communication carries everything a template needs (seed 004: the invoices, the total per currency,
the oldest days overdue; seed 002: the advisor and supervisor), so messaging looks nothing up beyond the
communication itself (a run's, it asks dunning for by its dispatch: ``SendDispatchedCommunications``). Since
issue 12 that is the customer's whole open position (``position``), the invoices that triggered it marked.
"""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from dunning_service.fees.repository import ChargeRow
from dunning_service.projection.rules import CustomerView, InvoiceView, Position, PositionLine
from dunning_service.runs.context import TenantContext
from dunning_service.runs.dispatch_repository import TriedDispatch
from dunning_service.runs.rules import PlannedCall, PlannedCommunication, PlannedTask, items_position
from dunning_service.strategies.rules import COMMUNICATION_KIND, StepKind

TASK_TITLES = {
    "es": "Contactar a {name}: no queda canal para el recordatorio automático",
    "en": "Contact {name}: no channel left for the automatic reminder",
    "pt": "Contatar {name}: não resta canal para o lembrete automático",
}


UNREACHABLE_TITLES = {
    "es": "No se pudo contactar a {name} por {channels}",
    "en": "Could not reach {name} by {channels}",
    "pt": "Não foi possível contatar {name} por {channels}",
}


def _language(customer: CustomerView, tenant: TenantContext) -> str:
    return customer.language or tenant.language or "es"


def position_line(line: PositionLine) -> dict[str, Any]:
    inv = line.invoice
    out: dict[str, Any] = {
        "invoice_id": str(inv.id),
        "number": inv.number,
        "kind": inv.kind.value,
        "currency": inv.currency,
        "amount": str(inv.amount),
        "open_amount": str(inv.open_amount),
        "issue_date": inv.issue_date.isoformat(),
        "due_date": inv.due_date.isoformat(),
        "days_overdue": line.days_overdue,
        "status": inv.status.value,
        "triggered": line.triggered,
        "demanded": line.demanded,
    }
    # optional fields only when set: the contract defaults them, and a run hands over tens of thousands of lines
    if document_url := inv.extra.get("document_url"):
        out["document_url"] = document_url
    if inv.promised_date:
        out["promised_date"] = inv.promised_date.isoformat()
    if inv.reported_date:
        out["reported_date"] = inv.reported_date.isoformat()
    return out


def _amounts(sums: dict[str, Any]) -> list[dict[str, str]]:
    return [{"currency": currency, "amount": str(amount)} for currency, amount in sums.items()]


def communication_position(
    planned: PlannedCommunication,
    customer: CustomerView,
    as_of: date,
    open_invoices: Sequence[InvoiceView] = (),
) -> Position:
    """The position the plan holds, else the one of the triggering and ``open_invoices`` (the customer's open
    invoices, read by a fallback)."""
    return planned.position or items_position(planned.items, customer, as_of, open_invoices)


def position_fields(held: Position) -> dict[str, Any]:
    """The communication's position fields (``invoices``, ``totals``, ``open_totals``, ``credits``,
    ``overdue_count``, ``oldest_days_overdue``)."""
    return {
        "invoices": [position_line(line) for line in held.lines],
        "totals": _amounts(held.totals),
        "open_totals": _amounts(held.open_totals),
        "credits": _amounts(held.credits),
        "overdue_count": held.overdue_count,
        "oldest_days_overdue": held.oldest_days_overdue,
    }


def charge_line(charge: ChargeRow) -> dict[str, Any]:
    """An open late charge as a message lists it (``Communication.charges``; issue 19)."""
    return {
        "charge_id": str(charge.id),
        "invoice_id": str(charge.invoice_id),
        "invoice_number": charge.invoice_number,
        "kind": charge.kind,
        "description": charge.description,
        "currency": charge.currency,
        "amount": str(charge.amount),
        "charged_on": charge.charged_on.isoformat(),
    }


def customer_info(customer: CustomerView) -> dict[str, Any]:
    extra = customer.extra
    return {
        "customer_id": str(customer.id),
        "external_id": extra.get("external_id"),
        "name": customer.name,
        "tax_id": extra.get("tax_id"),
        "country": customer.country,
        "timezone": extra.get("timezone"),
        "language": customer.language,
    }


def call_task(
    planned: PlannedCall,
    customer: CustomerView,
    tenant: TenantContext,
    as_of: date,
    run_id: uuid.UUID,
    open_invoices: Sequence[InvoiceView] = (),
) -> dict[str, Any]:
    """A call step's ``CallTask`` for messaging (issue 18): the script and what its tags read, the position a
    message carries (``handover_repository.call_payloads_query`` builds the same in SQL)."""
    people = customer.extra.get("people") or {}
    collector_id = customer.extra.get("collector_id")
    held = planned.position or items_position(planned.items, customer, as_of, open_invoices)
    return {
        "idempotency_key": planned.key,
        "customer_id": str(customer.id),
        "assignee_id": str(collector_id) if collector_id else None,
        "due_date": as_of.isoformat(),
        "step_key": planned.step.key,
        "script": planned.step.script or "",
        "language": _language(customer, tenant),
        "tone": planned.step.tone,
        "customer": customer_info(customer),
        "recipient_name": customer.name,
        **position_fields(held),
        "collector": people.get("collector"),
        "advisor": people.get("advisor"),
        "supervisor": people.get("supervisor"),
        "data": {
            "as_of": as_of.isoformat(),
            "run_id": str(run_id),
            "steps": {str(i.invoice.id): i.step.key for i in planned.items},
        },
    }


def communication(
    planned: PlannedCommunication,
    customer: CustomerView,
    tenant: TenantContext,
    as_of: date,
    dispatch_id: uuid.UUID,
    run_id: uuid.UUID,
    open_invoices: Sequence[InvoiceView] = (),
    charges: Sequence[ChargeRow] = (),
) -> dict[str, Any]:
    """``charges``: the customer's open late charges (``fees.repository.customer_charges``), in their order."""
    people = customer.extra.get("people") or {}
    return {
        "idempotency_key": planned.key,
        "kind": COMMUNICATION_KIND[planned.kind].value,
        "channel": planned.channel.value,
        "to": planned.address,
        "language": _language(customer, tenant),
        "tone": planned.tone,
        "customer": customer_info(customer),
        "recipient_name": customer.name,
        **position_fields(communication_position(planned, customer, as_of, open_invoices)),
        "charges": [charge_line(c) for c in charges],
        "action": planned.action.value if planned.action else None,
        "collector": people.get("collector"),
        "advisor": people.get("advisor"),
        "supervisor": people.get("supervisor"),
        "attach_statement": planned.kind in (StepKind.OVERDUE, StepKind.ACTION),
        "data": {
            "as_of": as_of.isoformat(),
            "run_id": str(run_id),
            "steps": {str(i.invoice.id): i.step.key for i in planned.items},
        },
        "source": "dunning",
        "source_ref": str(dispatch_id),
    }


def task(planned: PlannedTask, customer: CustomerView, tenant: TenantContext, as_of: date) -> dict[str, Any]:
    lines = [
        f"{i.invoice.number}: {i.invoice.open_amount} {i.invoice.currency}, due {i.invoice.due_date.isoformat()}"
        f" ({i.step.describe()}; channels tried: {', '.join(c.value for c in i.step.channels)})"
        for i in planned.items
    ]
    problems = sorted({f"{c.value}: {customer.channel_problem(c)}" for i in planned.items for c in i.step.channels})
    language = _language(customer, tenant)
    return {
        "idempotency_key": planned.key,
        "customer_id": str(customer.id),
        "title": TASK_TITLES.get(language, TASK_TITLES["en"]).format(name=customer.name)[:300],
        "description": "\n".join([*lines, "", "; ".join(problems)]),
        "assignee_id": None,
        "due_date": as_of.isoformat(),
        "source": "dunning",
    }


def unreachable_task(
    planned: PlannedTask,
    customer: CustomerView,
    tenant: TenantContext,
    as_of: date,
    tried: Sequence[TriedDispatch],
) -> dict[str, Any]:
    """Every channel and contact failed (issue 10): the collector takes over, told what was tried and why it
    failed (``tried``: the chain's failed dispatches, with channel, address, delivery state and error)."""
    channels = list(dict.fromkeys(t.channel for t in tried)) or sorted(
        {c.value for i in planned.items for c in i.step.channels}
    )
    lines = [
        f"{i.invoice.number}: {i.invoice.open_amount} {i.invoice.currency}, due {i.invoice.due_date.isoformat()}"
        f" ({i.step.describe()})"
        for i in planned.items
    ]
    failures = [
        f"{t.channel} {t.address}: {t.delivery_state or 'failed'}{f' ({t.error})' if t.error else ''}" for t in tried
    ]
    language = _language(customer, tenant)
    title = UNREACHABLE_TITLES.get(language, UNREACHABLE_TITLES["en"])
    return {
        "idempotency_key": planned.key,
        "customer_id": str(customer.id),
        "title": title.format(name=customer.name, channels=", ".join(channels))[:300],
        "description": "\n".join([*lines, "", *failures]),
        "assignee_id": None,
        "due_date": as_of.isoformat(),
        "source": "dunning",
    }
