"""Which instants an advance of a test clock stops at (pure: no I/O)."""

from datetime import datetime, timedelta

DAY = timedelta(days=1)


def advance_target(current: datetime, to: datetime | None, days: int | None) -> datetime:
    """Where the clock goes: ``to``, or ``days`` whole days after ``current``."""
    if to is not None:
        return to
    assert days is not None
    return current + days * DAY


def advance_steps(current: datetime, target: datetime) -> list[datetime]:
    """The instants the clock stops at, in order: ``current`` itself (its day's work may not have run: a clock just
    set), then every whole day after it at the same time of day, then ``target`` when it is not one of them. Each
    stop runs what its day would have run by that instant (dunning's run once its run hour has come, ...)."""
    steps = [current]
    while steps[-1] + DAY < target:
        steps.append(steps[-1] + DAY)
    if target > current:
        steps.append(target)
    return steps
