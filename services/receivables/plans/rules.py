"""Payment plans' rules (issue 19; seed 004's fifth objective of a contact: "Renegociar la deuda a tres plazos").

Pure functions, no I/O: the schedule of a plan from a rule or as listed, the tenant's limits for the plans the
portal proposes, the break decision, completion, and how a broken plan gives back what it collected.

Interest, one deterministic method for both kinds of schedule: simple annual interest on the declining balance,
Actual/365. The balance starts at the principal less the down payment; installment k pays the interest of the balance
for the days since the previous installment (the first: since the down payment's due date, else the plan's start day)
and the rest of its amount repays the balance. A rule's installments repay equal shares of the balance (in the
currency's minor units, the remainder on the last) plus that interest; a listed schedule must leave the balance at
exactly zero (its amounts sum to the principal plus the interest less the down payment). Each interest amount is
rounded half up to the currency's minor units. ``interest_annual_rate`` is a percentage (36 means 36% a year).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from shared.calendar import add_months
from shared.money import minor_units

ZERO = Decimal(0)
DAYS_A_YEAR = Decimal(365)


class PlanInvalid(ValueError):
    """A field of the plan is wrong (the API answers 422 naming ``field``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True, slots=True)
class Installment:
    number: int  # 0: the down payment
    due_date: date
    amount: Decimal
    interest: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Schedule:
    installments: tuple[Installment, ...]
    principal: Decimal
    down_payment: Decimal
    interest_amount: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest_amount

    @property
    def last_due_date(self) -> date:
        return self.installments[-1].due_date

    def as_json(self) -> list[dict[str, Any]]:
        return [
            {
                "number": i.number,
                "due_date": i.due_date.isoformat(),
                "amount": str(i.amount),
                "interest": str(i.interest),
            }
            for i in self.installments
        ]


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """The tenant's limits for the plans the portal proposes (``plan_limits`` in receivables' settings)."""

    max_installments: int = 6
    max_days: int = 180  # from the proposal day to the last installment
    min_down_payment_percent: Decimal = ZERO
    max_interest_annual_rate: Decimal = Decimal(100)
    grace_days: int = 5  # the default grace days of a plan
    portal_auto_accept: bool = False

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> "PlanLimits":
        values = dict(stored or {})
        for name in ("min_down_payment_percent", "max_interest_annual_rate"):
            if values.get(name) is not None:
                values[name] = Decimal(str(values[name]))
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__ and v is not None})


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def due_dates(first: date, count: int, every: str | int) -> list[date]:
    """``count`` due dates from ``first``: every ``"month"`` (same day of the month), ``"2 weeks"`` or N days."""
    if every == "month":
        return [add_months(first, k) for k in range(count)]
    step = 14 if every == "2 weeks" else int(every)
    if step < 1:
        raise PlanInvalid("rule.every", "must be 'month', '2 weeks' or a number of days of at least 1")
    return [first + timedelta(days=step * k) for k in range(count)]


def interest_for(balance: Decimal, annual_rate: Decimal, days: int, currency: str) -> Decimal:
    """Simple interest of ``balance`` for ``days`` at ``annual_rate`` percent a year (Actual/365), half up."""
    if balance <= 0 or annual_rate <= 0 or days <= 0:
        return ZERO.quantize(quantum(currency))
    raw = balance * annual_rate / Decimal(100) * Decimal(days) / DAYS_A_YEAR
    return raw.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def _down(down_payment: Decimal, down_due: date | None, start: date) -> list[Installment]:
    return [Installment(0, down_due or start, down_payment)] if down_payment > 0 else []


def _check_base(principal: Decimal, down_payment: Decimal, annual_rate: Decimal, currency: str) -> None:
    if principal <= 0:
        raise PlanInvalid("invoice_ids", "the invoices owe nothing: there is nothing to plan")
    if down_payment < 0 or down_payment >= principal:
        raise PlanInvalid("down_payment", f"must be at least 0 and less than the principal ({principal} {currency})")
    if annual_rate < 0:
        raise PlanInvalid("interest_annual_rate", "cannot be negative")


def from_rule(
    *,
    principal: Decimal,
    currency: str,
    count: int,
    first_due_date: date,
    every: str | int,
    start: date,
    down_payment: Decimal = ZERO,
    down_payment_due_date: date | None = None,
    annual_rate: Decimal = ZERO,
) -> Schedule:
    """``count`` installments from ``first_due_date``: equal shares of the balance (the remainder on the last) plus
    the interest of the balance since the previous installment."""
    _check_base(principal, down_payment, annual_rate, currency)
    if count < 1:
        raise PlanInvalid("rule.count", "at least one installment")
    q = quantum(currency)
    financed = principal - down_payment
    share = (financed / count).quantize(q, rounding=ROUND_DOWN)
    if share <= 0:
        raise PlanInvalid("rule.count", f"too many installments for {financed} {currency}")
    down = _down(down_payment, down_payment_due_date, start)
    dates = due_dates(first_due_date, count, every)
    check_dates([d.due_date for d in down] + dates, start, "rule.first_due_date")
    balance, previous, installments, interest_total = financed, (down[0].due_date if down else start), [], ZERO
    for k, due in enumerate(dates, start=1):
        part = share if k < count else balance
        interest = interest_for(balance, annual_rate, (due - previous).days, currency)
        installments.append(Installment(k, due, part + interest, interest))
        balance, previous, interest_total = balance - part, due, interest_total + interest
    return Schedule(tuple(down + installments), principal, down_payment, interest_total)


def from_list(
    *,
    principal: Decimal,
    currency: str,
    listed: Sequence[tuple[date, Decimal]],
    start: date,
    down_payment: Decimal = ZERO,
    down_payment_due_date: date | None = None,
    annual_rate: Decimal = ZERO,
) -> Schedule:
    """The installments as listed, checked: dates increasing, positive amounts, and the amounts repay the balance
    and its interest exactly (the module's method)."""
    _check_base(principal, down_payment, annual_rate, currency)
    if not listed:
        raise PlanInvalid("schedule", "at least one installment")
    down = _down(down_payment, down_payment_due_date, start)
    check_dates([d.due_date for d in down] + [d for d, _ in listed], start, "schedule")
    balance, previous = principal - down_payment, (down[0].due_date if down else start)
    installments, interest_total = [], ZERO
    for k, (due, amount) in enumerate(listed, start=1):
        if amount <= 0:
            raise PlanInvalid(f"schedule[{k - 1}].amount", "must be more than 0")
        interest = interest_for(balance, annual_rate, (due - previous).days, currency)
        installments.append(Installment(k, due, amount, interest))
        balance, previous, interest_total = balance - (amount - interest), due, interest_total + interest
    if balance != 0:
        expected = principal - down_payment + interest_total
        listed_sum = sum((a for _, a in listed), ZERO)
        raise PlanInvalid(
            "schedule",
            f"the installments sum {listed_sum} {currency}; principal + interest - down payment is {expected}",
        )
    return Schedule(tuple(down + installments), principal, down_payment, interest_total)


def check_dates(dates: Sequence[date], start: date, where: str) -> None:
    if dates and dates[0] < start:
        raise PlanInvalid(where, f"the first due date cannot be before {start.isoformat()}")
    for before, after in pairwise(dates):
        if after <= before:
            raise PlanInvalid(where, "the due dates must increase (the down payment's first)")


def check_limits(schedule: Schedule, annual_rate: Decimal, limits: PlanLimits, start: date) -> None:
    """A portal proposal within the tenant's limits; the first limit passed names its field."""
    count = sum(1 for i in schedule.installments if i.number > 0)
    if count > limits.max_installments:
        raise PlanInvalid("installments", f"at most {limits.max_installments} installments (asked {count})")
    if (schedule.last_due_date - start).days > limits.max_days:
        last = (start + timedelta(days=limits.max_days)).isoformat()
        raise PlanInvalid("installments", f"the last installment can be due on {last} at the latest")
    minimum = schedule.principal * limits.min_down_payment_percent / Decimal(100)
    if schedule.down_payment < minimum:
        raise PlanInvalid("down_payment", f"at least {limits.min_down_payment_percent}% of the principal ({minimum})")
    if annual_rate > limits.max_interest_annual_rate:
        raise PlanInvalid("interest_annual_rate", f"at most {limits.max_interest_annual_rate}% a year")


@dataclass(frozen=True, slots=True)
class InstallmentState:
    due_date: date
    open_amount: Decimal
    closed: bool = False  # paid, void or written off: nothing more to wait for


def is_broken(installments: Sequence[InstallmentState], grace_days: int, today: date) -> bool:
    """Broken on the day after an unpaid installment's due date plus the grace days (as a promise, seed 000)."""
    return any(
        not i.closed and i.open_amount > 0 and i.due_date + timedelta(days=grace_days) < today for i in installments
    )


def is_completed(installments: Sequence[InstallmentState]) -> bool:
    """Every installment paid."""
    return bool(installments) and all(i.open_amount == 0 for i in installments)


@dataclass(frozen=True, slots=True)
class GroupedInvoice:
    invoice_id: Any
    due_date: date
    issue_date: date
    number: str
    open_amount: Decimal


@dataclass(frozen=True, slots=True)
class Restored:
    invoice_id: Any
    open_amount: Decimal
    applied: Decimal = field(default=ZERO)


def restore(invoices: Sequence[GroupedInvoice], collected: Decimal) -> list[Restored]:
    """A broken or cancelled plan's invoices as they go back: what the plan collected reduces their open amounts,
    oldest due first (due date, issue date, number); an invoice it covers owes nothing (paid). Interest collected
    beyond the invoices' amounts reduces nothing more."""
    left, restored = max(collected, ZERO), []
    for inv in sorted(invoices, key=lambda i: (i.due_date, i.issue_date, i.number, str(i.invoice_id))):
        applied = min(left, inv.open_amount)
        left -= applied
        restored.append(Restored(inv.invoice_id, inv.open_amount - applied, applied))
    return restored
