"""The decisions of people's sessions: why a refresh token is refused, how long failed logins wait, when they
alarm the tenant's admins (pure: no I/O)."""

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoredToken:
    spent_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime


def refusal(stored: StoredToken | None, now: datetime) -> tuple[str, bool]:
    """Why a token that could not be spent is refused, and whether its family must be revoked (a reuse)."""
    if stored is None:
        return "The refresh token is not valid", False
    if stored.revoked_at is not None:
        return "The refresh token was revoked: log in again", False
    if stored.spent_at is not None:
        return "The refresh token was already used: every token of this login is revoked, log in again", True
    if stored.expires_at <= now:
        return "The refresh token has expired: log in again", False
    return "The refresh token is not valid", False


def backoff_seconds(failures: int, free: int, base: float, cap: float) -> float:
    """The wait after ``failures`` failed attempts: none below ``free``, then base, 2 base, 4 base ... up to cap."""
    if failures < free:
        return 0.0
    exponent = failures - free
    if exponent >= 64:  # 2**64 times any base is past any cap
        return cap
    return float(min(cap, base * 2**exponent))


def alarm_due(attempts: int, threshold: int) -> bool:
    """A failed attempt at or past ``threshold`` in the window alarms the tenant's admins (once: see
    ``LoginThrottle.first_alarm``)."""
    return attempts >= threshold


def backoff_schedule_ms(free: int, base: float, cap: float) -> list[int]:
    """The waits after free, free + 1 ... failures in ms, up to the first capped one (which serves all after)."""
    schedule: list[int] = []
    failures = free
    while True:
        wait = backoff_seconds(failures, free, base, cap)
        schedule.append(max(1, math.ceil(wait * 1000)))
        if wait >= cap or len(schedule) >= 64:
            return schedule
        failures += 1
