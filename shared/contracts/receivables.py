# Over 450 lines on purpose: only message classes (no behaviour), one per message receivables produces, kept in
# one module so that the producer's whole contract reads in one place (subscriptions.py names its consumers).
"""Events of receivables, the system of record; dunning keeps its projection from them.

Snapshot events carry the entity's ``revision`` (it grows with every change), so a consumer never
lets an older event overwrite a newer state.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.common import (
    Channel,
    ChargeKind,
    ChargeStatus,
    ContactPoint,
    InvoiceKind,
    InvoiceStatus,
    MoneyAmount,
    Person,
)
from shared.messages import Command, Event, register


class CustomerSnapshot(BaseModel):
    """A customer as receivables holds it at one ``revision``: what ``CustomerChanged`` and ``CustomersChanged``
    carry."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    customer_id: uuid.UUID
    revision: int
    external_id: str | None = None
    name: str
    tax_id: str | None = None
    country: str | None = None
    timezone: str | None = None
    language: str | None = None
    segment: str | None = None
    vip: bool = False
    risk_level: str | None = None
    tags: list[str] = []
    contacts: list[ContactPoint] = []
    opted_out_channels: list[Channel] = []
    collector_id: uuid.UUID | None = None
    collector: Person | None = None
    advisor: Person | None = None
    supervisor: Person | None = None
    deleted: bool = False
    # Unapplied credit per currency (open credit notes not applied + unapplied over-payments), issue 12.
    credits: list[MoneyAmount] = []
    # Computed from payment behaviour (issue 18: receivables' warning signs), beside the ERP's ``risk_level``.
    computed_risk_level: str | None = None
    computed_risk_reasons: list[str] = []


@register
class CustomerChanged(Event, CustomerSnapshot):
    """One customer changed (API, people, credits, opt-outs)."""

    message_type = "receivables.customer_changed"


@register
class CustomersChanged(Event):
    """A bulk write changed many customers (one ERP batch, up to 10,000): one message for the batch, which the
    consumers apply in one statement, instead of one ``CustomerChanged`` per customer."""

    message_type = "receivables.customers_changed"

    customers: list[CustomerSnapshot]


class InvoiceSnapshot(BaseModel):
    """An invoice as receivables holds it at one ``revision``: what ``InvoiceChanged`` and ``InvoicesChanged``
    carry."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    invoice_id: uuid.UUID
    revision: int
    customer_id: uuid.UUID
    external_id: str | None = None
    number: str
    kind: InvoiceKind = InvoiceKind.INVOICE
    currency: str
    amount: Decimal
    open_amount: Decimal
    issue_date: date
    due_date: date
    status: InvoiceStatus
    promised_date: date | None = None
    reported_date: date | None = None
    dispute_area_id: uuid.UUID | None = None
    document_url: str | None = None
    # issue 19: an installment's payment plan (kind ``installment``), or the plan an ``in_plan`` invoice is grouped in
    plan_id: uuid.UUID | None = None


@register
class InvoiceChanged(Event, InvoiceSnapshot):
    """One invoice changed (API, payments, promises, credits)."""

    message_type = "receivables.invoice_changed"

    reason: str | None = None


@register
class InvoicesChanged(Event):
    """A bulk write changed many invoices (one ERP batch, up to 10,000): one message for the batch, which the
    consumers apply in one statement, instead of one ``InvoiceChanged`` per invoice.

    The snapshots travel as columns, one list per ``InvoiceSnapshot`` field, the i-th item of each list belonging
    to the i-th invoice: 16 lists validate ten times faster than 10,000 objects, go to PostgreSQL as they are
    (``unnest``), and do not repeat the field names 10,000 times. ``snapshots()`` gives them as objects."""

    message_type = "receivables.invoices_changed"

    reason: str | None = None
    invoice_id: list[uuid.UUID]
    revision: list[int]
    customer_id: list[uuid.UUID]
    external_id: list[str | None]
    number: list[str]
    kind: list[InvoiceKind]
    currency: list[str]
    amount: list[Decimal]
    open_amount: list[Decimal]
    issue_date: list[date]
    due_date: list[date]
    status: list[InvoiceStatus]
    promised_date: list[date | None]
    reported_date: list[date | None]
    dispute_area_id: list[uuid.UUID | None]
    document_url: list[str | None]
    # issue 19; empty when no invoice of the batch belongs to a plan (producers before it never sent it)
    plan_id: list[uuid.UUID | None] = []

    @model_validator(mode="before")
    @classmethod
    def _no_plans(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("plan_id") and isinstance(data.get("invoice_id"), list):
            return {**data, "plan_id": [None] * len(data["invoice_id"])}
        return data

    @model_validator(mode="after")
    def _columns_of_one_length(self) -> "InvoicesChanged":
        if len({len(getattr(self, name)) for name in InvoiceSnapshot.model_fields}) != 1:
            raise ValueError("every column of a batch holds one item per invoice")
        return self

    def snapshots(self) -> list[InvoiceSnapshot]:
        names = list(InvoiceSnapshot.model_fields)
        return [
            InvoiceSnapshot(**dict(zip(names, values, strict=True)))
            for values in zip(*(getattr(self, n) for n in names), strict=True)
        ]


class Allocation(BaseModel):
    invoice_id: uuid.UUID
    amount: Decimal
    invoice_external_id: str | None = None


@register
class PaymentApplied(Event):
    message_type = "receivables.payment_applied"

    payment_id: uuid.UUID
    customer_id: uuid.UUID
    external_id: str | None = None
    customer_external_id: str | None = None
    currency: str
    amount: Decimal
    payment_date: date
    allocations: list[Allocation] = []
    unapplied_amount: Decimal = Decimal(0)
    reversed: bool = False


@register
class OutcomeRecorded(Event):
    """A personal contact and its result (seed 000, the five outcomes)."""

    message_type = "receivables.outcome_recorded"

    outcome_id: uuid.UUID
    customer_id: uuid.UUID
    kind: str
    channel: str | None = None
    spoke_with: str | None = None
    excuse: str | None = None
    note: str | None = None
    hashtags: list[str] = []
    invoice_ids: list[uuid.UUID] = []
    collector_id: uuid.UUID | None = None
    recorded_by: str
    recorded_at: datetime
    promised_date: date | None = None
    occurred_at: datetime | None = None  # when the contact happened on the tenant's calendar (issue 15)


@register
class PromiseBroken(Event):
    message_type = "receivables.promise_broken"

    promise_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_external_id: str | None = None
    customer_id: uuid.UUID
    customer_external_id: str | None = None
    collector_id: uuid.UUID | None = None
    promised_date: date
    broken_on: date
    currency: str
    open_amount: Decimal


class _PromiseOnInvoice(Event):
    """What every announcement of a promise says of it and of its invoice (not sent as such)."""

    promise_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_external_id: str | None = None
    number: str
    customer_id: uuid.UUID
    customer_external_id: str | None = None
    promised_date: date
    currency: str
    amount: Decimal
    open_amount: Decimal


@register
class PromiseMade(_PromiseOnInvoice):
    """A promise to pay one invoice was opened (an outcome or a status change to ``promise_to_pay``). Written by
    the trigger on ``receivables.promises`` (migration 0027), so every way a promise opens announces it."""

    message_type = "receivables.promise_made"

    outcome_id: uuid.UUID | None = None
    collector_id: uuid.UUID | None = None
    promised_amount: Decimal


@register
class PromiseKept(_PromiseOnInvoice):
    """A promise's invoice was paid in full in time (a payment, a credit, the ERP's bulk load): written by the
    trigger on ``receivables.promises`` (migration 0027) when a promise goes from open to kept."""

    message_type = "receivables.promise_kept"

    kept_on: date


@register
class InvoiceStatusChanged(Event):
    """An invoice's status changed, or the detail that goes with it (promised date, reported date, dispute area):
    one per invoice and change, with the status before and after.

    Written by the statement trigger on ``receivables.invoices`` (migration 0027), in the transaction of the
    change, whichever of the many set-based UPDATEs made it (``events.py``'s snapshots carry the new state only).
    ``reason`` is what the writer declared with ``events.explain_invoice_changes`` (None if it did not)."""

    message_type = "receivables.invoice_status_changed"

    invoice_id: uuid.UUID
    revision: int
    external_id: str | None = None
    number: str
    customer_id: uuid.UUID
    customer_external_id: str | None = None
    currency: str
    amount: Decimal
    open_amount: Decimal
    previous_status: InvoiceStatus
    status: InvoiceStatus
    previous_promised_date: date | None = None
    promised_date: date | None = None
    previous_reported_date: date | None = None
    reported_date: date | None = None
    previous_dispute_area_id: uuid.UUID | None = None
    dispute_area_id: uuid.UUID | None = None
    reason: str | None = None


@register
class TaskChanged(Event):
    message_type = "receivables.task_changed"

    task_id: uuid.UUID
    revision: int
    customer_id: uuid.UUID | None = None
    title: str
    assignee_id: uuid.UUID | None = None
    supervisor_id: uuid.UUID | None = None
    due_date: date | None = None
    status: str


@register
class TenantSettingsChanged(Event):
    """The tenant-wide settings receivables owns that other services act on (issue 16: one owner per setting), sent
    whole on every change of receivables' settings (``PATCH /v1/receivables-settings``)."""

    message_type = "receivables.tenant_settings_changed"

    action_owner_id: uuid.UUID | None = Field(
        None, description="Who gets new action items (dunning); None: each customer's collector"
    )


@register
class CreateTask(Command):
    """Ask receivables for a task (e.g. dunning found no channel left for a customer)."""

    message_type = "receivables.create_task"

    idempotency_key: str
    customer_id: uuid.UUID
    title: str
    description: str | None = None
    assignee_id: uuid.UUID | None = None  # default: the customer's collector
    due_date: date | None = None
    source: str


class WarningSignKind(StrEnum):
    """The signs of a customer in trouble (issue 18; seed 001: "Demoras en el pago de facturas", "Pagar las facturas
    pequeñas antes que las grandes"), computed by receivables from payment behaviour."""

    DAYS_LATE_TREND = "days_late_trend"  # the last payments come later than the customer's history
    SMALL_BEFORE_LARGE = "small_before_large"  # small invoices paid while larger, older ones stay open
    BROKEN_PROMISES = "broken_promises"  # promises broken in the last 90 days
    BAD_CONTACTS = "bad_contacts"  # bounced or invalid contact points
    GROWING_OVERDUE = "growing_overdue"  # the overdue balance keeps growing


class WarningSign(BaseModel):
    sign: WarningSignKind
    evidence: dict[str, Any] = Field(default_factory=dict, description="What the sign was computed from")
    first_seen_on: date


class CustomerSigns(BaseModel):
    """One customer's warning signs and computed risk after a refresh: the whole state, not a delta."""

    customer_id: uuid.UUID
    customer_external_id: str | None = None
    collector_id: uuid.UUID | None = None
    computed_risk_level: str | None = None
    computed_risk_reasons: list[str] = []
    signs: list[WarningSign] = []


@register
class WarningSignsChanged(Event):
    """A refresh changed some customers' warning signs or computed risk (daily, or after a payment): one message per
    refresh and up to 10,000 customers, each with its whole current state (an empty ``signs``: none any more)."""

    message_type = "receivables.warning_signs_changed"

    day: date
    customers: list[CustomerSigns]


class PlanStatus(StrEnum):
    """Issue 19: a payment plan's life (seed 004's fifth objective, "Renegociar la deuda a tres plazos")."""

    PROPOSED = "proposed"  # by a collector, the portal (within the tenant's limits) or the ERP; changes nothing yet
    ACCEPTED = "accepted"  # its invoices are ``in_plan``; its installments are invoices dunning follows
    COMPLETED = "completed"  # every installment paid: its invoices are paid
    BROKEN = "broken"  # an installment unpaid past the grace days: its invoices are back to normal
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class PlanSource(StrEnum):
    COLLECTOR = "collector"
    PORTAL = "portal"
    ERP = "erp"


class PlanInstallment(BaseModel):
    number: int  # 0 is the down payment, when there is one
    invoice_id: uuid.UUID | None = None  # the installment's invoice, once the plan is accepted
    due_date: date
    amount: Decimal
    paid_amount: Decimal = Decimal(0)
    status: str = "pending"  # pending, paid, void


@register
class PaymentPlanChanged(Event):
    """A payment plan was proposed, accepted, rejected, cancelled, completed or broken, or an installment was paid:
    the plan's whole state at ``revision``."""

    message_type = "receivables.payment_plan_changed"

    plan_id: uuid.UUID
    revision: int
    customer_id: uuid.UUID
    customer_external_id: str | None = None
    collector_id: uuid.UUID | None = None
    currency: str
    status: PlanStatus
    source: PlanSource
    proposed_by: str | None = None
    invoice_ids: list[uuid.UUID] = []
    installments: list[PlanInstallment] = []
    principal: Decimal
    down_payment: Decimal = Decimal(0)
    interest_annual_rate: Decimal = Decimal(0)
    interest_amount: Decimal = Decimal(0)
    total: Decimal
    paid_amount: Decimal = Decimal(0)
    grace_days: int = 0
    accepted_on: date | None = None
    completed_on: date | None = None
    broken_on: date | None = None
    reason: str | None = None


@register
class ChargeChanged(Event):
    """Issue 19: a late charge was recorded (as dunning assessed it), waived by a manager, or invoiced by the ERP:
    the charge's whole state. Dunning drops waived and invoiced charges from its messages; webhooks tells the ERP."""

    message_type = "receivables.charge_changed"

    charge_id: uuid.UUID
    key: str  # the idempotency key (invoice, rule, period)
    invoice_id: uuid.UUID
    invoice_external_id: str | None = None
    invoice_number: str
    customer_id: uuid.UUID
    customer_external_id: str | None = None
    kind: ChargeKind
    description: str
    currency: str
    amount: Decimal
    charged_on: date
    status: ChargeStatus
    waived_by: str | None = None
    waive_reason: str | None = None
    erp_document: str | None = None  # the ERP's invoice for it, when invoiced
