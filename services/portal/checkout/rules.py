"""Pure decisions about the payment provider's messages: is a notification really signed by it, and what does a
payment's status mean for us. No I/O: the caller passes the headers, the secret and the time.

Only a payment fetched from the provider is trusted (``client.fetch_payment``); a verified notification only says
"go and fetch payment N".
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

DEFAULT_MAX_AGE: Final = timedelta(minutes=5)
# A ts at or above this is in milliseconds (Mercado Pago has sent both); in seconds it would be the year 33658.
_MILLISECONDS_FROM: Final = 10**12


class SignatureCheck(StrEnum):
    """The verdict on a notification's ``x-signature``: only ``VALID`` may be acted on; the others say why not."""

    VALID = "valid"
    MALFORMED = "malformed"  # missing header, missing or repeated ts/v1, ids that cannot be part of a manifest
    MISMATCH = "mismatch"  # not signed with our secret over this id, request id and ts
    STALE = "stale"  # signed too long ago (a replay)
    FUTURE = "future"  # signed further ahead of our clock than the allowed age


class PaymentOutcome(StrEnum):
    """What a payment means to the debtor's invoices."""

    PAID = "paid"
    PENDING = "pending"
    FAILED = "failed"
    REVERSED = "reversed"


MERCADO_PAGO_OUTCOMES: Final[dict[str, PaymentOutcome]] = {
    "approved": PaymentOutcome.PAID,
    "authorized": PaymentOutcome.PAID,
    "pending": PaymentOutcome.PENDING,
    "in_process": PaymentOutcome.PENDING,
    "rejected": PaymentOutcome.FAILED,
    "cancelled": PaymentOutcome.FAILED,
    "refunded": PaymentOutcome.REVERSED,
    "charged_back": PaymentOutcome.REVERSED,
}


def payment_outcome(status: str) -> PaymentOutcome | None:
    """Our outcome for a Mercado Pago payment status; None for a status we do not know (act on nothing)."""
    return MERCADO_PAGO_OUTCOMES.get(status)


@dataclass(frozen=True)
class SignatureHeader:
    """The parts of ``x-signature: ts=<unix ts>,v1=<hex>``; ``ts`` is kept as sent, since the manifest uses it so."""

    ts: str
    v1: str

    @property
    def signed_at(self) -> datetime:
        seconds = int(self.ts) / 1000 if int(self.ts) >= _MILLISECONDS_FROM else int(self.ts)
        return datetime.fromtimestamp(seconds, UTC)


def parse_signature_header(header: str) -> SignatureHeader | None:
    """``ts=...,v1=...`` (any order, spaces allowed, other keys ignored); None when ts or v1 is missing, repeated
    or not of its form (ts: digits; v1: 64 hex digits)."""
    parts: dict[str, str] = {}
    for part in header.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            return None
        if key in parts:
            return None
        parts[key] = value
    ts, v1 = parts.get("ts", ""), parts.get("v1", "").lower()
    if not (ts.isascii() and ts.isdigit() and len(ts) <= 16):
        return None
    if len(v1) != 64 or any(c not in "0123456789abcdef" for c in v1):
        return None
    return SignatureHeader(ts=ts, v1=v1)


def signature_manifest(data_id: str, request_id: str, ts: str) -> str:
    """What Mercado Pago signs: ``id:<data.id>;request-id:<x-request-id>;ts:<ts>;``."""
    return f"id:{data_id};request-id:{request_id};ts:{ts};"


def _fits_manifest(value: str) -> bool:
    """A ``;`` inside an id would let two different (id, request id) pairs share one manifest."""
    return bool(value) and ";" not in value


def verify_signature(
    *,
    header: str | None,
    request_id: str | None,
    data_id: str,
    secret: str,
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> SignatureCheck:
    """Check a notification's ``x-signature`` against our webhook secret, the notification's ``data.id`` (from the
    query string) and its ``x-request-id`` header, in constant time; refuse a ts further than ``max_age`` from
    ``now`` (an aware datetime) on either side."""
    if not header or request_id is None or not secret:
        return SignatureCheck.MALFORMED
    parsed = parse_signature_header(header)
    if parsed is None or not _fits_manifest(data_id) or not _fits_manifest(request_id):
        return SignatureCheck.MALFORMED
    manifest = signature_manifest(data_id, request_id, parsed.ts)
    expected = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parsed.v1):
        return SignatureCheck.MISMATCH
    try:
        signed_at = parsed.signed_at
    except (OverflowError, OSError, ValueError):
        return SignatureCheck.MALFORMED
    if now - signed_at > max_age:
        return SignatureCheck.STALE
    if signed_at - now > max_age:
        return SignatureCheck.FUTURE
    return SignatureCheck.VALID
