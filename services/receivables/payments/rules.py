"""Payment allocation: pure functions, no I/O.

A payment goes to the invoices the payer named (up to each one's open amount, or the amount named for it);
when none is named, to the customer's open invoices in the payment's currency, oldest first. Whatever is left
is the customer's credit (over-payment). Disputed and written-off invoices take money only when named: a
customer who disputes an invoice is not paying it by default.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.contracts.common import InvoiceKind, InvoiceStatus

ZERO = Decimal(0)
AUTO_ELIGIBLE = frozenset({InvoiceStatus.NORMAL, InvoiceStatus.PROMISE_TO_PAY, InvoiceStatus.PAYMENT_REPORTED})
NAMEABLE = frozenset(
    {
        InvoiceStatus.NORMAL,
        InvoiceStatus.PROMISE_TO_PAY,
        InvoiceStatus.PAYMENT_REPORTED,
        InvoiceStatus.DISPUTE,
        InvoiceStatus.WRITTEN_OFF,
        InvoiceStatus.PAID,  # takes nothing (open amount 0): the money becomes credit
    }
)


@dataclass(frozen=True, slots=True)
class OpenItem:
    invoice_id: uuid.UUID
    open_amount: Decimal
    due_date: date
    issue_date: date
    number: str = ""
    status: str = InvoiceStatus.NORMAL
    kind: str = InvoiceKind.INVOICE


@dataclass(frozen=True, slots=True)
class Named:
    invoice_id: uuid.UUID
    amount: Decimal | None = None  # None: up to the invoice's open amount


@dataclass(frozen=True, slots=True)
class Allocation:
    allocations: tuple[tuple[uuid.UUID, Decimal], ...]
    unapplied: Decimal

    @property
    def applied(self) -> Decimal:
        return sum((amount for _, amount in self.allocations), ZERO)


def oldest_first(items: Iterable[OpenItem]) -> list[OpenItem]:
    """The invoices a payment without named invoices pays, in order: due date, issue date, number, id."""
    eligible = [
        item
        for item in items
        if item.open_amount > 0 and item.status in AUTO_ELIGIBLE and item.kind != InvoiceKind.CREDIT_NOTE
    ]
    return sorted(eligible, key=lambda i: (i.due_date, i.issue_date, i.number, str(i.invoice_id)))


def allocate(amount: Decimal, candidates: Sequence[OpenItem], named: Sequence[Named] | None = None) -> Allocation:
    """Split ``amount`` over ``candidates`` (the customer's invoices in the payment's currency, current open
    amounts). ``named`` invoices must be among ``candidates``."""
    if amount < 0:
        raise ValueError("a payment amount cannot be negative")
    remaining = amount
    allocations: list[tuple[uuid.UUID, Decimal]] = []
    if named:
        by_id = {item.invoice_id: item for item in candidates}
        taken: dict[uuid.UUID, Decimal] = {}
        for entry in named:
            item = by_id[entry.invoice_id]
            room = item.open_amount - taken.get(item.invoice_id, ZERO)
            wanted = room if entry.amount is None else min(entry.amount, room)
            share = min(remaining, max(wanted, ZERO))
            if share > 0:
                taken[item.invoice_id] = taken.get(item.invoice_id, ZERO) + share
                allocations.append((item.invoice_id, share))
                remaining -= share
    else:
        for item in oldest_first(candidates):
            if remaining <= 0:
                break
            share = min(remaining, item.open_amount)
            allocations.append((item.invoice_id, share))
            remaining -= share
    return Allocation(tuple(allocations), remaining)


class Ledger:
    """Open amounts of a set of invoices while a batch of payments is applied one after the other."""

    def __init__(self, items: Iterable[OpenItem]) -> None:
        self.items: dict[uuid.UUID, OpenItem] = {item.invoice_id: item for item in items}
        self.original: dict[uuid.UUID, Decimal] = {i: item.open_amount for i, item in self.items.items()}

    def changed(self, invoice_id: uuid.UUID) -> bool:
        return self.items[invoice_id].open_amount != self.original[invoice_id]

    def candidates(self, invoice_ids: Iterable[uuid.UUID]) -> list[OpenItem]:
        return [self.items[i] for i in invoice_ids if i in self.items]

    def apply(self, allocation: Allocation) -> None:
        for invoice_id, amount in allocation.allocations:
            self.adjust(invoice_id, -amount)

    def adjust(self, invoice_id: uuid.UUID, delta: Decimal) -> None:
        item = self.items[invoice_id]
        self.items[invoice_id] = OpenItem(
            item.invoice_id,
            item.open_amount + delta,
            item.due_date,
            item.issue_date,
            item.number,
            item.status,
            item.kind,
        )

    def set_status(self, invoice_id: uuid.UUID, status: str) -> None:
        item = self.items[invoice_id]
        self.items[invoice_id] = OpenItem(
            item.invoice_id, item.open_amount, item.due_date, item.issue_date, item.number, status, item.kind
        )


@dataclass(frozen=True, slots=True)
class Credit:
    """Money of the customer's that no invoice took yet (issue 12): what is left of a credit note, or a payment's
    unapplied amount (over-payment). ``named``: the invoices the ERP said it settles (then only those)."""

    source: str  # credit_note | payment
    source_id: uuid.UUID
    currency: str
    amount: Decimal
    on: date  # the credit note's issue date, the payment's date: older credit is used first
    named: tuple[Named, ...] = ()


def plan_credits(
    credits: Iterable[Credit], ledger: Ledger, currency_of: dict[uuid.UUID, str]
) -> list[tuple[Credit, Allocation]]:
    """Apply one customer's credits, oldest first, with the payments' rule (``allocate``): to the invoices a credit
    names, else to the open invoices of its currency oldest first (never across currencies; disputed ones only
    when named). ``ledger`` holds the customer's invoices and moves as credit is applied."""
    done: list[tuple[Credit, Allocation]] = []
    for credit in sorted(credits, key=lambda c: (c.on, c.source, str(c.source_id))):
        candidates = [
            item
            for invoice_id, item in ledger.items.items()
            if currency_of[invoice_id] == credit.currency and item.kind != InvoiceKind.CREDIT_NOTE
        ]
        ids = {item.invoice_id for item in candidates}
        named = [n for n in credit.named if n.invoice_id in ids]
        if credit.named and not named:
            continue  # the invoices it names are gone or closed: the credit waits, unapplied
        result = allocate(credit.amount, candidates, named or None)
        if result.allocations:
            ledger.apply(result)
            done.append((credit, result))
    return done


def named_key(named: list[Named] | None) -> list[list[str | None]]:
    """The named invoices as a payment stores them (``named_invoices``): a re-sent payment is compared by it."""
    return [[str(n.invoice_id), None if n.amount is None else str(n.amount)] for n in named or []]
