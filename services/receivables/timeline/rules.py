"""When a record happened (issue 15): outcomes, notes and tasks may be back-dated, never put in the future.

A collector logging yesterday's call records it as yesterday (``occurred_at``); every rule then reads that moment
instead of "now": the promise's horizon, the follow-up's due date, the timeline's order, the KPIs' periods. "Now"
is the tenant's clock (a sandbox tenant's test clock), so a calendar replayed months away from today takes the
records of its own days. Pure: the caller passes the tenant's now.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from services.receivables.invoices.rules import FieldInvalid

# A device's clock a little ahead of ours is not a record from the future: it is taken as "now".
CLOCK_SKEW = timedelta(minutes=2)


def occurred_at(given: datetime | None, now: datetime, field: str = "occurred_at") -> datetime:
    """The moment a record happened: ``given`` (aware), by default ``now``; refused when in the future."""
    if given is None:
        return now
    if given > now + CLOCK_SKEW:
        raise FieldInvalid(field, f"cannot be in the future (the tenant's clock says {now.isoformat()})")
    return min(given, now)


def check_not_before_issue(day: date, invoices: Iterable[tuple[date, str]], field: str = "occurred_at") -> None:
    """A record about invoices cannot be older than they are: ``day`` (the record's local date) on or after each
    invoice's issue date (``(issue_date, number)`` pairs)."""
    for issue_date, number in invoices:
        if day < issue_date:
            raise FieldInvalid(
                field, f"is before invoice {number} existed (issued {issue_date.isoformat()}, record of {day})"
            )
