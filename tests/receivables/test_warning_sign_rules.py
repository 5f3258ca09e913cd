"""The warning signs' pure rules (``signs/rules.py``) at their edges: thresholds met exactly, integer averages,
growth from nothing, the risk level's steps."""

from datetime import date
from decimal import Decimal

from services.receivables.signs.rules import (
    Features,
    RiskLevel,
    Thresholds,
    bad_contacts,
    days_late_trend,
    growing_overdue,
    risk_level,
    signs_of,
)
from shared.contracts.receivables import WarningSignKind

T = Thresholds()


def test_the_trend_fires_at_exactly_the_increase_and_needs_a_history():
    # recent average 12, earlier 2: exactly 10 more
    at_edge = Features(recent_count=3, recent_days_late=36, earlier_count=2, earlier_days_late=4)
    sign = days_late_trend(at_edge, T)
    assert sign is not None and sign.evidence["recent_avg_days_late"] == 12
    assert (
        days_late_trend(Features(recent_count=3, recent_days_late=35, earlier_count=2, earlier_days_late=4), T) is None
    )
    assert days_late_trend(Features(recent_count=3, recent_days_late=90), T) is None  # nothing before to compare
    assert days_late_trend(Features(recent_count=2, recent_days_late=90, earlier_count=5), T) is None  # too few


def test_the_trend_compares_averages_without_rounding():
    # 31/3 = 10.33 against 0: fires at 10 though the shown average is truncated
    sign = days_late_trend(Features(recent_count=3, recent_days_late=31, earlier_count=1, earlier_days_late=0), T)
    assert sign is not None and sign.reason.startswith("pays later than before: 10 days late")


def test_growing_overdue_needs_each_step_up_and_the_percentage():
    def features(before: str, between: str, now: str) -> Features:
        return Features(
            currency="ARS", overdue_before=Decimal(before), overdue_between=Decimal(between), overdue_now=Decimal(now)
        )

    assert growing_overdue(features("0", "1", "2"), T) is not None  # from nothing
    assert growing_overdue(features("100", "110", "120"), T) is not None  # +20 %: exactly
    assert growing_overdue(features("100", "110", "119.99"), T) is None
    assert growing_overdue(features("100", "130", "125"), T) is None  # not at each step
    assert growing_overdue(features("0", "0", "0"), T) is None


def test_bad_contacts_and_the_risk_levels():
    assert bad_contacts(Features(), T) is None
    many = Features(
        bad_contacts=["email:a@x.example"], broken_promises=1, last_broken_on=date(2026, 5, 1), small_before_large=2
    )
    signs = signs_of(many, T)
    assert [s.sign for s in signs] == [
        WarningSignKind.SMALL_BEFORE_LARGE,
        WarningSignKind.BROKEN_PROMISES,
        WarningSignKind.BAD_CONTACTS,
    ]
    assert risk_level(signs, T) == (RiskLevel.HIGH, [s.reason for s in signs])
    assert risk_level(signs[:1], T)[0] == RiskLevel.MEDIUM
    assert risk_level([], T) == (RiskLevel.LOW, [])
    assert risk_level(signs, Thresholds(for_high_risk=4))[0] == RiskLevel.MEDIUM
