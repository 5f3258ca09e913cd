"""What a debtor may ask for on the page, decided without I/O: the promise's horizon, the call's window, the plan's
limits, the dispute's area, and what an uploaded receipt really is (read from its bytes, never from its name).

Each check answers ``None`` (fine) or a ``FieldError`` naming the form field it is about, so the page shows it next
to that field."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Final

from shared.calendar import add_months


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: str  # a key of the page's words (texts.py), formatted with ``values``
    values: tuple[tuple[str, str], ...] = ()


class DisputeReason(StrEnum):
    """Why the debtor disputes an invoice (seed 004's dissatisfaction and unawareness, made concrete)."""

    PRICE = "price"
    NOT_RECEIVED = "not_received"
    DAMAGED = "damaged"
    WRONG_INVOICE = "wrong_invoice"
    ALREADY_PAID = "already_paid"
    OTHER = "other"


def promise_problem(promised: date, today: date, max_days: int) -> FieldError | None:
    """A promise from today up to ``max_days`` ahead (seed 000: "registrar la fecha de la promesa")."""
    last = today + timedelta(days=max_days)
    if promised < today or promised > last:
        return FieldError(
            "promised_date", "error_promise_range", (("first", today.isoformat()), ("last", last.isoformat()))
        )
    return None


@dataclass(frozen=True, slots=True)
class ContactWindow:
    """When the debtor may be called, in its local time (messaging's quiet hours: seed 002, never call outside the
    allowed hours). ``end`` before ``start`` crosses midnight."""

    start: time
    end: time
    days: frozenset[int]  # ISO weekdays


def within_window(local: datetime, window: ContactWindow | None) -> bool:
    if window is None:
        return True
    moment = local.time()
    if window.start <= window.end:
        return local.isoweekday() in window.days and window.start <= moment < window.end
    if moment >= window.start:  # the evening part: the window opened today
        return local.isoweekday() in window.days
    yesterday = (local - timedelta(days=1)).isoweekday()
    return moment < window.end and yesterday in window.days


def call_problem(local: datetime, now_local: datetime, window: ContactWindow | None) -> FieldError | None:
    """A call in the future (naive local times, the debtor's zone) and inside the contact window."""
    if local <= now_local:
        return FieldError("call_at", "error_call_past")
    if not within_window(local, window):
        assert window is not None
        days = ",".join(str(d) for d in sorted(window.days))
        values = (("start", window.start.strftime("%H:%M")), ("end", window.end.strftime("%H:%M")), ("days", days))
        return FieldError("call_at", "error_call_window", values)
    return None


@dataclass(frozen=True, slots=True)
class PlanRules:
    """The tenant's rules for a plan a debtor may ask for (seed 004: "renegociar la deuda a tres plazos")."""

    max_installments: int
    min_down_payment_percent: Decimal
    min_amount: Decimal | None
    max_amount: Decimal | None


CENT: Final = Decimal("0.01")


def least_down_payment(debt: Decimal, rules: PlanRules) -> Decimal:
    return (debt * rules.min_down_payment_percent / 100).quantize(CENT, ROUND_HALF_UP)


def plan_problem(debt: Decimal, installments: int, down_payment: Decimal, rules: PlanRules) -> FieldError | None:
    """Within the rules, or the first rule it breaks (the debt's limits first: no choice of the debtor helps)."""
    if rules.min_amount is not None and debt < rules.min_amount:
        return FieldError("installments", "error_plan_debt_small", (("amount", str(rules.min_amount)),))
    if rules.max_amount is not None and debt > rules.max_amount:
        return FieldError("installments", "error_plan_debt_large", (("amount", str(rules.max_amount)),))
    if not 2 <= installments <= rules.max_installments:
        return FieldError("installments", "error_plan_installments", (("max", str(rules.max_installments)),))
    least = least_down_payment(debt, rules)
    if down_payment < least:
        return FieldError("down_payment", "error_plan_down_small", (("amount", str(least)),))
    if down_payment >= debt:
        return FieldError("down_payment", "error_plan_down_large", (("amount", str(debt)),))
    return None


def installment_amount(debt: Decimal, down_payment: Decimal, installments: int) -> Decimal:
    """Each installment after the down payment (the last one absorbs the cents)."""
    return ((debt - down_payment) / installments).quantize(CENT, ROUND_HALF_UP)


def first_installment_date(today: date) -> date:
    """A month after ``today`` (the same day, or the month's last when it has fewer days): a plan asked on the
    portal pays monthly from then."""
    return add_months(today, 1)


def plan_request(
    customer_id: uuid.UUID,
    currency: str,
    installments: int,
    first_due_date: date,
    down_payment: Decimal = Decimal(0),
    invoice_ids: Sequence[uuid.UUID] = (),
) -> dict[str, Any]:
    """The proposal the portal sends to receivables' ``POST /v1/payment-plans`` as ``service:portal`` (issue 19): the
    customer's open invoices of ``currency`` (or those it picked) in ``installments`` monthly installments, the down
    payment when it offers one. Receivables decides within the tenant's limits (201, proposed or accepted) or
    refuses (422)."""
    body: dict[str, Any] = {
        "customer_id": str(customer_id),
        "currency": currency,
        "rule": {"count": installments, "first_due_date": first_due_date.isoformat(), "every": "month"},
    }
    if down_payment > 0:
        body["down_payment"] = str(down_payment)
    if invoice_ids:
        body["invoice_ids"] = [str(i) for i in invoice_ids]
    return body


def dispute_area(reason: DisputeReason, areas: dict[str, str]) -> uuid.UUID | None:
    """The area the tenant maps the reason to, else the one it maps ``other`` to, else none (receivables then
    records the dispute without an area)."""
    chosen = areas.get(reason.value) or areas.get(DisputeReason.OTHER.value)
    return uuid.UUID(chosen) if chosen else None


# What an uploaded receipt may be, by its first bytes (never its name or the browser's word).
SIGNATURES: Final = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def receipt_type(head: bytes) -> tuple[str, str] | None:
    """``(content type, extension)`` of a PDF, PNG or JPEG, else None (an .exe renamed .pdf is still an .exe)."""
    return next(((kind, ext) for magic, kind, ext in SIGNATURES if head.startswith(magic)), None)


def receipt_problem(content: bytes, max_bytes: int) -> FieldError | None:
    if not content:
        return FieldError("receipt", "error_receipt_missing")
    if len(content) > max_bytes:
        return FieldError("receipt", "error_receipt_large", (("mb", f"{max_bytes / 1_048_576:.0f}"),))
    if receipt_type(content[:16]) is None:
        return FieldError("receipt", "error_receipt_type")
    return None
