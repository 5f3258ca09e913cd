"""The invoice status machine (seed 000): which change is allowed, and what a payment or the ERP does to a status.

Pure functions; every service that changes a status asks here first. Collectors move an invoice between the
open statuses (``normal`` and the three that pause reminders); only money makes it ``paid``; the closed
statuses are final for people (a payment can still settle a written-off invoice).
"""

import uuid
from dataclasses import dataclass
from datetime import date

from shared.contracts.common import OPEN_STATUSES, InvoiceStatus

S = InvoiceStatus

# The three statuses that pause automatic reminders (seed 000); re-entering them updates their date or area.
PAUSED = frozenset({S.PROMISE_TO_PAY, S.PAYMENT_REPORTED, S.DISPUTE})
CLOSED = frozenset({S.PAID, S.WRITTEN_OFF, S.VOID})


@dataclass(frozen=True, slots=True)
class StatusChange:
    invoice_id: uuid.UUID
    status: InvoiceStatus
    promised_date: date | None = None
    reported_date: date | None = None
    dispute_area_id: uuid.UUID | None = None


# Changes a person (or an outcome) may make.
MANUAL_TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    S.NORMAL: frozenset({S.PROMISE_TO_PAY, S.PAYMENT_REPORTED, S.DISPUTE, S.WRITTEN_OFF, S.VOID}),
    S.PROMISE_TO_PAY: frozenset({S.NORMAL, S.PROMISE_TO_PAY, S.PAYMENT_REPORTED, S.DISPUTE, S.WRITTEN_OFF, S.VOID}),
    S.PAYMENT_REPORTED: frozenset({S.NORMAL, S.PROMISE_TO_PAY, S.PAYMENT_REPORTED, S.DISPUTE, S.WRITTEN_OFF, S.VOID}),
    S.DISPUTE: frozenset({S.NORMAL, S.PROMISE_TO_PAY, S.PAYMENT_REPORTED, S.DISPUTE, S.WRITTEN_OFF, S.VOID}),
    S.PAID: frozenset(),
    S.WRITTEN_OFF: frozenset(),
    S.VOID: frozenset(),
    # issue 19: only its plan moves it (accepted, completed, broken, cancelled: ``plans/``)
    S.IN_PLAN: frozenset(),
}


class TransitionRefused(ValueError):
    """The change is not allowed from the current status (the API answers 409)."""


def check_manual_transition(current: InvoiceStatus | str, target: InvoiceStatus | str) -> None:
    current, target = S(current), S(target)
    if target == S.PAID:
        raise TransitionRefused("An invoice becomes paid only through payments that cover its open amount")
    if target not in MANUAL_TRANSITIONS[current]:
        if current in CLOSED:
            raise TransitionRefused(f"The invoice is {current.value}: its status can no longer change")
        if current == S.IN_PLAN:
            raise TransitionRefused("The invoice is in a payment plan: its installments carry the debt")
        raise TransitionRefused(f"An invoice cannot go from {current.value} to {target.value}")


def is_allowed(current: InvoiceStatus | str, target: InvoiceStatus | str) -> bool:
    try:
        check_manual_transition(current, target)
    except TransitionRefused:
        return False
    return True


def required_detail(target: InvoiceStatus | str) -> str | None:
    """The field a change into ``target`` needs: the promised date, the reported date or the dispute area."""
    return {
        S.PROMISE_TO_PAY: "promised_date",
        S.PAYMENT_REPORTED: "reported_date",
        S.DISPUTE: "dispute_area_id",
    }.get(S(target))


def after_payment(current: InvoiceStatus | str, open_amount_after: object) -> InvoiceStatus:
    """The status once a payment was applied: fully paid is ``paid`` whatever the status; a payment settles
    ``payment_reported`` (what is left, if anything, is owed again: ``normal``); other statuses stay."""
    current = S(current)
    if open_amount_after == 0:
        return S.PAID
    if current == S.PAYMENT_REPORTED:
        return S.NORMAL
    return current


def after_reversal(current: InvoiceStatus | str, open_amount_after: object) -> InvoiceStatus:
    """A reversed payment gives the money back to the invoice: a paid invoice owes again and is ``normal``."""
    current = S(current)
    if current == S.PAID and open_amount_after != 0:
        return S.NORMAL
    return current


def after_ingest(current: InvoiceStatus | str | None, requested: str | None, open_amount: object) -> InvoiceStatus:
    """The status of an invoice the ERP sent (``current`` is None for a new invoice).

    ``requested`` is the ERP's ``status``: ``void`` or ``written_off`` close the invoice, ``open`` reopens a
    closed one, nothing keeps what the collectors decided. A zero open amount means paid; a paid invoice the
    ERP shows as owing again is ``normal``. The ingestion SQL (``ingest.sql``) implements exactly this rule.
    """
    if requested in (S.VOID, S.WRITTEN_OFF):
        return S(requested)
    current_status = S(current) if current else None
    if open_amount == 0:
        if current_status in (S.VOID, S.WRITTEN_OFF) and requested != "open":
            return current_status
        return S.PAID
    if current_status is None:
        return S.NORMAL
    if current_status == S.PAID or (current_status in (S.VOID, S.WRITTEN_OFF) and requested == "open"):
        return S.NORMAL
    return current_status


def after_ingest_sql(current: str, requested: str, open_amount: str) -> str:
    """``after_ingest`` as a SQL expression over three SQL expressions (``current`` NULL for a new invoice).
    ``tests/receivables/test_status_rules.py`` checks both agree on every combination."""
    return (
        f"CASE WHEN {requested} IN ('void', 'written_off') THEN {requested} "
        f"WHEN {open_amount} = 0 THEN CASE WHEN {current} IN ('void', 'written_off') "
        f"AND {requested} IS DISTINCT FROM 'open' THEN {current} ELSE 'paid' END "
        f"WHEN {current} IS NULL THEN 'normal' "
        f"WHEN {current} = 'paid' OR ({current} IN ('void', 'written_off') AND {requested} = 'open') THEN 'normal' "
        f"ELSE {current} END"
    )


def closed_on(status: InvoiceStatus | str, previous_closed_on: date | None, today: date) -> date | None:
    """The day the invoice left the receivables: kept while closed, cleared when it reopens."""
    if S(status) in CLOSED:
        return previous_closed_on or today
    return None


def is_open(status: InvoiceStatus | str) -> bool:
    return S(status) in OPEN_STATUSES


class FieldInvalid(ValueError):
    """A field of the change is wrong (the API answers 422 naming ``field``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def status_details(
    target: InvoiceStatus | str,
    *,
    today: date,
    promised_date: date | None = None,
    reported_date: date | None = None,
    dispute_area_id: object = None,
) -> tuple[date | None, date | None, object]:
    """The (promised date, reported date, dispute area) an invoice keeps in ``target``; the others are cleared.

    A promise needs a date that is not in the past (seed 000: "registrar la fecha de la promesa"); a reported
    payment a date that is not in the future (today when not given); a dispute the responsible area.
    """
    target = S(target)
    given = {"promised_date": promised_date, "reported_date": reported_date, "dispute_area_id": dispute_area_id}
    wanted = required_detail(target)
    for name, value in given.items():
        if value is not None and name != wanted:
            raise FieldInvalid(name, f"only applies to a change into {_status_of_detail(name)}")
    if target == S.PROMISE_TO_PAY:
        if promised_date is None:
            raise FieldInvalid("promised_date", "a promise to pay needs the promised date")
        if promised_date < today:
            raise FieldInvalid("promised_date", f"a promise cannot be in the past (today is {today.isoformat()})")
        return promised_date, None, None
    if target == S.PAYMENT_REPORTED:
        reported_date = reported_date or today
        if reported_date > today:
            raise FieldInvalid("reported_date", f"the reported payment cannot be in the future ({today.isoformat()})")
        return None, reported_date, None
    if target == S.DISPUTE:
        if dispute_area_id is None:
            raise FieldInvalid("dispute_area_id", "a dispute needs the area responsible for resolving it")
        return None, None, dispute_area_id
    return None, None, None


def _status_of_detail(name: str) -> str:
    return {"promised_date": "promise_to_pay", "reported_date": "payment_reported", "dispute_area_id": "dispute"}[name]
