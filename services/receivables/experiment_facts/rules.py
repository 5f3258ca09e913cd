"""An invoice's part in an experiment's results (issue 19, point 3): counted when due by the end of the period and
open at its start or falling due in it (a payment plan's installments, not the invoices it groups, which a
completed plan closes: the debt counts once); paid within N days when paid no later than N days after max(due date,
start); its days to pay counted from that day (0 when paid before it). Pure: tests/dunning/test_experiments.py."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class InvoiceFact:
    paid_within: bool
    days_to_pay: int | None  # None: not paid


def invoice_fact(due_date: date, closed_on: date | None, paid: bool, start: date, window_days: int) -> InvoiceFact:
    if not paid or closed_on is None:
        return InvoiceFact(False, None)
    days = max(0, (closed_on - max(due_date, start)).days)
    return InvoiceFact(days <= window_days, days)
