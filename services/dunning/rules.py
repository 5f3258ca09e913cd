"""The dunning rules: which strategy applies to a customer, which step an invoice is due, what goes out.

Pure functions over plain values, no I/O; everything a collector can ask "why?" about is decided here.
The portfolio-wide run is a few SQL statements (``runs/selection.py``, ``runs/statements.py``) that mirror
``select_strategy``, ``target_step``, ``plan_customer`` and ``position``; ``tests/dunning/test_selection_agrees.py``
holds them to agreement on random portfolios. Explain, fallbacks and the unit tests use these functions directly.

Sources: seed 000 (the four automatic communications, VIP schemes without automatic messages, the
statuses that pause reminders, the action notice that stops them), seed 003 (strategies segmented by
risk or stage, coordinated email/SMS/WhatsApp), seed 004 (one email with every invoice, the total and
the oldest days overdue; three tones by age of debt).
"""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.calendar import BusinessCalendar
from shared.contracts.common import Channel, InvoiceKind, InvoiceStatus
from shared.contracts.messaging import CommunicationKind, tone_by_age

# ---------------------------------------------------------------------------------------------- steps


class StepKind(StrEnum):
    """Seed 000's four automatic communications."""

    NEW_INVOICE = "new_invoice"  # on issue
    PRE_DUE = "pre_due"  # N days before the due date
    OVERDUE = "overdue"  # N days after the due date, in a tone
    ACTION = "action"  # N days after the due date: notice, action item, no more reminders


class ActionKind(StrEnum):
    SUSPEND_SERVICE = "suspend_service"
    LEGAL = "legal"
    WRITE_OFF = "write_off"
    CALL = "call"


COMMUNICATION_KIND = {
    StepKind.NEW_INVOICE: CommunicationKind.NEW_INVOICE,
    StepKind.PRE_DUE: CommunicationKind.PRE_DUE,
    StepKind.OVERDUE: CommunicationKind.OVERDUE,
    StepKind.ACTION: CommunicationKind.ACTION_NOTICE,
}
KIND_RANK = {StepKind.NEW_INVOICE: 0, StepKind.PRE_DUE: 1, StepKind.OVERDUE: 2, StepKind.ACTION: 3}
DEFAULT_TONE = {StepKind.NEW_INVOICE: 1, StepKind.PRE_DUE: 1, StepKind.ACTION: 3}
# Sent only while the invoice is not yet overdue: a "will be due" message after the due date is wrong.
BEFORE_DUE_KINDS = frozenset({StepKind.NEW_INVOICE, StepKind.PRE_DUE})

PAUSED_STATUSES = {
    InvoiceStatus.PROMISE_TO_PAY: "paused_promise_to_pay",
    InvoiceStatus.PAYMENT_REPORTED: "paused_payment_reported",
    InvoiceStatus.DISPUTE: "paused_dispute",
}
CLOSED_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.WRITTEN_OFF, InvoiceStatus.VOID})


def step_id(strategy_id: uuid.UUID, key: str) -> uuid.UUID:
    """A step's identity: its strategy and its stable key, never its position. Editing a strategy keeps the
    keys of the steps it keeps, so a step already sent is never sent again."""
    return uuid.uuid5(strategy_id, key)


@dataclass(frozen=True, slots=True)
class Step:
    id: uuid.UUID
    key: str
    kind: StepKind
    days: int  # before the due date (pre_due), after it (overdue, action); 0 for new_invoice
    tone: int
    channels: tuple[Channel, ...]
    action: ActionKind | None = None
    pin_tone: bool = False  # the step's tone is used as is, not raised by the age of the debt (seed 004)

    @property
    def offset(self) -> int | None:
        """Days relative to the due date; None for the new-invoice notice (relative to the issue date)."""
        if self.kind == StepKind.NEW_INVOICE:
            return None
        return -self.days if self.kind == StepKind.PRE_DUE else self.days

    def scheduled_date(self, issue_date: date, due_date: date) -> date:
        """The day the step falls on before any weekend or holiday shift."""
        if self.kind == StepKind.NEW_INVOICE:
            return issue_date
        return due_date + timedelta(days=self.offset or 0)

    def describe(self) -> str:
        if self.kind == StepKind.NEW_INVOICE:
            return "new-invoice notice"
        if self.kind == StepKind.PRE_DUE:
            return f"reminder {self.days} days before the due date"
        if self.kind == StepKind.OVERDUE:
            return f"reminder {self.days} days after the due date (tone {self.tone})"
        return f"action notice {self.days} days after the due date ({self.action})"


# ------------------------------------------------------------------------------------------ strategies


@dataclass(frozen=True, slots=True)
class Match:
    """Selection rules over customer attributes (seed 003: segmented by risk, stage or any criterion).
    Every condition given must hold; none given matches every customer."""

    vip: bool | None = None
    segments: tuple[str, ...] | None = None
    risk_levels: tuple[str, ...] | None = None
    tags_any: tuple[str, ...] | None = None
    tags_all: tuple[str, ...] | None = None
    countries: tuple[str, ...] | None = None
    amount_currency: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None

    @property
    def uses_amount(self) -> bool:
        return self.amount_currency is not None and (self.amount_min is not None or self.amount_max is not None)


@dataclass(frozen=True, slots=True)
class Strategy:
    id: uuid.UUID
    name: str
    priority: int
    version: int
    steps: tuple[Step, ...]
    match: Match = field(default_factory=Match)
    is_default: bool = False
    manual_only: bool = False
    active: bool = True


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
        addresses: dict[str, str] = {}
        for c in self.contacts:  # the first valid address per channel, unless opted out
            if not c.invalid and c.channel not in self.opted_out:
                addresses.setdefault(c.channel, c.address)
        object.__setattr__(self, "_addresses", addresses)

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


def usable_channels(contacts: Iterable[Contact], opted_out: Iterable[str]) -> list[str]:
    """Channels with a valid contact and no opt-out, kept in the projection for set-based queries."""
    out = set(opted_out)
    return sorted({c.channel.value for c in contacts if not c.invalid and c.channel.value not in out})


def _casefold(values: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(sorted({v.strip().lower() for v in values}))


def matched_conditions(match: Match, customer: CustomerView, overdue: Mapping[str, Decimal]) -> list[str] | None:
    """The conditions the customer meets, described; None when one fails. NULL attributes never match,
    exactly as in SQL."""
    met: list[str] = []
    if match.vip is not None:
        if customer.vip != match.vip:
            return None
        met.append(f"vip is {str(match.vip).lower()}")
    if match.segments is not None:
        if customer.segment is None or customer.segment.lower() not in (_casefold(match.segments) or ()):
            return None
        met.append(f"segment is {customer.segment}")
    if match.risk_levels is not None:
        if customer.risk_level is None or customer.risk_level not in match.risk_levels:
            return None
        met.append(f"risk level is {customer.risk_level}")
    tags = {t.lower() for t in customer.tags}
    if match.tags_any is not None:
        hits = sorted(tags & set(_casefold(match.tags_any) or ()))
        if not hits:
            return None
        met.append(f"tagged {', '.join(hits)}")
    if match.tags_all is not None:
        wanted = set(_casefold(match.tags_all) or ())
        if not wanted <= tags:
            return None
        met.append(f"tagged all of {', '.join(sorted(wanted))}")
    if match.countries is not None:
        if customer.country is None or customer.country.upper() not in {c.upper() for c in match.countries}:
            return None
        met.append(f"country is {customer.country.upper()}")
    if match.uses_amount:
        amount = overdue.get(match.amount_currency or "", Decimal(0))
        if match.amount_min is not None and amount < match.amount_min:
            return None
        if match.amount_max is not None and amount > match.amount_max:
            return None
        met.append(f"amount overdue {amount} {match.amount_currency}")
    return met


def selection_order(strategies: Iterable[Strategy]) -> list[Strategy]:
    """Active non-default strategies in the order they are tried: priority, then name, then id."""
    return sorted(
        (s for s in strategies if s.active and not s.is_default), key=lambda s: (s.priority, s.name, str(s.id))
    )


def default_strategy(strategies: Iterable[Strategy]) -> Strategy | None:
    return next((s for s in strategies if s.active and s.is_default), None)


@dataclass(frozen=True, slots=True)
class StrategyChoice:
    strategy: Strategy | None
    reason: str


def select_strategy(
    strategies: Sequence[Strategy], customer: CustomerView, overdue: Mapping[str, Decimal] | None = None
) -> StrategyChoice:
    """The first active strategy (by priority) whose rules the customer meets, else the default."""
    overdue = overdue or {}
    for strategy in selection_order(strategies):
        met = matched_conditions(strategy.match, customer, overdue)
        if met is not None:
            why = "; ".join(met) if met else "its rules match every customer"
            return StrategyChoice(strategy, f"priority {strategy.priority}: {why}")
    default = default_strategy(strategies)
    if default is not None:
        return StrategyChoice(default, "no strategy's rules match: the default strategy")
    return StrategyChoice(None, "no strategy's rules match and there is no default strategy")


def overdue_amounts(invoices: Iterable["InvoiceView"], as_of: date) -> dict[str, Decimal]:
    """Open amount past due per currency (never added across currencies), for amount rules."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for inv in invoices:
        if inv.is_open and inv.kind != InvoiceKind.CREDIT_NOTE and inv.due_date < as_of and not inv.missing_upstream:
            totals[inv.currency] += inv.open_amount
    return dict(totals)


# -------------------------------------------------------------------------------------------- invoices


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


def reached_index(steps: Sequence[Step], issue_date: date, due_date: date, day: date) -> int | None:
    """Catch-up: the position of the highest step whose day has come (an invoice imported 40 days overdue
    reaches the 40-day step, not every step it missed). New-invoice and pre-due steps only while the
    invoice is not yet overdue; nothing before the invoice is issued."""
    if day < issue_date:
        return None
    best = None
    for idx, step in enumerate(steps):
        if step.kind in BEFORE_DUE_KINDS and day > due_date:
            continue
        if step.scheduled_date(issue_date, due_date) <= day:
            best = idx
    return best


@dataclass(frozen=True, slots=True)
class Target:
    step: Step | None
    reason: str  # "due", "no_step_yet", "step_already_sent", "awaiting_acceptance"
    detail: str


def target_step(steps: Sequence[Step], invoice: InvoiceView, day: date) -> Target:
    """The step ``invoice`` is due on business day ``day``: the highest reached, unless it (or any later
    step) was already had. Weekends and holidays need no arithmetic here: a run only happens on business
    days, and a step whose day fell on a closed day is reached on the next business day."""
    idx = reached_index(steps, invoice.issue_date, invoice.due_date, day)
    if idx is None:
        return Target(None, "no_step_yet", "no step of the strategy has been reached yet")
    step = steps[idx]
    for later in steps[idx:]:
        if later.id in invoice.steps_done:
            return Target(None, "step_already_sent", f"step {later.key!r} was already sent")
        if later.id == invoice.pending_step_id and invoice.pending_active:
            return Target(None, "awaiting_acceptance", f"step {later.key!r} awaits its message being sent")
    return Target(step, "due", f"step {step.key!r}: {step.describe()}")


def effective_date(step: Step, invoice: InvoiceView, calendar: BusinessCalendar) -> date:
    """The day the step actually goes out: its day (never before the issue date), moved to the next
    business day."""
    return calendar.next_business_day(
        max(invoice.issue_date, step.scheduled_date(invoice.issue_date, invoice.due_date))
    )


def next_step(
    steps: Sequence[Step],
    invoice: InvoiceView,
    after: date,
    calendar: BusinessCalendar,
    sent_today: Step | None = None,
    horizon: int = 400,
) -> tuple[Step, date] | None:
    """The next step the invoice gets after ``after`` if nothing changes: every step sent (or awaiting
    acceptance, or due today) counts as had, and only business days send."""
    had = set(invoice.steps_done)
    if invoice.pending_step_id is not None:
        had.add(invoice.pending_step_id)
    if sent_today is not None:
        had.add(sent_today.id)
    day = after
    for _ in range(horizon):
        day += timedelta(days=1)
        if not calendar.is_business_day(day):
            continue
        idx = reached_index(steps, invoice.issue_date, invoice.due_date, day)
        if idx is None or any(s.id in had for s in steps[idx:]):
            continue
        return steps[idx], day
    return None


# ------------------------------------------------------------------------------------------- decisions


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
class CustomerPlan:
    customer: CustomerView
    communications: tuple[PlannedCommunication, ...] = ()
    tasks: tuple[PlannedTask, ...] = ()

    @property
    def items(self) -> list[DueItem]:
        return [i for c in self.communications for i in c.items] + [i for t in self.tasks for i in t.items]


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
    with no channel left become one task for the collector. With ``tried`` (a fallback after a failed message)
    the pairs tried are skipped and the keys are fallback keys.

    With ``open_invoices`` (the projection's open invoices of the customer) each communication carries the
    customer's whole open position (issue 12): those plus the due ones, net of the customer's credits. Its tone
    is the highest step tone raised by the age of the oldest overdue demanded invoice (``communication_tone``):
    the position's, else ``debt_age`` (the same age computed in SQL by a run, which builds the positions only
    for what it writes) or the due invoices' own."""
    by_channel: dict[tuple[Channel, str], list[DueItem]] = defaultdict(list)
    unreachable: list[DueItem] = []
    for item in sorted(due, key=lambda i: (i.invoice.due_date, i.invoice.number, i.invoice.id)):
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
    tasks = ()
    if unreachable:
        key = communication_key(customer.id, "task", as_of, unreachable)
        tasks = (PlannedTask(fallback_key(key, "task", None) if tried else key, customer.id, tuple(unreachable)),)
    return CustomerPlan(customer, tuple(communications), tasks)


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
) -> CustomerEvaluation:
    """The whole decision for one customer on one day: strategy, each invoice, and what goes out."""
    choice = select_strategy(strategies, customer, overdue_amounts(invoices, as_of))
    decisions = tuple(
        decide_invoice(inv, customer, choice, as_of, calendar, tolerances, reply_pause_days) for inv in invoices
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


# ------------------------------------------------------------------------------------------- position


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


def customer_credits(customer: CustomerView) -> dict[str, Decimal]:
    """The customer's unapplied credits per currency, from receivables' snapshot (open credit notes not
    applied and unapplied over-payments: receivables decides what counts)."""
    return customer.extra.get("credits") or {}


# ------------------------------------------------------------------------------------- step validation


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A step as a client writes it (key optional)."""

    kind: StepKind
    channels: tuple[Channel, ...]
    days: int | None = None
    tone: int | None = None
    action: ActionKind | None = None
    key: str | None = None
    pin_tone: bool = False


def validate_steps(specs: Sequence[StepSpec], manual_only: bool) -> list[dict[str, str]]:
    """Every problem, each naming its step and field (``steps[2].days``): offsets strictly ordered (new
    invoice, then pre-due from furthest to nearest, then overdue and the action), at least one channel,
    a tone for overdue steps, an action (and nothing after it) for the action step."""
    errors: list[dict[str, str]] = []

    def err(i: int, name: str, message: str) -> None:
        errors.append({"field": f"steps[{i}].{name}", "message": message})

    if not specs and not manual_only:
        errors.append({"field": "steps", "message": "a strategy that sends automatic messages needs a step"})
    previous: tuple[int, int, int] | None = None  # (phase, offset, index) of the previous timed step
    keys: dict[str, int] = {}
    for i, spec in enumerate(specs):
        if not spec.channels:
            err(i, "channels", "name at least one channel, in order of preference")
        elif len(set(spec.channels)) != len(spec.channels):
            err(i, "channels", "a channel is listed twice")
        if spec.key is not None:
            if spec.key in keys:
                err(i, "key", f"key {spec.key!r} is already used by steps[{keys[spec.key]}]")
            keys[spec.key] = i
        if spec.kind == StepKind.NEW_INVOICE:
            if spec.days not in (None, 0):
                err(i, "days", "the new-invoice notice goes out on the issue date: leave days out")
            if i != 0:
                err(i, "kind", "the new-invoice notice must be the first step")
            phase, offset = 0, 0
        elif spec.days is None:
            err(i, "days", "required for this kind of step")
            continue
        elif spec.kind == StepKind.PRE_DUE:
            if spec.days < 0:
                err(i, "days", "days before the due date cannot be negative")
            phase, offset = 1, -spec.days
        else:
            if spec.days < 1:
                err(i, "days", "days after the due date must be at least 1")
            phase, offset = 1, spec.days
        if spec.kind == StepKind.OVERDUE and spec.tone is None:
            err(i, "tone", "an overdue reminder needs a tone: 1 friendly, 2 concerned, 3 firm")
        if spec.tone is not None and not 1 <= spec.tone <= 3:
            err(i, "tone", "tone is 1 friendly, 2 concerned or 3 firm")
        if spec.kind == StepKind.ACTION:
            if spec.action is None:
                err(i, "action", "an action step names its action: suspend_service, legal, write_off or call")
            if i != len(specs) - 1:
                err(i, "kind", "the action notice stops reminders: it must be the last step")
        elif spec.action is not None:
            err(i, "action", "only an action step has an action")
        if previous is not None and spec.kind != StepKind.NEW_INVOICE:
            prev_phase, prev_offset, prev_index = previous
            if prev_phase == phase and offset <= prev_offset:
                err(
                    i,
                    "days",
                    f"offsets must be strictly ordered: this step falls on or before steps[{prev_index}]"
                    " (pre-due steps from the furthest to the nearest, then overdue steps by days)",
                )
        previous = (phase, offset, i)
    return errors


def assign_keys(strategy_id: uuid.UUID, specs: Sequence[StepSpec], previous: Sequence[Step] = ()) -> tuple[Step, ...]:
    """Turn validated specs into steps with stable keys. A spec without a key takes the key of the
    previous version's step of the same kind and days (an edit of tone or channels keeps the step's
    identity), else ``<kind>-<days>``."""
    reusable = {(s.kind, s.days): s.key for s in previous}
    explicit = {s.key for s in specs if s.key}
    used: set[str] = set()
    steps = []
    for spec in specs:
        days = 0 if spec.kind == StepKind.NEW_INVOICE else int(spec.days or 0)
        key = spec.key
        if key is None:
            candidate = reusable.get((spec.kind, days))
            if candidate and candidate not in used and candidate not in explicit:
                key = candidate
            else:
                base = spec.kind.value if spec.kind == StepKind.NEW_INVOICE else f"{spec.kind.value}-{days}"
                key, n = base, 2
                while key in used or key in explicit:
                    key, n = f"{base}-{n}", n + 1
        used.add(key)
        steps.append(
            Step(
                id=step_id(strategy_id, key),
                key=key,
                kind=spec.kind,
                days=days,
                tone=spec.tone if spec.tone is not None else DEFAULT_TONE.get(spec.kind, 1),
                channels=tuple(spec.channels),
                action=spec.action,
                pin_tone=spec.pin_tone,
            )
        )
    return tuple(steps)
