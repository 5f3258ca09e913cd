"""A batch of payments decided in memory, before anything is written: the inputs, what to do with each
(create, re-apply a newer version, reverse, or nothing) and the allocation of each, with the pure rules of
``rules.py``. No I/O: the rows read for the batch come in, a plan per input goes out."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from services.receivables.payments.rules import NAMEABLE, ZERO, Ledger, Named, allocate, named_key
from services.receivables.payments.writes import InvoiceState
from shared.contracts.common import InvoiceKind, InvoiceStatus

# Rows read for a batch, found by ("id", their id) or ("ext", the ERP's id): payments or named invoices.
Found = dict[tuple[str, Any], Any]
# The allocations a payment holds now: payment id -> [(invoice id, amount)].
Allocations = dict[uuid.UUID, list[tuple[uuid.UUID, Decimal]]]


@dataclass(slots=True)
class NamedRef:
    invoice_id: uuid.UUID | None
    invoice_external_id: str | None
    amount: Decimal | None


@dataclass(slots=True)
class PaymentInput:
    index: int
    customer_id: uuid.UUID | None = None
    currency: str | None = None
    amount: Decimal | None = None
    payment_date: date | None = None
    external_id: str | None = None
    payment_id: uuid.UUID | None = None  # a known payment (reversal by id)
    reference: str | None = None
    named: list[NamedRef] | None = None
    version: int | None = None
    reverse: bool = False
    reversal_reason: str | None = None


@dataclass(slots=True)
class RowResult:
    index: int
    outcome: str  # created | updated | unchanged | reversed | rejected
    payment_id: uuid.UUID | None = None
    field: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class Plan:
    row: PaymentInput
    action: str  # create | reapply | reverse
    old: Any = None
    named: list[Named] | None = None
    payment_id: uuid.UUID = field(default_factory=uuid.uuid4)
    allocations: list[tuple[uuid.UUID, Decimal]] = field(default_factory=list)
    unapplied: Decimal = ZERO
    undone: list[tuple[uuid.UUID, Decimal]] = field(default_factory=list)


class Rejected(Exception):
    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason


def same_content(old: Any, row: PaymentInput, named: list[Named] | None) -> bool:
    return (
        old.customer_id == row.customer_id
        and old.currency == row.currency
        and old.amount == row.amount
        and old.payment_date == row.payment_date
        and old.reference == row.reference
        and [list(x) for x in old.named_invoices] == named_key(named)
    )


def resolve_named(row: PaymentInput, references: Found) -> list[Named] | None:
    if not row.named:
        return None
    named: list[Named] = []
    for position, ref in enumerate(row.named):
        where = f"invoices[{position}]"
        key = ("id", ref.invoice_id) if ref.invoice_id else ("ext", ref.invoice_external_id)
        invoice = references.get(key)
        if invoice is None:
            if ref.invoice_external_id:
                message = f"no invoice with external id {ref.invoice_external_id!r} in this tenant"
                raise Rejected(f"{where}.invoice_external_id", message)
            raise Rejected(where, "no such invoice")
        if invoice.customer_id != row.customer_id:
            raise Rejected(where, "the invoice belongs to another customer")
        if invoice.currency != row.currency:
            raise Rejected(where, f"the invoice is in {invoice.currency}, the payment in {row.currency}")
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            raise Rejected(where, "a credit note does not take payments")
        if invoice.status == InvoiceStatus.IN_PLAN:
            named.extend(to_installments(ref.amount, references.get(("plan", invoice.plan_id), []), named))
            continue
        if invoice.status not in NAMEABLE:
            raise Rejected(where, f"the invoice is {invoice.status} and takes no payments")
        named.append(Named(invoice.id, ref.amount))
    return named


def to_installments(
    amount: Decimal | None, unpaid: list[tuple[uuid.UUID, Decimal]], already: Sequence[Named] = ()
) -> list[Named]:
    """An invoice waiting in a payment plan (issue 19) takes no money itself: what is named for it goes to the
    plan's unpaid installments in due date order (all of them when no amount is named), after the amounts
    ``already`` named for them by the payment's earlier lines (two invoices of one plan fill its installments in
    turn, not the first one twice)."""
    if amount is None:
        return [Named(invoice_id) for invoice_id, _ in unpaid]
    taken: dict[uuid.UUID, Decimal] = {}
    for entry in already:
        if entry.amount is not None:
            taken[entry.invoice_id] = taken.get(entry.invoice_id, ZERO) + entry.amount
    named, left = [], amount
    for invoice_id, open_amount in unpaid:
        share = min(left, open_amount - taken.get(invoice_id, ZERO))
        if share > 0:
            named.append(Named(invoice_id, share))
            left -= share
    return named


def classify(row: PaymentInput, old: Any, references: Found) -> Plan | None:
    """What to do with one input: None when it changes nothing (same content, older version, already reversed)."""
    if row.reverse:
        if old is None:
            raise Rejected("external_id", "no such payment to reverse")
        return None if old.status == "reversed" else Plan(row, "reverse", old)
    if old is None:
        return Plan(row, "create", None, resolve_named(row, references))
    if row.version is not None and old.source_version is not None and row.version <= old.source_version:
        return None
    named = resolve_named(row, references)
    if same_content(old, row, named):
        return None
    if old.status == "reversed":
        raise Rejected("external_id", "this payment was reversed: send the new payment with a new external_id")
    return Plan(row, "reapply", old, named)


def allocate_plan(
    plan: Plan, states: dict[uuid.UUID, InvoiceState], ledger: Ledger
) -> tuple[list[tuple[uuid.UUID, Decimal]], Decimal]:
    row = plan.row
    assert row.amount is not None
    candidates = [
        ledger.items[i] for i, s in states.items() if s.customer_id == row.customer_id and s.currency == row.currency
    ]
    result = allocate(row.amount, candidates, plan.named)
    ledger.apply(result)
    return list(result.allocations), result.unapplied


def customer_of(plan: Plan) -> uuid.UUID:
    customer_id = plan.old.customer_id if plan.action == "reverse" else plan.row.customer_id
    assert customer_id is not None  # a payment to apply names its customer (checked before it is planned)
    return customer_id
