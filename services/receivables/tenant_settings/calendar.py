"""Business days and "today" of a tenant, as receivables words them, over ``shared.calendar``.

A task "for the next business day" (seed 000: call again later or the next day) must not land on a weekend or a
national holiday of the tenant's country; "today" is the tenant's local date, not the server's.
"""

from datetime import date, datetime, timedelta

from shared.calendar import BusinessCalendar, local_today


def tenant_today(timezone: str | None, now: datetime | None = None) -> date:
    """The tenant's local date at ``now`` (UTC when the tenant has no timezone yet)."""
    return local_today(timezone, now)


def is_business_day(day: date, country: str | None) -> bool:
    return BusinessCalendar(country).is_business_day(day)


def next_business_day(day: date, country: str | None) -> date:
    """The first business day strictly after ``day``."""
    return BusinessCalendar(country).next_business_day(day + timedelta(days=1))


def on_or_after_business_day(day: date, country: str | None) -> date:
    """``day`` itself when it is a business day, else the next one."""
    return BusinessCalendar(country).next_business_day(day)


def follow_up_date(today: date, days: int, country: str | None) -> date:
    """``days`` calendar days from ``today``, moved forward to a business day (no-commitment follow-up task)."""
    return on_or_after_business_day(today + timedelta(days=days), country)
