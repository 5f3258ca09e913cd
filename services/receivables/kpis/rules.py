"""KPI definitions as pure functions: aging buckets, DSO by the countback method, collection effectiveness.

The KPI endpoints compute the same figures in set-based SQL (``kpis/repository.py``) over the whole portfolio;
these functions are the reference the SQL is tested against and the place where each definition is written.
"""

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from shared.aging import AGING_BUCKETS, BUCKET_NAMES, aging_bucket  # noqa: F401 (the KPI modules import them here)

ZERO = Decimal(0)
ONE_DAY = timedelta(days=1)


def aging_bucket_sql(days_expression: str) -> str:
    """The same buckets as a SQL CASE over an integer expression (one source for both)."""
    whens = []
    for name, low, high in AGING_BUCKETS:
        conditions = []
        if low is not None:
            conditions.append(f"{days_expression} >= {low}")
        if high is not None:
            conditions.append(f"{days_expression} <= {high}")
        whens.append(f"WHEN {' AND '.join(conditions)} THEN '{name}'")
    return "CASE " + " ".join(whens) + " END"


def months_before(day: date, months: int) -> date:
    """``day`` so many calendar months earlier, its day of the month cut to that month's length (as
    PostgreSQL's ``date - interval 'n months'``: March 31 less one month is February 28)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def countback_months(as_of: date, months: int) -> list[tuple[date, date]]:
    """The months the countback walks, most recent first: month k is (as_of - k months, as_of - (k - 1) months],
    given as (first day, last day)."""
    return [(months_before(as_of, k) + ONE_DAY, months_before(as_of, k - 1)) for k in range(1, months + 1)]


def countback_dso(receivables: Decimal, periods: Sequence[tuple[Decimal, int]]) -> tuple[Decimal, bool]:
    """Days sales outstanding by the countback method.

    ``periods`` are (credit sales, days) from the most recent period backwards. Whole periods are counted while
    the receivables left exceed their sales; the last one counts the fraction of its days that the rest covers.
    Answers (DSO, exhausted): ``exhausted`` is true when the receivables outran every period given (the DSO is
    then a lower bound).
    """
    left = receivables
    days = ZERO
    if left <= 0:
        return ZERO, False
    for sales, period_days in periods:
        if sales <= 0:
            days += period_days
            continue
        if left > sales:
            left -= sales
            days += period_days
        else:
            return days + left / sales * period_days, False
    return days, True


def collection_effectiveness(
    beginning: Decimal, sales: Decimal, ending_total: Decimal, ending_current: Decimal
) -> Decimal | None:
    """CEI = (beginning receivables + credit sales - ending total receivables)
    / (beginning receivables + credit sales - ending current receivables) x 100. None when undefined."""
    collectible = beginning + sales - ending_current
    if collectible == 0:
        return None
    return (beginning + sales - ending_total) / collectible * 100


def receivable_at(
    day: date,
    *,
    issue_date: date,
    closed_on: date | None,
    is_open: bool,
    amount: Decimal,
    open_amount: Decimal,
    paid_by_day: Decimal,
    paid_in_all: Decimal,
) -> Decimal:
    """What an invoice was owed at the end of ``day``, from its state today and its dated payments: nothing before
    it was issued or once it closed; an open invoice owed its open amount plus what was paid after that day; a
    closed one owed its amount less what was paid by that day. CEI's beginning and ending receivables."""
    if issue_date > day or (closed_on is not None and closed_on <= day):
        return ZERO
    if is_open:
        return open_amount + paid_in_all - paid_by_day
    return amount - paid_by_day
