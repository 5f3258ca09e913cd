"""Time zones, a tenant's "today" and business days: one definition for every service.

"Today" is the tenant's (or customer's) local date, not the server's. A business day is neither a weekend day
nor a public holiday of the tenant's country (the maintained ``holidays`` library), nor a company holiday.
"""

import calendar
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import holidays

DEFAULT_WEEKEND = frozenset({5, 6})  # Saturday, Sunday


def zone_or_utc(*names: str | None) -> zoneinfo.ZoneInfo:
    """The first of ``names`` that is a known time zone (customer's, then tenant's, say); else UTC."""
    for name in names:
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def local_now(timezone: str | None, now: datetime | None = None) -> datetime:
    """``now`` (aware; default: this instant) on the wall clock of ``timezone``."""
    return (now or datetime.now(UTC)).astimezone(zone_or_utc(timezone))


def local_today(timezone: str | None, now: datetime | None = None) -> date:
    """The local date in ``timezone`` at ``now`` (UTC when the zone is unknown)."""
    return local_now(timezone, now).date()


@lru_cache(maxsize=256)
def _holidays(country: str | None, subdivision: str | None, language: str | None, year: int) -> dict[date, str]:
    if not country:
        return {}
    try:
        table = holidays.country_holidays(country, subdiv=subdivision, years=[year], language=language)
    except (NotImplementedError, KeyError):  # a country or language the library does not know
        try:
            table = holidays.country_holidays(country, subdiv=subdivision, years=[year])
        except (NotImplementedError, KeyError):
            return {}
    return dict(table.items())


@lru_cache(maxsize=256)
def _weekend(country: str | None) -> frozenset[int]:
    try:
        return frozenset(holidays.country_holidays(country).weekend) if country else DEFAULT_WEEKEND
    except (NotImplementedError, KeyError, AttributeError):
        return DEFAULT_WEEKEND


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """A tenant's business days."""

    country: str | None = None
    subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()
    language: str | None = None

    def __post_init__(self) -> None:
        if self.country:
            object.__setattr__(self, "country", self.country.upper())

    def holiday(self, day: date) -> str | None:
        """Why ``day`` is a holiday (company or public), or None; weekends are not holidays."""
        if day in self.extra_holidays:
            return "a company holiday"
        name = _holidays(self.country, self.subdivision, self.language, day.year).get(day)
        if name:
            return f"a public holiday ({name})"
        return None

    def is_holiday(self, day: date) -> bool:
        return self.holiday(day) is not None

    def closed_reason(self, day: date) -> str | None:
        reason = self.holiday(day)
        if reason is None and day.weekday() in _weekend(self.country):
            return "a weekend day"
        return reason

    def is_business_day(self, day: date) -> bool:
        return self.closed_reason(day) is None

    def next_business_day(self, day: date) -> date:
        """The first business day on or after ``day``."""
        for _ in range(370):
            if self.is_business_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no business day within a year")

    def previous_business_day(self, day: date) -> date:
        """The last business day before ``day``."""
        day -= timedelta(days=1)
        for _ in range(370):
            if self.is_business_day(day):
                return day
            day -= timedelta(days=1)
        raise ValueError("no business day within a year")


def future_as_of(as_of: date, today: date) -> str | None:
    """Why a real run (dunning, alarms, promise checks) may not be for ``as_of``, or None. A real run acts on the
    world (sends, breaks promises, marks a period done), so its day must have begun on the tenant's clock; a rehearsal
    of a later day is a test clock's job (a dry run only shows its plan)."""
    if as_of > today:
        return (
            f"is after the tenant's today ({today.isoformat()}): a real run cannot be for a future date; "
            "rehearsals are for test clocks"
        )
    return None


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later, the month's last day when it has no such day (Jan 31 -> Feb 28):
    a payment plan's monthly installments, whoever proposes them."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
