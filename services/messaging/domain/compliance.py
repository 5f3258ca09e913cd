"""When a message may go: the contact window in the customer's time zone and the frequency cap.

Pure functions, no I/O. Seed 002 lists "llamar fuera del horario establecido" among what a collector must
never do: a message outside the window is deferred to the next opening, never dropped; the tenant's public and
company holidays are outside the window all day long. A message over the cap is deferred until the window frees
a place, so the cap holds and nothing is lost.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from shared.calendar import BusinessCalendar, zone_or_utc

ALL_DAYS = frozenset(range(1, 8))


@dataclass(frozen=True, slots=True)
class ContactWindow:
    """Local hours when messages may go out, on the given ISO weekdays (1 = Monday) when the window opens.

    ``end`` before ``start`` is a window across midnight; ``end`` equal to ``start`` is a whole day.
    """

    start: time
    end: time
    days: frozenset[int] = ALL_DAYS


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    """At most ``max_messages`` per customer and channel within any ``window``."""

    max_messages: int
    window: timedelta


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A local wall time as a UTC instant (a time skipped by a DST change maps past the gap)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _openings(day: date, window: ContactWindow, tz: ZoneInfo) -> tuple[datetime, datetime]:
    opens = _local(day, window.start, tz)
    end_day = day + timedelta(days=1) if window.end <= window.start else day
    return opens, _local(end_day, window.end, tz)


# How far ahead an opening is looked for: past a year of holidays and closed days.
HORIZON_DAYS = 400


def _past_holidays(start: datetime, tz: ZoneInfo, calendar: BusinessCalendar | None) -> datetime:
    """``start``, or the local midnight after the run of holidays it falls in (the customer's local date)."""
    if calendar is None:
        return start
    day = start.astimezone(tz).date()
    if not calendar.is_holiday(day):
        return start
    for _ in range(HORIZON_DAYS):
        day += timedelta(days=1)
        if not calendar.is_holiday(day):
            return _local(day, time(0), tz)
    raise ValueError("no day without a holiday within the horizon")


def next_opening(
    at: datetime, tz: ZoneInfo, window: ContactWindow | None, calendar: BusinessCalendar | None = None
) -> datetime | None:
    """None when ``at`` is inside the window; else the instant the window opens next (UTC).

    With a ``calendar``, the tenant's public and company holidays close the window for the whole local day (the
    customer's zone decides the date): a message never goes out on one. Without a window nothing is closed.
    """
    if window is None or not window.days:
        return None
    first = at.astimezone(tz).date() - timedelta(days=1)  # yesterday's window may run past midnight
    for offset in range(HORIZON_DAYS):
        day = first + timedelta(days=offset)
        if day.isoweekday() not in window.days:
            continue
        opens, closes = _openings(day, window, tz)
        if closes <= at:
            continue
        start = _past_holidays(max(opens, at), tz, calendar)
        if start < closes:
            return None if start == at else start
    return None


def cap_release(at: datetime, scheduled: Iterable[datetime], cap: FrequencyCap | None) -> datetime:
    """The earliest instant from ``at`` when one more message keeps the cap.

    Every message of the customer and channel scheduled after ``t - window`` counts, later ones too (a deferred
    message still takes its place), so a batch of messages for one customer spreads out instead of piling up.
    """
    if cap is None or cap.max_messages <= 0:
        return at
    times = sorted(scheduled)
    t = at
    while True:
        inside = [s for s in times if s > t - cap.window]
        if len(inside) < cap.max_messages:
            return t
        t = inside[len(inside) - cap.max_messages] + cap.window


@dataclass(frozen=True, slots=True)
class Slot:
    at: datetime
    reason: str | None  # None: now; deferred for "quiet_hours", a "holiday" or the "frequency_cap"

    @property
    def deferred(self) -> bool:
        return self.reason is not None


def schedule(
    now: datetime,
    tz: ZoneInfo,
    window: ContactWindow | None,
    cap: FrequencyCap | None = None,
    scheduled: Iterable[datetime] = (),
    calendar: BusinessCalendar | None = None,
) -> Slot:
    """When a message accepted ``now`` goes out. The cap only loosens as time passes, so applying the window
    (closed on the ``calendar``'s holidays) after the cap keeps both."""
    t = cap_release(now, scheduled, cap)
    reason = "frequency_cap" if t > now else None
    opening = next_opening(t, tz, window, calendar)
    if opening is not None:
        # Inside the hours on a holiday: "holiday"; outside them (the holiday may make the wait longer): "quiet_hours".
        closed_for = "holiday" if next_opening(t, tz, window) is None else "quiet_hours"
        t = opening
        reason = reason or closed_for
    return Slot(t, reason)


def parse_window(value: dict | None) -> ContactWindow | None:
    """``{"start": "08:00", "end": "20:00", "days": [1, 2, 3, 4, 5, 6]}`` (as stored in settings)."""
    if not value:
        return None
    return ContactWindow(
        start=time.fromisoformat(value["start"]),
        end=time.fromisoformat(value["end"]),
        days=frozenset(value.get("days") or ALL_DAYS),
    )


def parse_cap(value: dict | None) -> FrequencyCap | None:
    """``{"max_messages": 3, "window_days": 7}`` (as stored in settings)."""
    if not value:
        return None
    return FrequencyCap(int(value["max_messages"]), timedelta(days=float(value["window_days"])))


def zone(name: str | None, fallback: str | None = None) -> ZoneInfo:
    """The customer's zone, else the tenant's, else UTC; a name the system does not know falls back too."""
    return zone_or_utc(name, fallback)


@lru_cache(maxsize=1024)
def _calendar(country: str | None, subdivision: str | None, company_holidays: frozenset[date]) -> BusinessCalendar:
    return BusinessCalendar(country, subdivision, company_holidays)


def tenant_calendar(tenant: Any) -> BusinessCalendar:
    """The holidays a tenant's messages keep off: its country's (and subdivision's) public holidays, from the
    gateway, and its company holidays, from dunning's settings (``dunning.calendar_changed``)."""
    return _calendar(tenant.country, tenant.holiday_subdivision, frozenset(tenant.company_holidays or ()))
