"""What each of the five outcomes of a personal contact does (seed 000), as a pure plan; no I/O.

1. promise to pay: the invoices go to ``promise_to_pay`` with the promised date (never in the past);
2. no commitment: invoices stay; a note and a follow-up task in N days (seed 000: "programarse una tarea");
3. customer says it paid: ``payment_reported`` with the date it says it paid (never in the future);
4. dispute: ``dispute`` with the area responsible for resolving it;
5. could not reach: an email with the invoices to the customer, and a task to call again the next business day.
Excuse reasons are seed 004's: forgetting, inability to pay, dissatisfaction, unawareness of use, fraud.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.receivables.invoices.rules import (
    FieldInvalid,
    StatusChange,
    TransitionRefused,
    check_manual_transition,
    status_details,
)
from services.receivables.tenant_settings.calendar import follow_up_date, next_business_day
from shared.contracts.common import OPEN_STATUSES, InvoiceStatus


class OutcomeKind(StrEnum):
    PROMISE_TO_PAY = "promise_to_pay"
    NO_COMMITMENT = "no_commitment"
    PAYMENT_REPORTED = "payment_reported"
    DISPUTE = "dispute"
    UNREACHABLE = "unreachable"


class Excuse(StrEnum):
    """Seed 004: olvido, incapacidad de pago, insatisfacción, inconsciencia de uso, fraude."""

    FORGETTING = "forgetting"
    INABILITY_TO_PAY = "inability_to_pay"
    DISSATISFACTION = "dissatisfaction"
    UNAWARENESS_OF_USE = "unawareness_of_use"
    FRAUD = "fraud"
    OTHER = "other"


class ContactChannel(StrEnum):
    """How the contact happened (seed 004 lists the channels of a collections contact)."""

    PHONE = "phone"
    WHATSAPP = "whatsapp"
    EMAIL = "email"
    SMS = "sms"
    IN_PERSON = "in_person"
    VIDEO_CALL = "video_call"
    PORTAL = "portal"  # the debtor acted on its own page (issue 17)
    OTHER = "other"


STATUS_OF: dict[OutcomeKind, InvoiceStatus] = {
    OutcomeKind.PROMISE_TO_PAY: InvoiceStatus.PROMISE_TO_PAY,
    OutcomeKind.PAYMENT_REPORTED: InvoiceStatus.PAYMENT_REPORTED,
    OutcomeKind.DISPUTE: InvoiceStatus.DISPUTE,
}
# Fields that belong to one kind only: sending them with another kind is a mistake worth reporting.
OWN_FIELDS: dict[str, OutcomeKind] = {
    "promised_date": OutcomeKind.PROMISE_TO_PAY,
    "reported_date": OutcomeKind.PAYMENT_REPORTED,
    "reported_reference": OutcomeKind.PAYMENT_REPORTED,
    "dispute_area_id": OutcomeKind.DISPUTE,
    "follow_up_days": OutcomeKind.NO_COMMITMENT,
}
TASK_TITLES = {
    "follow_up": {
        "es": "Dar seguimiento al cliente",
        "en": "Follow up with the customer",
        "pt": "Acompanhar o cliente",
    },
    "call_again": {
        "es": "Volver a llamar al cliente",
        "en": "Call the customer again",
        "pt": "Ligar novamente para o cliente",
    },
}


# The statuses an outcome may act on (issue 12 point 4), never over a stronger state: a promise takes normal
# invoices and renews a promise, but leaves a dispute or a reported payment as they are (resolve the dispute
# first); a reported payment may follow a promise; a dispute covers every open invoice. Without ``invoice_ids``
# the others are left alone; a named one in another status is refused (409 naming it).
ALLOWED_FROM: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.PROMISE_TO_PAY: frozenset({InvoiceStatus.NORMAL, InvoiceStatus.PROMISE_TO_PAY}),
    InvoiceStatus.PAYMENT_REPORTED: frozenset(
        {InvoiceStatus.NORMAL, InvoiceStatus.PROMISE_TO_PAY, InvoiceStatus.PAYMENT_REPORTED}
    ),
    InvoiceStatus.DISPUTE: frozenset(OPEN_STATUSES),
}

OutcomeInvalid = FieldInvalid


class InvoiceRefused(TransitionRefused):
    """A named invoice cannot take the outcome (the API answers 409 naming it)."""

    def __init__(self, message: str, invoice_id: uuid.UUID, position: int) -> None:
        super().__init__(message)
        self.invoice_id, self.position = invoice_id, position


@dataclass(frozen=True, slots=True)
class OutcomeInput:
    kind: OutcomeKind
    note: str | None = None
    promised_date: date | None = None
    reported_date: date | None = None
    reported_reference: str | None = None
    dispute_area_id: uuid.UUID | None = None
    follow_up_days: int | None = None
    named_invoices: bool = False  # the caller chose the invoices (else: all the customer's open invoices)


@dataclass(frozen=True, slots=True)
class TaskPlan:
    kind: str  # follow_up | call_again
    title: str
    due_date: date


@dataclass(frozen=True, slots=True)
class OutcomePlan:
    status_changes: list[StatusChange] = field(default_factory=list)
    task: TaskPlan | None = None
    email_invoices: bool = False  # could not reach: ask messaging for the email with the invoices
    reported_date: date | None = None
    covered: tuple[uuid.UUID, ...] = ()  # the invoices the outcome is about (recorded with it)
    claimed: tuple[uuid.UUID, ...] = ()  # those being asked for: not paused (what the unreachable email lists)


def _check_fields(data: OutcomeInput) -> None:
    for name, owner in OWN_FIELDS.items():
        if getattr(data, name) is not None and data.kind != owner:
            raise OutcomeInvalid(name, f"only a {owner.value} outcome takes {name}")


def plan_outcome(
    data: OutcomeInput,
    invoices: Mapping[uuid.UUID, str],
    *,
    today: date,
    country: str | None,
    default_follow_up_days: int,
    language: str = "es",
) -> OutcomePlan:
    """The side effects of one outcome on ``invoices`` (id -> current status, the named ones in order, else all
    the customer's open invoices) at the tenant's ``today``.

    Raises ``OutcomeInvalid`` for a bad field, ``InvoiceRefused`` when a named invoice cannot take the change, and
    ``TransitionRefused`` when no invoice can.
    """
    _check_fields(data)
    language = language if language in ("es", "en", "pt") else "es"
    kind = data.kind
    target = STATUS_OF.get(kind)
    promised_date = reported_date = dispute_area_id = None
    if target is not None:
        promised_date, reported_date, dispute_area_id = status_details(
            target,
            today=today,
            promised_date=data.promised_date,
            reported_date=data.reported_date,
            dispute_area_id=data.dispute_area_id,
        )
    if kind == OutcomeKind.NO_COMMITMENT and not (data.note and data.note.strip()):
        raise OutcomeInvalid("note", "record what was said: a no-commitment outcome needs a note")
    if data.follow_up_days is not None and not 1 <= data.follow_up_days <= 90:
        raise OutcomeInvalid("follow_up_days", "must be between 1 and 90")

    if target is not None and not data.named_invoices:
        invoices = {i: s for i, s in invoices.items() if s in ALLOWED_FROM[target]}
    if target is not None and not invoices:
        raise TransitionRefused(f"The customer has no open invoice that can go to {target.value}")
    changes: list[StatusChange] = []
    if target is not None:
        for position, (invoice_id, status) in enumerate(invoices.items()):
            try:
                check_manual_transition(status, target)
            except TransitionRefused as exc:
                raise InvoiceRefused(str(exc), invoice_id, position) from None
            if status not in ALLOWED_FROM[target]:
                raise InvoiceRefused(
                    f"A {kind.value} outcome does not apply to an invoice in {status}: change its status first",
                    invoice_id,
                    position,
                )
            changes.append(
                StatusChange(
                    invoice_id,
                    target,
                    promised_date=promised_date,
                    reported_date=reported_date,
                    dispute_area_id=dispute_area_id,  # type: ignore[arg-type]
                )
            )
    elif data.named_invoices:
        for position, (invoice_id, status) in enumerate(invoices.items()):
            if status not in OPEN_STATUSES:
                raise InvoiceRefused(
                    f"An outcome covers open invoices only; this one is {status}", invoice_id, position
                )

    task = None
    if kind == OutcomeKind.NO_COMMITMENT:
        days = data.follow_up_days or default_follow_up_days
        task = TaskPlan("follow_up", TASK_TITLES["follow_up"][language], follow_up_date(today, days, country))
    elif kind == OutcomeKind.UNREACHABLE:
        task = TaskPlan("call_again", TASK_TITLES["call_again"][language], next_business_day(today, country))
    claimed = tuple(i for i, s in invoices.items() if s == InvoiceStatus.NORMAL)
    return OutcomePlan(
        status_changes=changes,
        task=task,
        email_invoices=kind == OutcomeKind.UNREACHABLE and bool(claimed),
        reported_date=reported_date,
        covered=tuple(invoices),
        claimed=claimed,
    )


def claimed_totals(
    lines: Iterable[tuple[str, Decimal, int]], credits: Mapping[str, Decimal]
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """What the unreachable email asks for, per currency, from the claimed invoices' (currency, open amount, days
    overdue): the overdue total and the open total, each net of the credit of its currency, never below zero
    (the same figures as a dunning message, shared/contracts/messaging.py)."""
    overdue: dict[str, Decimal] = defaultdict(Decimal)
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount, days in lines:
        owed[currency] += amount
        if days > 0:
            overdue[currency] += amount

    def net(sums: Mapping[str, Decimal]) -> dict[str, Decimal]:
        return {c: max(a - credits.get(c, Decimal(0)), Decimal(0) * a) for c, a in sorted(sums.items())}

    return net(overdue), net(owed)
