"""Late charges (issue 19): which fees and interest an overdue invoice owes on a day, as pure decisions.

The reference the run's SQL (``fees/statements.py``) is held to by ``tests/dunning/test_fees_agree.py``.

- A charge's **key** derives from (invoice, rule, period) only: a fixed or percentage fee's period is the step it
  comes with (``overdue`` when the rule names no step), an interest charge's the calendar month ("2026-11"). So
  assessing any day again, or a later day, yields the keys already charged and nothing new (Invoice Ninja's users
  were charged twice or hourly: invoiceninja#2330). The charge's id is ``charge_id(tenant, key)``.
- **fixed** / **percentage**: once the invoice is ``at_days`` overdue (the step's days; 1 without a step) and past
  its ``grace_days``: a fixed amount in the invoice's currency (none in that currency: no charge) or ``percent`` of
  its open amount.
- **interest**: ``annual_rate`` (a percent a year: 60 is 60% a year, as ``percent`` and the payment plans'
  ``interest_annual_rate``) on the open amount for the days overdue after the
  grace days, one charge per **complete** calendar month (a month is charged once it is over: deterministic, never
  a partial month that would have to be topped up), pro rata of the overdue days inside it, over a 365-day year.
- Amounts are rounded to the currency's minor units (half up); a charge below the rule's ``minimum`` in that
  currency is raised to it; then the caps clip it: the rule's **cap** (a fixed amount per currency and/or a percent
  of the invoice's amount) bounds the total of that rule's charges on the invoice, and the tenant's **legal
  maximum** bounds the total of all the invoice's charges by open amount x legal_max_annual_rate (a percent a
  year) x days overdue / (365 x 100) (caps are rounded down). Charges already recorded (but waived ones) count
  against both; new ones are clipped in a fixed order (the day each became due, the rule's place, the period). A
  charge clipped to nothing is not charged (a later day, with more room, may charge it: its key was never used).
- Amounts read the invoice's open amount on the day of the assessment (a month's interest is assessed once the month
  is over, on what is still owed then); a rule's key is its identity across strategies (two strategies' rules with
  one key charge a period once).
- Which invoices: open, ``normal`` (a promise, reported payment, dispute or payment plan pauses the assessment as
  it pauses reminders; it defers, it does not forgive: the periods never charged, a paused month's interest among
  them, are charged the first day the invoice is ``normal`` again), owed (not a credit note, open amount > 0) and
  overdue; payment plans' installments too, by the rules of the
  strategy that follows them. The rules of an invoice are its customer's strategy's ``fees`` when that strategy sets
  them, else the tenant's defaults.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext

from shared.contracts.common import ChargeKind
from shared.money import minor_units

DAYS_IN_YEAR = 365
RATE_DIVISOR = DAYS_IN_YEAR * 100  # an annual rate is a percent: amount x rate x days / (365 x 100), one division
ONCE_PERIOD = "overdue"  # the period of a fixed or percentage fee that names no step


@dataclass(frozen=True, slots=True)
class FeeRule:
    """One fee rule as the assessment reads it (a strategy's or the tenant's; ``at_days`` resolved from the
    strategy's step ``at_step``)."""

    key: str
    kind: ChargeKind
    name: str = ""
    at_step: str | None = None
    at_days: int | None = None
    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    percent: Decimal | None = None
    annual_rate: Decimal | None = None
    grace_days: int = 0
    minimum: Mapping[str, Decimal] = field(default_factory=dict)
    cap_amounts: Mapping[str, Decimal] = field(default_factory=dict)
    cap_percent: Decimal | None = None
    strategy_id: uuid.UUID | None = None

    @property
    def threshold(self) -> int:
        """Days overdue from which a fixed or percentage fee is due (interest: the last day of grace + 1)."""
        if self.kind == ChargeKind.INTEREST:
            return self.grace_days + 1
        return max(self.at_days if self.at_days is not None else 1, self.grace_days + 1)

    @property
    def period(self) -> str:
        return self.at_step or ONCE_PERIOD

    @property
    def label(self) -> str:
        return self.name or self.key


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    id: uuid.UUID
    customer_id: uuid.UUID
    currency: str
    amount: Decimal
    open_amount: Decimal
    due_date: date


@dataclass(frozen=True, slots=True)
class ExistingCharge:
    """A charge of the invoice already recorded."""

    key: str
    rule_key: str
    amount: Decimal
    waived: bool = False


@dataclass(frozen=True, slots=True)
class NewCharge:
    charge_id: uuid.UUID
    key: str
    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    kind: ChargeKind
    rule_key: str
    period: str
    strategy_id: uuid.UUID | None
    description: str
    currency: str
    amount: Decimal
    charged_on: date


def charge_key(invoice_id: uuid.UUID, rule_key: str, period: str) -> str:
    return f"fee:{invoice_id}:{rule_key}:{period}"


def charge_id(tenant_id: uuid.UUID, key: str) -> uuid.UUID:
    """The charge's id, the same wherever it is computed: name-based in the tenant (RFC 4122 version 3, which
    PostgreSQL computes with its built-in ``md5``; version 5's SHA-1 needs an extension)."""
    return uuid.uuid3(tenant_id, key)


def money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` in the currency's minor units, rounded down (a charge clipped by a cap never exceeds it)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_DOWN)


def divide(numerator: Decimal, denominator: int, currency: str, *, half_up: bool) -> Decimal:
    """``numerator / denominator`` in the currency's minor units, rounded half up or down, exactly (integer
    division of the scaled numerator, as the SQL's ``div``: no digits lost to a division's precision)."""
    scale = 10 ** minor_units(currency)
    with localcontext() as ctx:
        ctx.prec = 80
        if half_up:
            units = (2 * numerator * scale + denominator) // (2 * denominator)
        else:
            units = (numerator * scale) // denominator
        return money(units / scale, currency)


def month_periods(start: date, as_of: date) -> list[tuple[date, date]]:
    """The complete calendar months (first day, last day) from ``start``'s month, over before ``as_of``."""
    out: list[tuple[date, date]] = []
    first = start.replace(day=1)
    while True:
        nxt = (first + timedelta(days=32)).replace(day=1)
        if nxt > as_of:
            return out
        out.append((first, nxt - timedelta(days=1)))
        first = nxt


@dataclass(frozen=True, slots=True)
class _Candidate:
    rule_index: int
    rule: FeeRule
    period: str
    became_due: date
    amount: Decimal


def _candidates(invoice: InvoiceFacts, rules: Sequence[FeeRule], as_of: date) -> list[_Candidate]:
    days = (as_of - invoice.due_date).days
    currency = invoice.currency
    out: list[_Candidate] = []
    for n, rule in enumerate(rules):
        raws: list[tuple[str, date, Decimal]] = []
        if rule.kind == ChargeKind.INTEREST:
            accrues_from = invoice.due_date + timedelta(days=rule.grace_days + 1)
            for first, last in month_periods(accrues_from, as_of):
                overdue_days = (last - max(first, accrues_from)).days + 1
                numerator = invoice.open_amount * (rule.annual_rate or Decimal(0)) * overdue_days
                raws.append((first.strftime("%Y-%m"), last, divide(numerator, RATE_DIVISOR, currency, half_up=True)))
        elif days >= rule.threshold:
            became_due = invoice.due_date + timedelta(days=rule.threshold)
            if rule.kind == ChargeKind.FIXED:
                if currency in rule.amounts:
                    raws.append((rule.period, became_due, rule.amounts[currency]))
            else:
                share = divide(invoice.open_amount * (rule.percent or Decimal(0)), 100, currency, half_up=True)
                raws.append((rule.period, became_due, share))
        for period, became_due, amount in raws:
            if currency in rule.minimum:
                amount = max(amount, rule.minimum[currency])
            if amount > 0:
                out.append(_Candidate(n, rule, period, became_due, amount))
    return out


def rule_cap(rule: FeeRule, invoice: InvoiceFacts) -> Decimal | None:
    """The most the rule may charge the invoice in all (None: no cap)."""
    caps: list[Decimal] = []
    if invoice.currency in rule.cap_amounts:
        caps.append(rule.cap_amounts[invoice.currency])
    if rule.cap_percent is not None:
        caps.append(divide(invoice.amount * rule.cap_percent, 100, invoice.currency, half_up=False))
    return min(caps) if caps else None


def legal_limit(invoice: InvoiceFacts, legal_max_annual_rate: Decimal | None, as_of: date) -> Decimal | None:
    """The most all the invoice's charges may add up to on ``as_of`` (None: the tenant set no legal maximum)."""
    if legal_max_annual_rate is None:
        return None
    days = max(0, (as_of - invoice.due_date).days)
    return divide(invoice.open_amount * legal_max_annual_rate * days, RATE_DIVISOR, invoice.currency, half_up=False)


def _clip(amount: Decimal, room: Decimal | None) -> Decimal:
    return amount if room is None else max(Decimal(0), min(amount, room))


def assess(
    tenant_id: uuid.UUID,
    invoice: InvoiceFacts,
    rules: Sequence[FeeRule],
    legal_max_annual_rate: Decimal | None,
    as_of: date,
    existing: Iterable[ExistingCharge] = (),
) -> list[NewCharge]:
    """The new charges of an eligible invoice on ``as_of`` (see the module's docstring), in the order they are
    clipped. The caller decides eligibility (status, kind); an invoice not overdue owes nothing."""
    if invoice.due_date >= as_of:
        return []
    existing = list(existing)
    known = {c.key for c in existing}
    counted = [c for c in existing if not c.waived]
    candidates = [
        c for c in _candidates(invoice, rules, as_of) if charge_key(invoice.id, c.rule.key, c.period) not in known
    ]
    candidates.sort(key=lambda c: (c.became_due, c.rule_index, c.period))
    rule_room: dict[str, Decimal | None] = {}
    for c in candidates:
        if c.rule.key not in rule_room:
            cap = rule_cap(c.rule, invoice)
            used = sum((e.amount for e in counted if e.rule_key == c.rule.key), Decimal(0))
            rule_room[c.rule.key] = None if cap is None else cap - used
    legal = legal_limit(invoice, legal_max_annual_rate, as_of)
    legal_room = None if legal is None else legal - sum((e.amount for e in counted), Decimal(0))
    out: list[NewCharge] = []
    for c in candidates:
        room = rule_room[c.rule.key]
        amount = _clip(c.amount, room)
        if room is not None:
            rule_room[c.rule.key] = room - c.amount  # the raw amount counts (the SQL's running sum of raw amounts)
        charged = _clip(amount, legal_room)
        if legal_room is not None:
            legal_room -= amount
        if money(charged, invoice.currency) <= 0:
            continue
        key = charge_key(invoice.id, c.rule.key, c.period)
        out.append(
            NewCharge(
                charge_id=charge_id(tenant_id, key),
                key=key,
                invoice_id=invoice.id,
                customer_id=invoice.customer_id,
                kind=c.rule.kind,
                rule_key=c.rule.key,
                period=c.period,
                strategy_id=c.rule.strategy_id,
                description=f"{c.rule.label} {c.period}",
                currency=invoice.currency,
                amount=money(charged, invoice.currency),
                charged_on=as_of,
            )
        )
    return out


@dataclass(frozen=True)
class FeeSetup:
    """The tenant's fee rules: those of each strategy that sets ``fees``, the tenant's defaults (for every other
    customer) and its legal maximum annual rate (a percent; None: no legal maximum)."""

    by_strategy: Mapping[uuid.UUID, Sequence[FeeRule]] = field(default_factory=dict)
    defaults: Sequence[FeeRule] = ()
    legal_max_annual_rate: Decimal | None = None

    def rules_for(self, strategy_id: uuid.UUID | None) -> Sequence[FeeRule]:
        """The rules of an invoice whose customer's strategy is ``strategy_id`` (None: no strategy applies)."""
        if strategy_id is not None and strategy_id in self.by_strategy:
            return self.by_strategy[strategy_id]
        return self.defaults

    @property
    def charges_anything(self) -> bool:
        return bool(self.defaults) or any(self.by_strategy.values())
