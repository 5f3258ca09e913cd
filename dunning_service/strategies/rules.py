"""A strategy and its steps: the model, the validation of what a client writes, which strategy a customer gets
(selection) and which step an invoice is due on a day (step timing).

Pure functions over plain values, no I/O.
The portfolio-wide run is a few SQL statements (``runs/selection.py``, ``runs/statements.py``) that mirror
``select_strategy``, ``target_step``, ``plan_customer`` and ``position``; ``tests/dunning/test_selection_agrees.py``
holds them to agreement on random portfolios. Explain, fallbacks and the unit tests use these functions directly.

Sources: seed 000 (the four automatic communications, VIP schemes without automatic messages, the action notice
that stops reminders), seed 003 (strategies segmented by risk or stage, coordinated email/SMS/WhatsApp).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from dunning_service.projection.rules import CustomerView, InvoiceView
from shared.calendar import BusinessCalendar
from shared.contracts.common import Channel, InvoiceKind
from shared.contracts.messaging import CommunicationKind

# --------------------------------------------------------------------------------------------------------- steps


class StepKind(StrEnum):
    """Seed 000's four automatic communications."""

    NEW_INVOICE = "new_invoice"  # on issue
    PRE_DUE = "pre_due"  # N days before the due date
    OVERDUE = "overdue"  # N days after the due date, in a tone
    ACTION = "action"  # N days after the due date: notice, action item, no more reminders
    # N days after the due date: a task for the customer's collector carrying the step's script rendered for the
    # customer (issue 18; seed 001: "Crear un plan de llamadas de cobro", "un guion establecido"). No message, no
    # channel; reminders go on. Not the action step with action ``call`` (a notice + an action item, reminders stop).
    CALL = "call"


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
    StepKind.CALL: CommunicationKind.OVERDUE,  # a call is about the overdue debt (plans show it with ``call``)
}
# One kind per rank (the run's SQL reads a group's kind back from its highest rank). A call step's items are
# grouped apart from messages (one task per customer and call step), so its rank never competes with theirs.
KIND_RANK = {StepKind.NEW_INVOICE: 0, StepKind.PRE_DUE: 1, StepKind.OVERDUE: 2, StepKind.ACTION: 3, StepKind.CALL: 4}
DEFAULT_TONE = {StepKind.NEW_INVOICE: 1, StepKind.PRE_DUE: 1, StepKind.ACTION: 3, StepKind.CALL: 1}
SCRIPT_MAX_LENGTH = 4000  # a call step's script as the tenant writes it; its rendering is cut at the task's limit
# Sent only while the invoice is not yet overdue: a "will be due" message after the due date is wrong.
BEFORE_DUE_KINDS = frozenset({StepKind.NEW_INVOICE, StepKind.PRE_DUE})


def step_id(strategy_id: uuid.UUID, key: str) -> uuid.UUID:
    """A step's identity: its strategy and its stable key, never its position. Editing a strategy keeps the
    keys of the steps it keeps, so a step already sent is never sent again."""
    return uuid.uuid5(strategy_id, key)


@dataclass(frozen=True, slots=True)
class Step:
    id: uuid.UUID
    key: str
    kind: StepKind
    days: int  # before the due date (pre_due), after it (overdue, action, call); 0 for new_invoice
    tone: int
    channels: tuple[Channel, ...]
    action: ActionKind | None = None
    pin_tone: bool = False  # the step's tone is used as is, not raised by the age of the debt (seed 004)
    script: str | None = None  # call steps: what the collector says, with the templates' tags

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
        if self.kind == StepKind.CALL:
            return f"call {self.days} days after the due date (a task for the collector, with the script)"
        return f"action notice {self.days} days after the due date ({self.action})"


# ---------------------------------------------------------------------------------------------------- strategies


@dataclass(frozen=True, slots=True)
class Match:
    """Selection rules over customer attributes (seed 003: segmented by risk, stage or any criterion).
    Every condition given must hold; none given matches every customer."""

    vip: bool | None = None
    segments: tuple[str, ...] | None = None
    risk_levels: tuple[str, ...] | None = None
    computed_risk_levels: tuple[str, ...] | None = None  # receivables' warning signs (issue 18)
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
    for_payment_plans: bool = False  # issue 19: follows plans' installments (``installments.py``), no customer's


# ----------------------------------------------------------------------------------------------------- selection


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
    if match.computed_risk_levels is not None:
        level = customer.computed_risk_level
        if level is None or level not in match.computed_risk_levels:
            return None
        met.append(f"computed risk level is {level}")
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
    """Active non-default strategies for customers in the order they are tried: priority, name, id."""
    tried = (s for s in strategies if s.active and not s.is_default and not s.for_payment_plans)
    return sorted(tried, key=lambda s: (s.priority, s.name, str(s.id)))


def default_strategy(strategies: Iterable[Strategy]) -> Strategy | None:
    return next((s for s in strategies if s.active and s.is_default and not s.for_payment_plans), None)


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


# --------------------------------------------------------------------------------------------------- step timing


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


# ----------------------------------------------------------------------------------------------- step validation


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
    script: str | None = None


def validate_steps(specs: Sequence[StepSpec], manual_only: bool) -> list[dict[str, str]]:
    """Every problem, each naming its step and field (``steps[2].days``): offsets strictly ordered (new
    invoice, then pre-due from furthest to nearest, then overdue, call and the action), at least one channel
    (none for a call step, which has a script instead), a tone for overdue steps, an action (and nothing after it)
    for the action step."""
    errors: list[dict[str, str]] = []

    def err(i: int, name: str, message: str) -> None:
        errors.append({"field": f"steps[{i}].{name}", "message": message})

    if not specs and not manual_only:
        errors.append({"field": "steps", "message": "a strategy that sends automatic messages needs a step"})
    previous: tuple[int, int, int] | None = None  # (phase, offset, index) of the previous timed step
    keys: dict[str, int] = {}
    for i, spec in enumerate(specs):
        for name, message in _call_problems(spec):
            err(i, name, message)
        if spec.kind == StepKind.CALL:
            pass  # no message: no channel (``_call_problems``)
        elif not spec.channels:
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


def _call_problems(spec: StepSpec) -> list[tuple[str, str]]:
    """(field, problem): a call step has a script (its tags are checked by messaging, which owns them) and no
    channel; no other step has a script."""
    if spec.kind != StepKind.CALL:
        return [("script", "only a call step has a script")] if spec.script is not None else []
    problems = []
    if spec.channels:
        problems.append(("channels", "a call step sends no message: leave channels out"))
    if spec.script is None or not spec.script.strip():
        problems.append(("script", "a call step needs the script the collector follows, with the templates' tags"))
    elif len(spec.script) > SCRIPT_MAX_LENGTH:
        problems.append(("script", f"at most {SCRIPT_MAX_LENGTH} characters"))
    return problems


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
                script=spec.script if spec.kind == StepKind.CALL else None,
            )
        )
    return tuple(steps)
