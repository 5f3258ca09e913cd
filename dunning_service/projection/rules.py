"""What dunning knows of a customer and its invoices (the projection's views, built by ``projection/views.py``) and
the customer's whole open position every dunning message states (issue 12, seed 004).

Pure functions over plain values, no I/O.
The portfolio-wide run is a few SQL statements (``runs/selection.py``, ``runs/statements.py``) that mirror
``select_strategy``, ``target_step``, ``plan_customer`` and ``position``; ``tests/dunning/test_selection_agrees.py``
holds them to agreement on random portfolios. Explain, fallbacks and the unit tests use these functions directly.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from shared.contracts.common import Channel, InvoiceKind, InvoiceStatus

# Seed 000: the statuses that pause reminders, and those that close an invoice.
PAUSED_STATUSES = {
    InvoiceStatus.PROMISE_TO_PAY: "paused_promise_to_pay",
    InvoiceStatus.PAYMENT_REPORTED: "paused_payment_reported",
    InvoiceStatus.DISPUTE: "paused_dispute",
}
# Issue 19: ``in_plan`` is closed for dunning (out of every position, total and reminder: the plan's installments
# carry the debt) though not for receivables; its row and its steps done stay, so a broken plan, which brings the
# invoice back to ``normal``, never repeats a step already sent.
CLOSED_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.WRITTEN_OFF, InvoiceStatus.VOID, InvoiceStatus.IN_PLAN})


# ----------------------------------------------------------------------------------------------------- customers


@dataclass(frozen=True, slots=True)
class Contact:
    channel: Channel
    address: str
    invalid: bool = False


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: uuid.UUID
    name: str
    vip: bool = False
    segment: str | None = None
    risk_level: str | None = None
    computed_risk_level: str | None = None  # receivables' warning signs (issue 18), beside the ERP's label
    tags: frozenset[str] = frozenset()
    country: str | None = None
    language: str | None = None
    contacts: tuple[Contact, ...] = ()
    opted_out: frozenset[Channel] = frozenset()
    deleted: bool = False
    replied_on: date | None = None  # the tenant's local day of the customer's latest reply (not a STOP)
    extra: Mapping[str, Any] = field(default_factory=dict)  # what messages show (tax id, advisor, ...)
    _addresses: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_addresses", first_addresses(self.contacts, self.opted_out))

    def address(self, channel: Channel) -> str | None:
        """The first valid address on ``channel`` unless the customer opted out of it."""
        return self._addresses.get(channel)

    def addresses(self, channel: Channel) -> list[str]:
        """Every valid address on ``channel``, in the customer's order (none if opted out): the fallbacks."""
        if channel in self.opted_out:
            return []
        return list(dict.fromkeys(c.address for c in self.contacts if c.channel == channel and not c.invalid))

    def channel_problem(self, channel: Channel) -> str | None:
        if channel in self.opted_out:
            return "opted out"
        on_channel = [c for c in self.contacts if c.channel == channel]
        if not on_channel:
            return "no contact"
        if all(c.invalid for c in on_channel):
            return "every contact invalid"
        return None


def first_addresses(contacts: Iterable[Contact], opted_out: Iterable[str]) -> dict[str, str]:
    """The first valid address per channel, unless the customer opted out of it (``CustomerView.address``); kept
    in the projection for the run's statements (``addresses``), which would otherwise walk every due customer's
    contacts each run."""
    out = set(opted_out)
    addresses: dict[str, str] = {}
    for c in contacts:
        if not c.invalid and c.channel.value not in out:
            addresses.setdefault(c.channel.value, c.address)
    return addresses


def usable_channels(contacts: Iterable[Contact], opted_out: Iterable[str]) -> list[str]:
    """Channels with a valid contact and no opt-out (those ``first_addresses`` has an address on), kept in the
    projection for set-based queries."""
    return sorted(first_addresses(contacts, opted_out))


def customer_credits(customer: CustomerView) -> dict[str, Decimal]:
    """The customer's unapplied credits per currency, from receivables' snapshot (open credit notes not
    applied and unapplied over-payments: receivables decides what counts)."""
    return customer.extra.get("credits") or {}


# ------------------------------------------------------------------------------------------------------ invoices


@dataclass(frozen=True, slots=True)
class InvoiceView:
    id: uuid.UUID
    customer_id: uuid.UUID
    number: str
    currency: str
    amount: Decimal
    open_amount: Decimal
    issue_date: date
    due_date: date
    status: InvoiceStatus = InvoiceStatus.NORMAL
    kind: InvoiceKind = InvoiceKind.INVOICE
    promised_date: date | None = None
    reported_date: date | None = None
    missing_upstream: bool = False
    steps_done: frozenset[uuid.UUID] = frozenset()
    pending_step_id: uuid.UUID | None = None  # a communication not sent yet
    # True while it blocks the step: messaging holds it, or nobody answered yet and it is younger than the expiry
    pending_active: bool = False
    stopped_by_action: bool = False  # an action notice went out: no more reminders
    open_action_item: uuid.UUID | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    plan_id: uuid.UUID | None = None  # issue 19: an installment's plan, or the plan an ``in_plan`` invoice is in

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def days_overdue(self, as_of: date) -> int:
        return (as_of - self.due_date).days

    @property
    def steps_had(self) -> frozenset[uuid.UUID]:
        if self.pending_step_id is not None and self.pending_active:
            return self.steps_done | {self.pending_step_id}
        return self.steps_done


# ------------------------------------------------------------------------------------------------------ position


@dataclass(frozen=True, slots=True)
class PositionLine:
    invoice: InvoiceView
    days_overdue: int  # negative: days left to the due date
    demanded: bool  # False while paused (promise to pay, payment reported, dispute): listed, not asked for
    triggered: bool  # reached the step that caused the message

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


@dataclass(frozen=True, slots=True)
class Position:
    """A customer's whole open position on a day, as every dunning message states it (issue 12, seed 004:
    "tienen [2] facturas vencidas por un monto de [...], la más antigua ya tiene [84] días vencida")."""

    lines: tuple[PositionLine, ...]  # overdue first (oldest due first), then not yet due (by due date)
    totals: dict[str, Decimal]  # per currency: overdue and demanded, minus credits, never below zero
    open_totals: dict[str, Decimal]  # per currency: open and demanded (overdue or not), minus credits, >= 0
    credits: dict[str, Decimal]  # unapplied credits per currency
    overdue_count: int  # overdue demanded invoices
    oldest_days_overdue: int | None  # the oldest overdue demanded invoice; None when nothing is overdue


def in_position(invoice: InvoiceView) -> bool:
    """Open and owed: credit notes are credits, not debts (their open amount reaches us in the customer's
    ``credits``), and an invoice receivables no longer lists is not claimed."""
    return (
        invoice.is_open
        and invoice.kind != InvoiceKind.CREDIT_NOTE
        and not invoice.missing_upstream
        and invoice.open_amount > 0
    )


def position(
    invoices: Iterable[InvoiceView],
    credits: Mapping[str, Decimal],
    as_of: date,
    triggered_ids: frozenset[uuid.UUID] = frozenset(),
) -> Position:
    """The position of one customer's ``invoices`` on ``as_of`` (the first copy of an invoice listed twice
    wins). Paused invoices are listed but not demanded: they count in no total, no count, no age. Totals are
    per currency, never added across currencies, each net of the credit of its own currency and never below
    zero."""
    chosen: dict[uuid.UUID, InvoiceView] = {}
    for invoice in invoices:
        if in_position(invoice):
            chosen.setdefault(invoice.id, invoice)
    lines = sorted(
        (
            PositionLine(inv, (as_of - inv.due_date).days, inv.status not in PAUSED_STATUSES, inv.id in triggered_ids)
            for inv in chosen.values()
        ),
        key=lambda line: (line.days_overdue <= 0, line.invoice.due_date, line.invoice.number, line.invoice.id),
    )
    overdue: dict[str, Decimal] = defaultdict(Decimal)
    owed: dict[str, Decimal] = defaultdict(Decimal)
    oldest: int | None = None
    count = 0
    for line in lines:
        if not line.demanded:
            continue
        owed[line.invoice.currency] += line.invoice.open_amount
        if line.overdue:
            overdue[line.invoice.currency] += line.invoice.open_amount
            count += 1
            oldest = line.days_overdue if oldest is None else max(oldest, line.days_overdue)

    def net(sums: Mapping[str, Decimal]) -> dict[str, Decimal]:
        return {c: max(Decimal(0), a - credits.get(c, Decimal(0))) for c, a in sorted(sums.items())}

    return Position(
        lines=tuple(lines),
        totals=net(overdue),
        open_totals=net(owed),
        credits={c: a for c, a in sorted(credits.items()) if a > 0},
        overdue_count=count,
        oldest_days_overdue=oldest,
    )
