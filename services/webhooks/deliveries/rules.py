"""Delivery decisions (pure): when to try again, when to give up, when an endpoint is disabled, what is sent."""

from datetime import datetime, timedelta
from typing import Any

import orjson

RESPONSE_EXCERPT_BYTES = 1024


def retry_delay(attempts_made: int, schedule: list[float]) -> float | None:
    """Seconds to wait after the ``attempts_made``-th failed attempt, or None: give up (abandoned)."""
    if attempts_made < 1 or attempts_made > len(schedule):
        return None
    return schedule[attempts_made - 1]


def succeeded(status_code: int | None) -> bool:
    """2xx is success; any other status (a redirect is not followed) or no answer is a failed attempt."""
    return status_code is not None and 200 <= status_code < 300


def gone(status_code: int | None) -> bool:
    """410 Gone: the receiver says the endpoint no longer exists; it is disabled at once (Standard Webhooks'
    advice), not retried for days."""
    return status_code == 410


def after_attempt(attempts_made: int, status_code: int | None, schedule: list[float]) -> tuple[str, float | None]:
    """The delivery's state after its ``attempts_made``-th attempt answered ``status_code`` (None: no answer),
    and the seconds until the next attempt when there is one."""
    if succeeded(status_code):
        return "succeeded", None
    if gone(status_code):
        return "failed", None
    delay = retry_delay(attempts_made, schedule)
    return ("abandoned", None) if delay is None else ("pending", delay)


def should_disable(failing_since: datetime | None, now: datetime, disable_after_days: int) -> bool:
    """An endpoint that has had no success for ``disable_after_days`` while its attempts keep failing."""
    return failing_since is not None and now - failing_since >= timedelta(days=disable_after_days)


def body(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> bytes:
    """The JSON body Standard Webhooks describes: ``{"type", "timestamp", "data"}``."""
    return orjson.dumps({"type": event_type, "timestamp": occurred_at.isoformat(), "data": data})


def signature_header(signatures: list[str]) -> str:
    """``webhook-signature``: every valid secret's ``v1,<sig>``, space separated (during a rotation's overlap
    the receiver may hold either secret)."""
    return " ".join(signatures)


def excerpt(content: bytes) -> str:
    """The first KB of a response body, as text (for the delivery log)."""
    return content[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_BYTES]
