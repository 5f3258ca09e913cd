"""Promises to pay (seed 000): kept when the invoice is paid by the promised date plus the tenant's grace days,
broken otherwise. Pure functions; the daily detection applies the same rule in SQL (``promises/repository.py``).
"""

from datetime import date, timedelta
from enum import StrEnum


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"  # the invoice left promise_to_pay another way (dispute, new promise, void...)


def deadline(promised_date: date, grace_days: int) -> date:
    """The last day a payment still keeps the promise."""
    return promised_date + timedelta(days=max(grace_days, 0))


def on_payment(promised_date: date, grace_days: int, paid_on: date) -> PromiseStatus:
    """A promise whose invoice got fully paid on ``paid_on``."""
    return PromiseStatus.KEPT if paid_on <= deadline(promised_date, grace_days) else PromiseStatus.BROKEN


def is_broken(promised_date: date, grace_days: int, today: date, fully_paid: bool) -> bool:
    """Detected on the first day after the deadline when the invoice still owes money."""
    return not fully_paid and today > deadline(promised_date, grace_days)
