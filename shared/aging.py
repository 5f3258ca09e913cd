"""Aging buckets of open invoices by days overdue: one definition for the KPIs and every statement."""

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
