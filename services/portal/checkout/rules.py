"""Pure decisions about paying online: is a notification really signed by the provider, what does a payment's
status mean for us, which invoices one checkout may charge, and what a payment does to its checkout. No I/O: the
caller passes the headers, the secret, the time and the statement's lines.

Only a payment fetched from the provider is trusted (``client.fetch_payment``); a verified notification only says
"go and fetch payment N".
"""

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

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


class ChoiceProblem(StrEnum):
    """Why the invoices posted to the pay form cannot make one checkout (the form says it next to the field)."""

    NONE_CHOSEN = "none_chosen"
    NOT_PAYABLE = "not_payable"  # not one of the customer's open, demanded invoices (never trust the form's ids)
    MIXED_CURRENCIES = "mixed_currencies"  # one checkout charges one currency


@dataclass(frozen=True)
class Choice:
    """The invoices of one checkout, in the statement's order, with what is paid for each."""

    lines: tuple[dict[str, Any], ...]
    currency: str

    @property
    def amount(self) -> Decimal:
        return sum((Decimal(str(line["open_amount"])) for line in self.lines), Decimal(0))


def payable_lines(statement_lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statement's lines a debtor may pay online: invoices (not credit notes) with an open amount. A promise
    is kept by paying, and a disputed invoice may be paid all the same (seed 000's statuses pause reminders, not
    payments); only an invoice whose payment was already reported waits for that payment to be applied, so it is
    not paid twice."""
    return [
        line
        for line in statement_lines
        if line.get("kind", "invoice") != "credit_note"
        and line.get("status") != "payment_reported"
        and Decimal(str(line["open_amount"])) > 0
    ]


def choose(payable: Sequence[dict[str, Any]], posted_ids: Iterable[str]) -> Choice | ChoiceProblem:
    """The checkout for the ids a form posted, or why there is none."""
    wanted = {posted.strip() for posted in posted_ids if posted.strip()}
    if not wanted:
        return ChoiceProblem.NONE_CHOSEN
    by_id = {str(line["invoice_id"]): line for line in payable}
    if not wanted <= by_id.keys():
        return ChoiceProblem.NOT_PAYABLE
    lines = tuple(line for line in payable if str(line["invoice_id"]) in wanted)
    currencies = {str(line["currency"]) for line in lines}
    if len(currencies) > 1:
        return ChoiceProblem.MIXED_CURRENCIES
    return Choice(lines=lines, currency=currencies.pop())


def shown_state(state: str) -> str:
    """What the return page says: a checkout nobody has paid yet is still pending for the debtor."""
    return "pending" if state == "created" else state


class Step(StrEnum):
    """What a fetched payment does to its checkout."""

    RECORD = "record"  # a payment in receivables allocated to the chosen invoices; the checkout is paid
    REVERSE = "reverse"  # the payment in receivables reversed; the checkout is reversed
    PENDING = "pending"
    FAILED = "failed"
    KEEP = "keep"  # nothing changes (a repeated notification, another attempt after the checkout was settled)


def next_step(state: str, paid_by: str | None, payment_id: str, outcome: PaymentOutcome) -> Step:
    """The step for a payment of the checkout: ``state`` is the checkout's, ``paid_by`` the provider's id of the
    payment it last heard of. Once paid, only that payment moves it (to reversed); a second attempt on the same
    preference, rejected after the first was approved, changes nothing. Never two payments in receivables."""
    settled = state in ("paid", "reversed")
    if settled and paid_by != payment_id:
        return Step.KEEP
    if outcome is PaymentOutcome.PAID:
        return Step.KEEP if settled else Step.RECORD
    if outcome is PaymentOutcome.REVERSED:
        if state == "paid":
            return Step.REVERSE
        return Step.KEEP if state == "reversed" else Step.FAILED
    if settled:
        return Step.KEEP
    return Step.PENDING if outcome is PaymentOutcome.PENDING else Step.FAILED
