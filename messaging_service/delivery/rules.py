"""The delivery rules: what an attempt's result does to a message, how reports from providers move its state, and
when a message may go (the contact window in the customer's time zone and the frequency cap).

Pure functions, no I/O. A transient error (timeout, 5xx, 429, a 4xx SMTP reply) is retried with exponential
backoff; after the last attempt the message is dead-lettered (failed, kept for an operator to resend).
A permanent error is never retried; when it says the address is bad, the contact is invalidated.

Seed 002 lists "llamar fuera del horario establecido" among what a collector must never do: a message outside the
window is deferred to the next opening, never dropped; the tenant's public and company holidays are outside the
window all day long. A message over the cap is deferred until the window frees a place, so the cap holds and nothing
is lost. A transactional message (the confirmation of what the customer did on the portal, issue 17) keeps the
window but neither waits for the cap nor counts against it: the customer asked for it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from shared.calendar import BusinessCalendar, zone_or_utc
from shared.contracts.messaging import CommunicationKind, MessageState

QUEUED, DEFERRED, SENDING, SENT, DELIVERED, READ, FAILED, BOUNCED = (
    MessageState.QUEUED,
    MessageState.DEFERRED,
    MessageState.SENDING,
    MessageState.SENT,
    MessageState.DELIVERED,
    MessageState.READ,
    MessageState.FAILED,
    MessageState.BOUNCED,
)
UNCAPPED_KINDS = frozenset({CommunicationKind.CONFIRMATION})
TERMINAL_FAILURES = frozenset({FAILED, BOUNCED})
RESENDABLE = TERMINAL_FAILURES
# How far a message has come: a report never moves a message back (callbacks arrive out of order).
PROGRESS: dict[str, int] = {QUEUED: 0, DEFERRED: 0, SENDING: 1, SENT: 2, DELIVERED: 3, READ: 4}


class Outcome(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient_error"
    PERMANENT = "permanent_error"


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a channel adapter says about one attempt."""

    outcome: Outcome
    provider_message_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    invalid_contact: bool = False  # the address itself is bad: invalidate it (dunning falls back)
    opted_out: bool = False  # the provider says the recipient unsubscribed (e.g. Twilio 21610)
    bounced: bool = False  # an email refused for its recipient (hard bounce)

    @classmethod
    def sent(cls, provider_message_id: str | None) -> "SendResult":
        return cls(Outcome.SENT, provider_message_id)

    @classmethod
    def transient(cls, code: str, error: str) -> "SendResult":
        return cls(Outcome.TRANSIENT, error_code=code, error=error[:2000])

    @classmethod
    def permanent(
        cls, code: str, error: str, *, invalid_contact: bool = False, opted_out: bool = False, bounced: bool = False
    ) -> "SendResult":
        return cls(
            Outcome.PERMANENT,
            error_code=code,
            error=error[:2000],
            invalid_contact=invalid_contact,
            opted_out=opted_out,
            bounced=bounced,
        )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 60.0
    max_seconds: float = 3600.0

    def delay(self, attempt: int) -> timedelta:
        """Exponential backoff after attempt number ``attempt`` (1-based): base, 2x base, 4x base, ... capped."""
        return timedelta(seconds=min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True, slots=True)
class AfterAttempt:
    state: MessageState
    retry_at: datetime | None = None
    dead_lettered: bool = False
    error_code: str | None = None
    error: str | None = None


def after_attempt(result: SendResult, attempt: int, policy: RetryPolicy, now: datetime) -> AfterAttempt:
    """The message's next state after attempt number ``attempt`` ended with ``result``."""
    if result.outcome is Outcome.SENT:
        return AfterAttempt(SENT)
    if result.outcome is Outcome.PERMANENT:
        return AfterAttempt(BOUNCED if result.bounced else FAILED, error_code=result.error_code, error=result.error)
    if attempt >= policy.max_attempts:
        return AfterAttempt(
            FAILED,
            dead_lettered=True,
            error_code=result.error_code,
            error=f"dead-lettered after {attempt} attempts: {result.error}",
        )
    return AfterAttempt(QUEUED, retry_at=now + policy.delay(attempt), error_code=result.error_code, error=result.error)


def apply_report(current: str, reported: str) -> MessageState | None:
    """The state a provider's report moves a message to, or None when it changes nothing.

    Reports only move forward (``read`` after ``delivered`` is kept even when ``delivered`` arrives last);
    a failure after delivery is ignored; a failed or bounced message stays so.
    """
    if current in TERMINAL_FAILURES:
        return None
    if reported in TERMINAL_FAILURES:
        return MessageState(reported) if PROGRESS.get(current, 0) < PROGRESS[DELIVERED] else None
    if reported not in PROGRESS or PROGRESS[reported] <= PROGRESS.get(current, 0):
        return None
    return MessageState(reported)


# Provider status words -> our states (None: an intermediate step we do not record).
TWILIO_STATUSES: dict[str, MessageState | None] = {
    "accepted": None,
    "queued": None,
    "scheduled": None,
    "sending": None,
    "sent": SENT,
    "delivered": DELIVERED,
    "read": READ,
    "undelivered": FAILED,
    "failed": FAILED,
    "canceled": FAILED,
}
WHATSAPP_STATUSES: dict[str, MessageState | None] = {
    "sent": SENT,
    "delivered": DELIVERED,
    "read": READ,
    "failed": FAILED,
    "deleted": None,
}
# Twilio error codes in a status callback that say the number cannot receive messages.
TWILIO_INVALID_NUMBER_CODES = frozenset({"21211", "21612", "21614", "30003", "30005", "30006"})
TWILIO_OPT_OUT_CODES = frozenset({"21610"})
# WhatsApp Cloud API error codes that say the number is not a WhatsApp user / cannot be reached.
WHATSAPP_INVALID_NUMBER_CODES = frozenset({"131026", "131030", "131021"})
WHATSAPP_TRANSIENT_CODES = frozenset({"130429", "131048", "131056", "131000", "133004", "2", "4", "80007"})


# ---- when a message may go -------------------------------------------------------------------------------------

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


def parse_window(value: Mapping[str, Any] | None) -> ContactWindow | None:
    """``{"start": "08:00", "end": "20:00", "days": [1, 2, 3, 4, 5, 6]}`` (as stored in settings)."""
    if not value:
        return None
    return ContactWindow(
        start=time.fromisoformat(value["start"]),
        end=time.fromisoformat(value["end"]),
        days=frozenset(value.get("days") or ALL_DAYS),
    )


def parse_cap(value: Mapping[str, Any] | None) -> FrequencyCap | None:
    """``{"max_messages": 3, "window_days": 7}`` (as stored in settings)."""
    if not value:
        return None
    return FrequencyCap(int(value["max_messages"]), timedelta(days=float(value["window_days"])))


def zone(name: str | None, fallback: str | None = None) -> ZoneInfo:
    """The customer's zone, else the tenant's, else UTC; a name the system does not know falls back too."""
    return zone_or_utc(name, fallback)
