"""Business days and "today" of a tenant: pure functions (the tenant's country holidays, its weekend, its timezone).

A task "for the next business day" (seed 000: call again later or the next day) must not land on a weekend or a
national holiday of the tenant's country; "today" is the tenant's local date, not the server's.
"""

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import holidays

SATURDAY, SUNDAY = 5, 6
DEFAULT_WEEKEND = frozenset({SATURDAY, SUNDAY})


def tenant_today(timezone: str | None, now: datetime | None = None) -> date:
    """The tenant's local date at ``now`` (UTC when the tenant has no timezone yet)."""
    now = now or datetime.now(UTC)
    try:
        zone = zoneinfo.ZoneInfo(timezone) if timezone else UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return now.astimezone(zone).date()


@lru_cache(maxsize=256)
def _country_calendar(country: str | None, year: int) -> tuple[frozenset[date], frozenset[int]]:
    """Holidays of one year and the weekend days of ``country`` (Sat/Sun where the library does not know it)."""
    if not country:
        return frozenset(), DEFAULT_WEEKEND
    try:
        calendar = holidays.country_holidays(country.upper(), years=year)
    except NotImplementedError:  # a country the holidays library does not cover
        return frozenset(), DEFAULT_WEEKEND
    weekend = frozenset(getattr(calendar, "weekend", DEFAULT_WEEKEND)) or DEFAULT_WEEKEND
    return frozenset(calendar.keys()), weekend


def is_business_day(day: date, country: str | None) -> bool:
    holidays_of_year, weekend = _country_calendar(country, day.year)
    return day.weekday() not in weekend and day not in holidays_of_year


def next_business_day(day: date, country: str | None) -> date:
    """The first business day strictly after ``day``."""
    candidate = day + timedelta(days=1)
    while not is_business_day(candidate, country):
        candidate += timedelta(days=1)
    return candidate


def on_or_after_business_day(day: date, country: str | None) -> date:
    """``day`` itself when it is a business day, else the next one."""
    return day if is_business_day(day, country) else next_business_day(day, country)


def follow_up_date(today: date, days: int, country: str | None) -> date:
    """``days`` calendar days from ``today``, moved forward to a business day (no-commitment follow-up task)."""
    return on_or_after_business_day(today + timedelta(days=days), country)
