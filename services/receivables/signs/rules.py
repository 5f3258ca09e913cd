"""The warning signs of a customer in trouble and the computed risk level (issue 18; seed 001: "Demoras en el pago
de facturas", "Pagar las facturas pequeñas antes que las grandes"): pure decisions over plain values.

``repository.py`` applies the very same decisions in SQL to a whole portfolio at once; ``tests/receivables/
test_warning_signs_agree.py`` feeds the SQL's features to these functions and holds what the SQL stored to their
answers. Change a rule here and there together.

The features (``Features``), as the repository gathers them on the tenant's ``today``:
- the invoice payments (allocations, not reversed) of the last ``HISTORY_DAYS``, newest first: the last
  ``recent_payments`` of them against the ones before, each paid ``max(0, payment date - due date)`` days late;
- the invoice payments of the last ``WINDOW_DAYS`` that paid an invoice while a larger one of the same currency,
  due earlier, already overdue and not closed yet stayed open (seed 001: small before large);
- the promises broken in the last ``WINDOW_DAYS``;
- the customer's contact points marked invalid (bounced, or found invalid by a provider);
- the overdue balance (invoices past due, less what was paid or credited by then) ``GROWTH_STEP_DAYS`` x2 days
  ago, ``GROWTH_STEP_DAYS`` days ago and today, in the customer's currency with the largest overdue balance today.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.contracts.receivables import WarningSignKind

HISTORY_DAYS = 365  # the payment history the days-late trend compares against
WINDOW_DAYS = 90  # small-before-large payments and broken promises count in this window (issue 18: "in 90 days")
GROWTH_STEP_DAYS = 30  # the overdue balance is compared 60 and 30 days ago and today


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The tenant's settings (``PATCH /v1/receivables-settings``, ``signs_*``); the defaults are the columns'."""

    recent_payments: int = 3  # the trend's last N invoice payments
    days_late_increase: int = 10  # their average days late exceeds the earlier average by at least this
    small_before_large: int = 2  # smaller invoices paid before larger older ones, in 90 days
    broken_promises: int = 1  # promises broken in 90 days
    bad_contacts: int = 1  # invalid contact points
    overdue_growth_pct: int = 20  # the overdue balance grew at each step and by this much over 60 days
    for_high_risk: int = 2  # this many signs make the risk high (one: medium; none: low)


@dataclass(frozen=True, slots=True)
class Features:
    """One customer's payment behaviour, as ``repository.FEATURES`` gathers it (see the module docstring)."""

    recent_count: int = 0
    recent_days_late: int = 0  # the sum over the recent payments
    earlier_count: int = 0
    earlier_days_late: int = 0
    small_before_large: int = 0
    small_paid_number: str | None = None  # the latest such payment: the small invoice paid ...
    large_open_number: str | None = None  # ... and the larger, older one left open
    broken_promises: int = 0
    last_broken_on: date | None = None
    bad_contacts: list[str] = field(default_factory=list)  # "channel:address"
    currency: str | None = None
    overdue_before: Decimal = Decimal(0)  # 60 days ago
    overdue_between: Decimal = Decimal(0)  # 30 days ago
    overdue_now: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Sign:
    sign: WarningSignKind
    evidence: dict[str, Any]
    reason: str


def days_late_trend(f: Features, t: Thresholds) -> Sign | None:
    """Seed 001's "Demoras en el pago de facturas": the last N payments came, on average, at least
    ``days_late_increase`` days later than the ones before them (integer arithmetic: no rounding at the edge)."""
    if f.recent_count < t.recent_payments or f.earlier_count == 0:
        return None
    increase = f.recent_days_late * f.earlier_count - f.earlier_days_late * f.recent_count
    if increase < t.days_late_increase * f.recent_count * f.earlier_count:
        return None
    recent, earlier = f.recent_days_late // f.recent_count, f.earlier_days_late // f.earlier_count
    evidence = {
        "recent_payments": f.recent_count,
        "recent_avg_days_late": recent,
        "earlier_payments": f.earlier_count,
        "earlier_avg_days_late": earlier,
    }
    reason = f"pays later than before: {recent} days late on the last {f.recent_count} payments against {earlier}"
    return Sign(WarningSignKind.DAYS_LATE_TREND, evidence, reason)


def small_before_large(f: Features, t: Thresholds) -> Sign | None:
    """Seed 001's "Pagar las facturas pequeñas antes que las grandes": cash is short, the customer pays what it
    can and leaves the larger, older debt open."""
    if f.small_before_large < t.small_before_large:
        return None
    evidence = {
        "payments": f.small_before_large,
        "window_days": WINDOW_DAYS,
        "latest_paid": f.small_paid_number,
        "latest_left_open": f.large_open_number,
    }
    reason = f"paid {f.small_before_large} smaller invoices before larger, older ones in {WINDOW_DAYS} days"
    return Sign(WarningSignKind.SMALL_BEFORE_LARGE, evidence, reason)


def broken_promises(f: Features, t: Thresholds) -> Sign | None:
    if f.broken_promises < t.broken_promises:
        return None
    last = f.last_broken_on.isoformat() if f.last_broken_on else None
    evidence = {"broken": f.broken_promises, "window_days": WINDOW_DAYS, "last_broken_on": last}
    return Sign(WarningSignKind.BROKEN_PROMISES, evidence, f"broke {f.broken_promises} promises in {WINDOW_DAYS} days")


def bad_contacts(f: Features, t: Thresholds) -> Sign | None:
    if len(f.bad_contacts) < t.bad_contacts:
        return None
    evidence = {"invalid": len(f.bad_contacts), "contacts": f.bad_contacts}
    return Sign(WarningSignKind.BAD_CONTACTS, evidence, f"{len(f.bad_contacts)} contacts bounced or invalid")


def growing_overdue(f: Features, t: Thresholds) -> Sign | None:
    """The overdue balance grew at each step (60 days ago < 30 days ago < today) and by at least
    ``overdue_growth_pct`` percent over the 60 days (from nothing: any growth is 100%+)."""
    before, between, now = f.overdue_before, f.overdue_between, f.overdue_now
    if not before < between < now or now * 100 < before * (100 + t.overdue_growth_pct):
        return None
    evidence = {
        "currency": f.currency,
        "overdue_60_days_ago": str(before),
        "overdue_30_days_ago": str(between),
        "overdue_now": str(now),
    }
    reason = f"overdue balance growing: {before} {f.currency} 60 days ago, {between} 30 days ago, {now} now"
    return Sign(WarningSignKind.GROWING_OVERDUE, evidence, reason)


SIGN_RULES = (days_late_trend, small_before_large, broken_promises, bad_contacts, growing_overdue)


def signs_of(f: Features, t: Thresholds) -> list[Sign]:
    """The signs the customer shows, in ``WarningSignKind``'s order."""
    return [sign for rule in SIGN_RULES if (sign := rule(f, t)) is not None]


def risk_level(signs: list[Sign], t: Thresholds) -> tuple[RiskLevel, list[str]]:
    """The computed risk: high with ``for_high_risk`` signs or more, medium with one or more, else low; the
    reasons are the signs' own sentences, in order."""
    if len(signs) >= t.for_high_risk:
        level = RiskLevel.HIGH
    elif signs:
        level = RiskLevel.MEDIUM
    else:
        level = RiskLevel.LOW
    return level, [s.reason for s in signs]
