"""KPI definitions as pure functions: aging buckets, DSO by the countback method, collection effectiveness.

The KPI endpoints compute the same figures in set-based SQL (``kpis/repository.py``) over the whole portfolio;
these functions are the reference the SQL is tested against and the place where each definition is written.
"""

from collections.abc import Sequence
from decimal import Decimal

ZERO = Decimal(0)

# (name, first day overdue, last day overdue); "current" is not yet due (days overdue <= 0).
AGING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-120", 91, 120),
    ("120+", 121, None),
)
BUCKET_NAMES = tuple(name for name, _, _ in AGING_BUCKETS)


def aging_bucket(days_overdue: int) -> str:
    for name, low, high in AGING_BUCKETS:
        if (low is None or days_overdue >= low) and (high is None or days_overdue <= high):
            return name
    raise AssertionError("the buckets cover every integer")


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
