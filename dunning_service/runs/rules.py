"""What a run does: the decision for each invoice of a customer (exclusions, pauses, the step due), the plan (one
message per channel with every invoice due a step, a task when no channel is left), the message's tone.

Pure functions over plain values, no I/O.
The portfolio-wide run is a few SQL statements (``runs/selection.py``, ``runs/statements.py``) that mirror
``select_strategy``, ``target_step``, ``plan_customer`` and ``position``; ``tests/dunning/test_selection_agrees.py``
holds them to agreement on random portfolios. Explain, fallbacks and the unit tests use these functions directly.

Sources: seed 000 (the statuses that pause reminders, the action notice that stops them), seed 004 (one email with
every invoice, the total and the oldest days overdue; three tones by age of debt).
"""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dunning_service.projection.rules import (
    CLOSED_STATUSES,
    PAUSED_STATUSES,
    CustomerView,
    InvoiceView,
    Position,
    customer_credits,
    position,
)
from dunning_service.strategies.installments import invoice_choice, plan_strategy
from dunning_service.strategies.rules import (
    KIND_RANK,
    ActionKind,
    Step,
    StepKind,
    Strategy,
    StrategyChoice,
    overdue_amounts,
    select_strategy,
    target_step,
)
from shared.calendar import BusinessCalendar
from shared.contracts.common import Channel, InvoiceKind, InvoiceStatus
from shared.contracts.messaging import tone_by_age

# ----------------------------------------------------------------------------------------------------- decisions


@dataclass(frozen=True, slots=True)
class Decision:
    """What today's run does with one invoice, and why."""

    invoice: InvoiceView
    reason: str  # "due" or the exclusion / waiting code
    detail: str
    step: Step | None = None  # the step due today
    strategy: Strategy | None = None

    @property
    def due(self) -> bool:
        return self.step is not None


def invoice_exclusion(invoice: InvoiceView, tolerances: Mapping[str, Decimal]) -> tuple[str, str] | None:
    """Why an invoice gets no automatic reminder whatever the strategy (seed 000: promise to pay, payment
    reported and dispute pause reminders), or None."""
    if invoice.status == InvoiceStatus.IN_PLAN:
        return "in_plan", f"grouped in payment plan {invoice.plan_id}: its installments are reminded instead"
    if invoice.status in CLOSED_STATUSES:
        return "closed", f"the invoice is {invoice.status.value.replace('_', ' ')}"
    if invoice.missing_upstream:
        return "missing_upstream", "receivables did not list the invoice as open at the last resync"
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return "credit_note", "credit notes are not collected"
    if invoice.status in PAUSED_STATUSES:
        detail = {
            InvoiceStatus.PROMISE_TO_PAY: f"promise to pay{_on(invoice.promised_date)}",
            InvoiceStatus.PAYMENT_REPORTED: f"payment reported{_on(invoice.reported_date)}",
            InvoiceStatus.DISPUTE: "in dispute",
        }[invoice.status]
        return PAUSED_STATUSES[invoice.status], f"reminders paused: {detail}"
    if invoice.open_amount <= 0:
        return "nothing_owed", "nothing is owed on the invoice"
    tolerance = tolerances.get(invoice.currency)
    if tolerance is not None and invoice.open_amount < tolerance:
        return (
            "below_tolerance",
            f"open amount {invoice.open_amount} {invoice.currency} is below the tolerance {tolerance}",
        )
    if invoice.open_action_item is not None:
        return "open_action_item", f"action item {invoice.open_action_item} is open"
    if invoice.stopped_by_action:
        return "action_taken", "an action notice was sent: automatic reminders stopped"
    return None


def fallback_exclusion(
    invoice: InvoiceView, steps: Sequence[Step], index: int, tolerances: Mapping[str, Decimal]
) -> str | None:
    """Why a failed message's (invoice, step) gets no fallback, or None (issue 10): the invoice no longer
    warrants a reminder (paid, paused, below tolerance...; an open action item or a stopped invoice do not
    count: the action notice itself is what opens and stops them), or a later step already went out or is
    on its way, so this one is stale."""
    excluded = invoice_exclusion(invoice, tolerances)
    if excluded and excluded[0] not in ("open_action_item", "action_taken"):
        return excluded[0]
    for later in steps[index + 1 :]:
        if later.id in invoice.steps_done or later.id == invoice.pending_step_id:
            return "superseded"
    return None


def _on(day: date | None) -> str:
    return f" ({day.isoformat()})" if day else ""


def reply_pause(customer: CustomerView, as_of: date, pause_days: int) -> str | None:
    """Issue 10: a customer who wrote back (anything but STOP) gets no automatic reminder for ``pause_days``
    days from the day of the reply, so the collector can answer first. None when not paused on ``as_of``."""
    if customer.replied_on is None or as_of >= customer.replied_on + timedelta(days=pause_days):
        return None
    until = customer.replied_on + timedelta(days=pause_days)
    return f"paused: customer replied on {customer.replied_on.isoformat()} (reminders resume {until.isoformat()})"


def decide_invoice(
    invoice: InvoiceView,
    customer: CustomerView,
    choice: StrategyChoice,
    as_of: date,
    calendar: BusinessCalendar,
    tolerances: Mapping[str, Decimal],
    reply_pause_days: int = 0,
) -> Decision:
    excluded = invoice_exclusion(invoice, tolerances)
    if excluded:
        return Decision(invoice, *excluded, strategy=choice.strategy)
    if customer.deleted:
        return Decision(invoice, "customer_deleted", "the customer was deleted", strategy=choice.strategy)
    paused = reply_pause(customer, as_of, reply_pause_days)
    if paused:
        return Decision(invoice, "paused_reply", paused, strategy=choice.strategy)
    strategy = choice.strategy
    if strategy is None:
        return Decision(invoice, "no_strategy", choice.reason)
    if strategy.manual_only:
        return Decision(
            invoice, "manual_only", f"strategy {strategy.name!r} is manual only: no automatic messages", None, strategy
        )
    closed = calendar.closed_reason(as_of)
    if closed:
        return Decision(
            invoice,
            "not_business_day",
            f"{as_of.isoformat()} is {closed}: sends move to {calendar.next_business_day(as_of).isoformat()}",
            None,
            strategy,
        )
    target = target_step(strategy.steps, invoice, as_of)
    return Decision(invoice, target.reason, target.detail, target.step, strategy)


# ------------------------------------------------------------------------------------------------ plan


@dataclass(frozen=True, slots=True)
class DueItem:
    invoice: InvoiceView
    step: Step
    strategy_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PlannedCommunication:
    """One message to one customer on one channel, with every invoice due a step that day (seed 004)."""

    key: str
    customer_id: uuid.UUID
    channel: Channel
    address: str
    kind: StepKind  # the highest kind among the items
    tone: int  # the highest tone among the items, raised by the age of the debt (``communication_tone``)
    action: ActionKind | None
    items: tuple[DueItem, ...]
    position: "Position | None" = None  # the customer's whole open position, the items marked triggered


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """No channel left for these items: a collector takes over (a task in receivables)."""

    key: str
    customer_id: uuid.UUID
    items: tuple[DueItem, ...]


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """A call step due (issue 18): one task for the customer's collector, with the step's script rendered by
    messaging, naming every invoice that reached the step that day."""

    key: str
    customer_id: uuid.UUID
    step: Step
    items: tuple[DueItem, ...]
    position: "Position | None" = None  # what the script's tags read: the customer's whole open position


@dataclass(frozen=True, slots=True)
class CustomerPlan:
    customer: CustomerView
    communications: tuple[PlannedCommunication, ...] = ()
    tasks: tuple[PlannedTask, ...] = ()
    calls: tuple[PlannedCall, ...] = ()

    @property
    def items(self) -> list[DueItem]:
        return [
            *(i for c in self.communications for i in c.items),
            *(i for t in self.tasks for i in t.items),
            *(i for c in self.calls for i in c.items),
        ]


def _digest(items: Iterable[DueItem]) -> str:
    pairs = sorted(f"{i.invoice.id}:{i.step.id}" for i in items)
    return hashlib.sha256("|".join(pairs).encode()).hexdigest()[:20]


def communication_key(customer_id: uuid.UUID, channel: str, as_of: date, items: Iterable[DueItem]) -> str:
    """Deterministic per customer, channel, day and set of (invoice, step): a rerun never doubles a message."""
    return f"dunning:{customer_id}:{channel}:{as_of.isoformat()}:{_digest(items)}"


Tried = frozenset[tuple[Channel, str]]


def choose_channel(customer: CustomerView, step: Step, tried: Tried = frozenset()) -> tuple[Channel, str] | None:
    """The step's first channel the customer can be reached on (opted-out or invalid ones are skipped).
    A fallback passes the (channel, address) pairs already tried: the next valid address on the same
    channel comes first, then the step's next channel (issue 10)."""
    for channel in step.channels:
        if not tried:
            address = customer.address(channel)
            if address:
                return channel, address
            continue
        for address in customer.addresses(channel):
            if (channel, address) not in tried:
                return channel, address
    return None


def fallback_key(base: str, channel: str, address: str | None) -> str:
    """A fallback's own idempotency key: the run's key plus the address it goes to, so a fallback on the same
    channel (another address) never collides with the failed message, and a replayed failure finds it."""
    tail = hashlib.sha256((address or "").encode()).hexdigest()[:10]
    return f"{base}:fallback:{channel}:{tail}"


def plan_customer(
    customer: CustomerView,
    due: Sequence[DueItem],
    as_of: date,
    tried: Tried = frozenset(),
    open_invoices: Sequence[InvoiceView] | None = None,
    debt_age: int | None = None,
) -> CustomerPlan:
    """One communication per channel, triggered by every due invoice whose step prefers that channel; items
    with no channel left become one task for the collector; call steps' items one call per step (``plan_calls``).
    With ``tried`` (a fallback after a failed message) the pairs tried are skipped and the keys are fallback keys.

    With ``open_invoices`` (the projection's open invoices of the customer) each communication carries the
    customer's whole open position (issue 12): those plus the due ones, net of the customer's credits. Its tone
    is the highest step tone raised by the age of the oldest overdue demanded invoice (``communication_tone``):
    the position's, else ``debt_age`` (the same age computed in SQL by a run, which builds the positions only
    for what it writes) or the due invoices' own."""
    by_channel: dict[tuple[Channel, str], list[DueItem]] = defaultdict(list)
    unreachable: list[DueItem] = []
    ordered = sorted(due, key=lambda i: (i.invoice.due_date, i.invoice.number, i.invoice.id))
    calls = plan_calls(customer, [i for i in ordered if i.step.kind == StepKind.CALL], as_of, open_invoices)
    for item in ordered:
        if item.step.kind == StepKind.CALL:
            continue
        chosen = choose_channel(customer, item.step, tried)
        if chosen is None:
            unreachable.append(item)
            continue
        by_channel[chosen].append(item)
    communications = []
    for channel, address in sorted(by_channel):  # a StrEnum: sorts by its value
        items = tuple(by_channel[(channel, address)])
        top = max(items, key=lambda i: (KIND_RANK[i.step.kind], i.step.days))
        actions = [i for i in items if i.step.kind == StepKind.ACTION]
        key = communication_key(customer.id, channel.value, as_of, items)
        held = items_position(items, customer, as_of, open_invoices) if open_invoices is not None else None
        age = held.oldest_days_overdue if held else oldest_overdue(items, as_of, debt_age)
        communications.append(
            PlannedCommunication(
                key=fallback_key(key, channel.value, address) if tried else key,
                customer_id=customer.id,
                channel=channel,
                address=address,
                kind=top.step.kind,
                tone=communication_tone([i.step for i in items], age),
                action=max(actions, key=lambda i: i.step.days).step.action if actions else None,
                items=items,
                position=held,
            )
        )
    tasks: tuple[PlannedTask, ...] = ()
    if unreachable:
        key = communication_key(customer.id, "task", as_of, unreachable)
        tasks = (PlannedTask(fallback_key(key, "task", None) if tried else key, customer.id, tuple(unreachable)),)
    return CustomerPlan(customer, tuple(communications), tasks, calls)


def plan_calls(
    customer: CustomerView, due: Sequence[DueItem], as_of: date, open_invoices: Sequence[InvoiceView] | None = None
) -> tuple[PlannedCall, ...]:
    """One call per call step due (several invoices reaching it the same day: one task naming them all), keyed
    like a message (customer, ``call``, day, the (invoice, step) pairs): a re-run never asks for it twice. With
    ``open_invoices`` each call holds the customer's position, as a message does."""
    by_step: dict[uuid.UUID, list[DueItem]] = defaultdict(list)
    for item in due:
        by_step[item.step.id].append(item)
    calls = []
    for items in sorted(by_step.values(), key=lambda items: items[0].step.days):
        key = communication_key(customer.id, "call", as_of, items)
        held = items_position(items, customer, as_of, open_invoices) if open_invoices is not None else None
        calls.append(PlannedCall(key, customer.id, items[0].step, tuple(items), held))
    return tuple(calls)


@dataclass(frozen=True, slots=True)
class CustomerEvaluation:
    choice: StrategyChoice
    decisions: tuple[Decision, ...]
    plan: CustomerPlan


def evaluate_customer(
    customer: CustomerView,
    invoices: Sequence[InvoiceView],
    strategies: Sequence[Strategy],
    as_of: date,
    calendar: BusinessCalendar,
    tolerances: Mapping[str, Decimal],
    reply_pause_days: int = 0,
    choice: StrategyChoice | None = None,
) -> CustomerEvaluation:
    """The whole decision for one customer on one day: strategy (``choice`` when an experiment steered it:
    ``experiments.rules.steer``), each invoice (an installment of a payment plan follows the plans' strategy when
    there is one, issue 19), and what goes out."""
    choice = choice or select_strategy(strategies, customer, overdue_amounts(invoices, as_of))
    plans = plan_strategy(strategies)
    decisions = tuple(
        decide_invoice(inv, customer, invoice_choice(inv, choice, plans), as_of, calendar, tolerances, reply_pause_days)
        for inv in invoices
    )
    due = [DueItem(d.invoice, d.step, d.strategy.id) for d in decisions if d.step is not None and d.strategy]
    return CustomerEvaluation(choice, decisions, plan_customer(customer, due, as_of, open_invoices=invoices))


def totals_and_oldest(items: Sequence[DueItem], as_of: date) -> tuple[dict[str, Decimal], int]:
    """Open totals per currency (never added across currencies) and the oldest days overdue of the triggering
    invoices alone (what a message said before issue 12; the bench compares payload sizes with it)."""
    totals: dict[str, Decimal] = {}
    oldest_due = items[0].invoice.due_date
    for item in items:
        invoice = item.invoice
        totals[invoice.currency] = totals.get(invoice.currency, 0) + invoice.open_amount
        oldest_due = min(oldest_due, invoice.due_date)
    return dict(sorted(totals.items())), (as_of - oldest_due).days


# -------------------------------------------------------------------------------- tone and position of a message


def oldest_overdue(items: Iterable[DueItem], as_of: date, known: int | None = None) -> int | None:
    """The oldest days overdue among due invoices (always demanded: only normal invoices are due) and ``known``."""
    ages = [(as_of - i.invoice.due_date).days for i in items if i.invoice.due_date < as_of]
    if known is not None:
        ages.append(known)
    return max(ages, default=None)


def communication_tone(steps: Sequence[Step], oldest_days_overdue: int | None) -> int:
    """The highest tone of the steps, raised to the tone the age of the customer's oldest overdue demanded
    invoice calls for (seed 004: a reminder for a new invoice to a customer who owes one 90 days old is not a
    friendly one), unless a step pins its tone: then the steps alone decide."""
    tone = max(s.tone for s in steps)
    if any(s.pin_tone for s in steps):
        return tone
    return max(tone, tone_by_age(oldest_days_overdue))


def items_position(
    items: Sequence[DueItem], customer: CustomerView, as_of: date, open_invoices: Iterable[InvoiceView]
) -> Position:
    """The position of a message: its triggering ``items`` (marked) among the customer's ``open_invoices``."""
    return position(
        [*(i.invoice for i in items), *open_invoices],
        customer_credits(customer),
        as_of,
        frozenset(i.invoice.id for i in items),
    )
