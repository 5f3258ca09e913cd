# Over 400 lines on purpose: the catalogue an ERP integrates against, every event type's payload with its example,
# read as one document (the OpenAPI ``webhooks`` section is made from it); most of its length is the examples.
"""Webhooks out to integrations (issue 14): the catalogue of event types an ERP can subscribe to, the versioned
payload of each, and the event that tells alarms an endpoint was disabled.

What goes on the wire follows the Standard Webhooks convention: a JSON body ``{"type", "timestamp", "data"}``
signed with ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers. ``data`` is the type's payload
model (its ``version`` field says which shape); adding an optional field keeps the version. ``PAYLOADS`` names
each type's payload model, ``WEBHOOK_BODIES`` the whole body's (for the OpenAPI ``webhooks`` section). Payloads
carry cobranza's ids and the ERP's (``*_external_id``, None when the ERP gave none or the source does not know
it), money as decimal strings beside its currency, dates in ISO 8601.

The webhooks service (``services/webhooks``) turns the services' internal events into ``OutgoingEvent``s
(``services/webhooks/deliveries/catalogue.py``), stores them, and delivers each to every endpoint subscribed to its
type.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, create_model

from shared.contracts.common import Channel, ChargeKind, InvoiceStatus
from shared.contracts.messaging import CommunicationKind
from shared.messages import Event, register
from shared.money import Currency


class WebhookEventType(StrEnum):
    """Every event an endpoint can subscribe to (the catalogue)."""

    INVOICE_STATUS_CHANGED = "invoice.status_changed"
    PROMISE_MADE = "promise.made"
    PROMISE_KEPT = "promise.kept"
    PROMISE_BROKEN = "promise.broken"
    PAYMENT_REPORTED = "payment.reported"
    PAYMENT_ALLOCATED = "payment.allocated"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_RESOLVED = "dispute.resolved"
    ACTION_ITEM_CREATED = "action_item.created"
    ACTION_ITEM_RESOLVED = "action_item.resolved"
    MESSAGE_SENT = "message.sent"
    MESSAGE_DELIVERED = "message.delivered"
    MESSAGE_FAILED = "message.failed"
    CONTACT_INVALID = "contact.invalid"
    CUSTOMER_OPTED_OUT = "customer.opted_out"
    CUSTOMER_REPLIED = "customer.replied"
    PORTAL_ACTION_TAKEN = "portal.action_taken"
    CHARGE_RECORDED = "charge.recorded"
    CHARGE_WAIVED = "charge.waived"
    CHARGE_INVOICED = "charge.invoiced"
    # issue 19: a payment plan's life (receivables' ``PaymentPlanChanged``)
    PAYMENT_PLAN_PROPOSED = "payment_plan.proposed"
    PAYMENT_PLAN_ACCEPTED = "payment_plan.accepted"
    PAYMENT_PLAN_UPDATED = "payment_plan.updated"
    PAYMENT_PLAN_COMPLETED = "payment_plan.completed"
    PAYMENT_PLAN_BROKEN = "payment_plan.broken"
    PAYMENT_PLAN_REJECTED = "payment_plan.rejected"
    PAYMENT_PLAN_CANCELLED = "payment_plan.cancelled"
    # Sent on request to one endpoint (``POST /v1/webhook-endpoints/{id}/test``): checks the integration end to end.
    PING = "webhook.ping"


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    """One catalogue event, ready to store and deliver.

    ``event_id`` is the ``webhook-id`` every delivery of it carries (stable across retries and replays), derived
    from the internal event's id so a repeated internal event yields the same id; ``data`` is the JSON form
    (``model_dump(mode="json")``) of the type's payload model."""

    tenant_id: uuid.UUID
    event_id: str
    event_type: WebhookEventType
    occurred_at: datetime
    data: dict[str, Any]


@register
class WebhookEndpointDisabled(Event):
    """An endpoint kept failing for the tenant's disable period and was disabled: alarms emails the tenant's
    admins."""

    message_type = "webhooks.endpoint_disabled"

    endpoint_id: uuid.UUID
    url: str
    failing_since: datetime
    disabled_at: datetime
    last_error: str | None = None


# --- Payloads (``data``), one versioned model per type -------------------------------------------------------------

DecimalString = Annotated[
    Decimal,
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["1250.50"]}),
]
"""Money as a decimal string (``"1250.50"``): never a float, so no cent is lost on the ERP's side."""

_C = "11111111-2222-4333-8444-555555555555"  # the examples' customer, invoice, promise... (realistic, fixed)
_I = "0193a1b2-7c4d-7e5f-8a6b-1c2d3e4f5a6b"
_P = "0193a1b3-1111-7222-8333-444455556666"


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Customer(_Payload):
    customer_id: uuid.UUID = Field(description="cobranza's id of the customer")
    customer_external_id: str | None = Field(None, description="The ERP's id of the customer, when it gave one")


class _Invoice(_Customer):
    invoice_id: uuid.UUID = Field(description="cobranza's id of the invoice")
    invoice_external_id: str | None = Field(None, description="The ERP's id of the invoice, when it gave one")
    invoice_number: str = Field(description="The invoice's number as printed")
    currency: Currency
    amount: DecimalString = Field(description="The invoice's total")
    open_amount: DecimalString = Field(description="What is still owed on it, after this change")


_CUSTOMER_EXAMPLE: dict[str, Any] = {"customer_id": _C, "customer_external_id": "ERP-C-100"}
_INVOICE_EXAMPLE: dict[str, Any] = _CUSTOMER_EXAMPLE | {
    "invoice_id": _I,
    "invoice_external_id": "ERP-F-2031",
    "invoice_number": "A-0001-00002031",
    "currency": "ARS",
    "amount": "150000.00",
    "open_amount": "150000.00",
}


class InvoiceStatusChangedV1(_Invoice):
    """Sent when an invoice's status changes, whoever changed it: a collector, an outcome, a payment, the ERP's
    bulk load, a promise that broke. Not sent when only its amounts or dates change."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _INVOICE_EXAMPLE
                | {"version": 1, "previous_status": "normal", "status": "dispute", "dispute_area_id": _P}
                | {"promised_date": None, "reported_date": None, "reason": "status changed"}
            ]
        }
    )

    version: Literal[1] = 1
    previous_status: InvoiceStatus = Field(description="The status before the change")
    status: InvoiceStatus = Field(description="The status now")
    promised_date: date | None = Field(None, description="promise_to_pay: the date promised")
    reported_date: date | None = Field(None, description="payment_reported: the day the customer says it paid")
    dispute_area_id: uuid.UUID | None = Field(None, description="dispute: the area that resolves it")
    reason: str | None = Field(None, description="What made the change: payment, ingest, promise broken, a note")


class PromiseMadeV1(_Invoice):
    """Sent when the customer promises to pay an invoice by a date (an outcome or a status change): one per
    invoice promised. A new promise on the same invoice replaces the open one and is sent again."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _INVOICE_EXAMPLE
                | {"version": 1, "promise_id": _P, "promised_date": "2026-12-15", "promised_amount": "150000.00"}
                | {"outcome_id": None, "collector_id": None}
            ]
        }
    )

    version: Literal[1] = 1
    promise_id: uuid.UUID = Field(description="cobranza's id of the promise (also in promise.kept / .broken)")
    promised_date: date = Field(description="The day the customer promised to pay by")
    promised_amount: DecimalString = Field(description="What was owed when the promise was made")
    outcome_id: uuid.UUID | None = Field(None, description="The contact outcome that recorded it, if any")
    collector_id: uuid.UUID | None = Field(None, description="The customer's collector when it was made")


class PromiseKeptV1(_Invoice):
    """Sent when a promised invoice is paid in full by its date (plus the tenant's grace days)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _INVOICE_EXAMPLE
                | {"version": 1, "promise_id": _P, "promised_date": "2026-12-15", "kept_on": "2026-12-14"}
                | {"open_amount": "0.00"}
            ]
        }
    )

    version: Literal[1] = 1
    promise_id: uuid.UUID = Field(description="cobranza's id of the promise (as in promise.made)")
    promised_date: date = Field(description="The day the customer promised to pay by")
    kept_on: date = Field(description="The day it was settled")


class PromiseBrokenV1(_Customer):
    """Sent when a promise's date (plus the tenant's grace days) passed and the invoice still owes money: the
    invoice goes back to ``normal`` and reminders resume (an ``invoice.status_changed`` says so too)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _CUSTOMER_EXAMPLE
                | {
                    "version": 1,
                    "promise_id": _P,
                    "invoice_id": _I,
                    "invoice_external_id": "ERP-F-2031",
                    "promised_date": "2026-12-15",
                    "broken_on": "2026-12-16",
                    "currency": "ARS",
                    "open_amount": "150000.00",
                    "collector_id": None,
                }
            ]
        }
    )

    version: Literal[1] = 1
    promise_id: uuid.UUID = Field(description="cobranza's id of the promise (as in promise.made)")
    invoice_id: uuid.UUID = Field(description="cobranza's id of the invoice")
    invoice_external_id: str | None = Field(None, description="The ERP's id of the invoice, when it gave one")
    promised_date: date = Field(description="The day the customer had promised to pay by")
    broken_on: date = Field(description="The day the promise was found broken")
    currency: Currency
    open_amount: DecimalString = Field(description="What is still owed on the invoice")
    collector_id: uuid.UUID | None = Field(None, description="The collector who got the promise")


class PaymentReportedV1(_Invoice):
    """Sent when the customer says it paid an invoice (an outcome, or a collector's status change) and the
    payment has not arrived: reminders pause. Sent again if the reported date changes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [_INVOICE_EXAMPLE | {"version": 1, "reported_date": "2026-12-05", "reason": "status changed"}]
        }
    )

    version: Literal[1] = 1
    reported_date: date = Field(description="The day the customer says it paid")
    reason: str | None = Field(None, description="What recorded it (an outcome, a status change)")


class AllocationV1(_Payload):
    invoice_id: uuid.UUID = Field(description="cobranza's id of the invoice")
    invoice_external_id: str | None = Field(None, description="The ERP's id of the invoice, when known")
    amount: DecimalString = Field(description="The part of the payment applied to it (or undone)")


class PaymentAllocatedV1(_Customer):
    """Sent when a payment is applied to invoices (explicitly named, else oldest first), and when it is
    reversed (``reversed``: the allocations listed were undone)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _CUSTOMER_EXAMPLE
                | {
                    "version": 1,
                    "payment_id": _P,
                    "payment_external_id": "ERP-R-7788",
                    "currency": "ARS",
                    "amount": "200000.00",
                    "payment_date": "2026-12-05",
                    "unapplied_amount": "50000.00",
                    "reversed": False,
                    "allocations": [{"invoice_id": _I, "invoice_external_id": None, "amount": "150000.00"}],
                }
            ]
        }
    )

    version: Literal[1] = 1
    payment_id: uuid.UUID = Field(description="cobranza's id of the payment")
    payment_external_id: str | None = Field(None, description="The ERP's id of the payment, when it gave one")
    currency: Currency
    amount: DecimalString = Field(description="The payment's amount")
    payment_date: date
    allocations: list[AllocationV1] = Field(description="What went to which invoice (or was undone)")
    unapplied_amount: DecimalString = Field(description="What is left as the customer's credit")
    reversed: bool = Field(False, description="True: the payment was reversed and these allocations undone")


class DisputeOpenedV1(_Invoice):
    """Sent when an invoice goes into dispute (the customer contests it): reminders pause until it is resolved."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [_INVOICE_EXAMPLE | {"version": 1, "dispute_area_id": _P, "reason": "wrong quantity billed"}]
        }
    )

    version: Literal[1] = 1
    dispute_area_id: uuid.UUID = Field(description="The area responsible for resolving it")
    reason: str | None = Field(None, description="Why, as recorded")


class DisputeResolvedV1(_Invoice):
    """Sent when an invoice leaves ``dispute``: ``status`` says how (``normal``: owed again, ``void`` or
    ``written_off``: the customer was right, ``paid``, or a promise or reported payment)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _INVOICE_EXAMPLE
                | {"version": 1, "dispute_area_id": _P, "status": "void", "reason": "credit note issued"}
            ]
        }
    )

    version: Literal[1] = 1
    dispute_area_id: uuid.UUID | None = Field(None, description="The area that had the dispute")
    status: InvoiceStatus = Field(description="The invoice's status after the dispute")
    reason: str | None = Field(None, description="Why, as recorded")


class ActionItemCreatedV1(_Customer):
    """Sent when an action is due (suspend service, legal, write off, call): a strategy's action step reached it
    or a person created it. The ERP acts on it (suspends the service, hands it to legal...)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 1,
                    "customer_id": _C,
                    "customer_external_id": None,
                    "action_item_id": _P,
                    "invoice_ids": [_I],
                    "action": "suspend_service",
                    "assignee_id": None,
                    "created_on": "2026-12-06",
                    "note": None,
                    "notice_state": "sent",
                }
            ]
        }
    )

    version: Literal[1] = 1
    action_item_id: uuid.UUID = Field(description="cobranza's id of the action item")
    invoice_ids: list[uuid.UUID] = Field(description="The invoices it is about")
    action: str = Field(description="suspend_service, legal, write_off or call")
    assignee_id: uuid.UUID | None = Field(None, description="Who must act")
    created_on: date
    note: str | None = Field(None, description="What the person who created it wrote")
    notice_state: str | None = Field(None, description="The action notice to the customer: pending, sent, failed")


class ActionItemResolvedV1(_Customer):
    """Sent when an action item is done or cancelled (with the reason)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 1,
                    "customer_id": _C,
                    "customer_external_id": None,
                    "action_item_id": _P,
                    "invoice_ids": [_I],
                    "action": "suspend_service",
                    "created_on": "2026-12-06",
                    "resolution": "cancelled",
                    "resolution_reason": "Customer paid before suspension",
                }
            ]
        }
    )

    version: Literal[1] = 1
    action_item_id: uuid.UUID = Field(description="cobranza's id of the action item (as in action_item.created)")
    invoice_ids: list[uuid.UUID] = Field(description="The invoices it is about")
    action: str = Field(description="suspend_service, legal, write_off or call")
    created_on: date
    resolution: Literal["done", "cancelled"] = Field(description="Done, or cancelled")
    resolution_reason: str | None = Field(None, description="Why it was cancelled, or how it was done")


_MESSAGE_EXAMPLE: dict[str, Any] = _CUSTOMER_EXAMPLE | {
    "version": 1,
    "message_id": _P,
    "kind": "overdue",
    "channel": "email",
    "to": "pagos@cliente.example",
    "subject": "Facturas vencidas",
    "invoice_ids": [_I],
    "occurred_at": "2026-12-06T13:05:00Z",
}


class _Message(_Payload):
    customer_id: uuid.UUID | None = Field(None, description="cobranza's id of the customer, if to a customer")
    customer_external_id: str | None = Field(None, description="The ERP's id of the customer, when known")
    message_id: uuid.UUID = Field(description="cobranza's id of the message")
    kind: CommunicationKind = Field(description="What the message was: a reminder, an action notice...")
    channel: Channel
    to: str = Field(description="The address: an email, or an E.164 phone number")
    subject: str | None = None
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, description="The invoices it was about")
    occurred_at: datetime = Field(description="When the provider reported it")


class MessageSentV1(_Message):
    """Sent when the provider accepted a message for delivery (SMTP server, SMS or WhatsApp API)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MESSAGE_EXAMPLE]})

    version: Literal[1] = 1


class MessageDeliveredV1(_Message):
    """Sent once per message when the provider reports it delivered, or read when no delivery receipt came
    first (``state`` says which)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MESSAGE_EXAMPLE | {"state": "delivered"}]})

    version: Literal[1] = 1
    state: Literal["delivered", "read"] = Field(description="delivered, or read (WhatsApp's blue ticks)")


class MessageFailedV1(_Message):
    """Sent when a message could not be delivered: the provider refused it, it bounced (also a late bounce), or
    every attempt failed. ``error_code`` is stable (``invalid_contact``, ``smtp_550``, ``21211``...)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _MESSAGE_EXAMPLE
                | {"state": "bounced", "error": "550 5.1.1 user unknown", "error_code": "smtp_550", "attempts": 1}
            ]
        }
    )

    version: Literal[1] = 1
    state: Literal["failed", "bounced"] = Field(description="failed (refused, gave up) or bounced")
    error: str | None = Field(None, description="The provider's answer")
    error_code: str | None = Field(None, description="A stable code for the error")
    attempts: int = Field(0, description="Delivery attempts made")


class _ContactPoint(_Customer):
    channel: Channel
    address: str = Field(description="The email address or E.164 phone number")


_CONTACT_POINT_EXAMPLE: dict[str, Any] = _CUSTOMER_EXAMPLE | {
    "version": 1,
    "channel": "sms",
    "address": "+5491155550000",
}


class ContactInvalidV1(_ContactPoint):
    """Sent when a contact point got a permanent delivery error (invalid number, hard bounce): cobranza no
    longer uses it; the ERP may want to fix it at the source."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [_CONTACT_POINT_EXAMPLE | {"reason": "21211 invalid 'To' phone number"}]}
    )

    version: Literal[1] = 1
    reason: str = Field(description="The provider's error")


class CustomerOptedOutV1(_ContactPoint):
    """Sent when the customer asked for no more messages on a channel (SMS STOP, the unsubscribe link)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CONTACT_POINT_EXAMPLE | {"source": "sms_stop"}]})

    version: Literal[1] = 1
    source: str = Field(description="How it was asked: sms_stop, unsubscribe_link, reply...")


class CustomerRepliedV1(_Payload):
    """Sent when a customer wrote back (an SMS, a WhatsApp message, an email reply): a collector gets a task."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _CUSTOMER_EXAMPLE
                | {
                    "version": 1,
                    "reply_id": _P,
                    "channel": "whatsapp",
                    "from_address": "+5491155550000",
                    "subject": None,
                    "body": "Pago el viernes",
                    "in_reply_to": None,
                    "opt_out": False,
                    "received_at": "2026-12-06T14:20:00Z",
                }
            ]
        }
    )

    version: Literal[1] = 1
    customer_id: uuid.UUID | None = Field(None, description="cobranza's id of the customer, when recognised")
    customer_external_id: str | None = Field(None, description="The ERP's id of the customer, when known")
    reply_id: uuid.UUID = Field(description="cobranza's id of the reply")
    channel: Channel
    from_address: str = Field(description="Who wrote: an email address or an E.164 phone number")
    subject: str | None = None
    body: str = Field(description="The reply's text, quoted history cut where possible (at most 4,000 chars)")
    in_reply_to: uuid.UUID | None = Field(None, description="The message it answers, when known")
    opt_out: bool = Field(False, description="A STOP/BAJA reply: also sent as customer.opted_out")
    received_at: datetime


class PortalActionTakenV1(_Customer):
    """Sent when a debtor acted on its own page (issue 17): reported a payment, promised, disputed, asked for a call
    or a plan, stopped a channel, paid online. Its effects in receivables arrive as their own events
    (``invoice.status_changed``, ``promise.made``...); this one says the debtor did it, on its page. Only the
    fields of its ``kind`` are set."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _CUSTOMER_EXAMPLE
                | {
                    "version": 1,
                    "action_id": _P,
                    "kind": "payment_reported",
                    "taken_at": "2026-12-06T14:20:00Z",
                    "invoice_ids": [_I],
                    "promised_date": None,
                    "paid_on": "2026-12-05",
                    "amount": "85000.00",
                    "bank": "Banco Nación",
                    "account": "CBU 0110599520000001234567",
                    "reference": "TRF-23763172736",
                    "reason": None,
                    "comment": None,
                    "channel": None,
                    "call_at": None,
                    "phone": None,
                    "installments": None,
                    "down_payment": None,
                    "outcome_id": _P,
                    "task_id": None,
                    "receipt_id": _P,
                }
            ]
        }
    )

    version: Literal[1] = 1
    action_id: uuid.UUID = Field(description="The portal's id of the action (``/v1/portal-actions``)")
    kind: str = Field(
        description="payment_reported, promise, dispute, call_requested, opted_out, plan_requested, "
        "checkout_started, payment_notified"
    )
    taken_at: datetime
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, description="The invoices it names (none: all)")
    promised_date: date | None = Field(None, description="promise: the date promised")
    paid_on: date | None = Field(None, description="payment_reported: when the debtor says it paid")
    amount: DecimalString | None = Field(None, description="payment_reported: the amount the debtor says it paid")
    bank: str | None = Field(None, description="payment_reported: the bank it paid through (seed 004)")
    account: str | None = Field(None, description="payment_reported: the account it paid into")
    reference: str | None = Field(None, description="payment_reported: the transfer's or deposit's reference")
    reason: str | None = Field(None, description="dispute: price, not_received, damaged, wrong_invoice, ...")
    comment: str | None = Field(None, description="dispute, plan_requested: the debtor's words")
    channel: str | None = Field(None, description="opted_out: the channel stopped")
    call_at: str | None = Field(None, description="call_requested: the local date and time asked for")
    phone: str | None = Field(None, description="call_requested: the number to call")
    installments: int | None = Field(None, description="plan_requested: the installments asked for")
    down_payment: DecimalString | None = Field(None, description="plan_requested: the down payment offered")
    outcome_id: uuid.UUID | None = Field(None, description="The outcome it became in receivables")
    task_id: uuid.UUID | None = Field(None, description="The task it became (a call, a plan to approve)")
    receipt_id: uuid.UUID | None = Field(None, description="payment_reported: the receipt (/v1/portal-receipts)")


class _Charge(_Customer):
    """Issue 19: a late charge, a document of its own beside its invoice."""

    version: Literal[1] = 1
    charge_id: uuid.UUID = Field(description="cobranza's id of the charge (/v1/charges/{id})")
    key: str = Field(description="Its idempotency key, from (invoice, rule, period): the same charge never twice")
    invoice_id: uuid.UUID = Field(description="cobranza's id of the invoice it is charged on")
    invoice_external_id: str | None = Field(None, description="The ERP's id of the invoice, when it gave one")
    invoice_number: str = Field(description="The invoice's number as printed")
    kind: ChargeKind = Field(description="fixed (a fee at a step), percentage (of the open amount), interest")
    description: str = Field(description="What it is, as messages and statements show it")
    currency: Currency
    amount: DecimalString = Field(description="The charge's amount (never added to the invoice's)")
    charged_on: date = Field(description="The day it was assessed (the tenant's day)")


_CHARGE_EXAMPLE: dict[str, Any] = _CUSTOMER_EXAMPLE | {
    "version": 1,
    "charge_id": "0193a1b4-2a3b-5c4d-8e5f-6a7b8c9d0e1f",
    "key": f"{_I}:interest:2026-11",
    "invoice_id": _I,
    "invoice_external_id": "ERP-F-2031",
    "invoice_number": "A-0001-00002031",
    "kind": "interest",
    "description": "Interés por mora, noviembre 2026 (60% anual)",
    "currency": "ARS",
    "amount": "7397.26",
    "charged_on": "2026-11-30",
}


class ChargeRecordedV1(_Charge):
    """Sent when a late charge (a fee or interest) is recorded: the ERP may invoice it (then says so with
    ``POST /v1/charges/{id}/invoiced``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHARGE_EXAMPLE]})


class ChargeWaivedV1(_Charge):
    """Sent when a manager forgives a late charge, with a reason: it is no longer owed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [_CHARGE_EXAMPLE | {"waived_by": f"user:{_P}", "waive_reason": "Cliente histórico"}]
        }
    )

    waived_by: str | None = Field(None, description="Who waived it (user:<id>)")
    waive_reason: str | None = Field(None, description="Why")


class ChargeInvoicedV1(_Charge):
    """Sent when the ERP invoiced a late charge: its own document carries the debt from now on."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHARGE_EXAMPLE | {"erp_document": "ND-0001-00000077"}]})

    erp_document: str | None = Field(None, description="The ERP's document that invoiced it")


class PaymentPlanInstallmentV1(_Payload):
    number: int = Field(description="0 is the down payment, when there is one")
    invoice_id: uuid.UUID | None = Field(None, description="The installment's invoice, once the plan is accepted")
    due_date: date
    amount: DecimalString
    paid_amount: DecimalString = Field(description="What was paid on it so far")
    status: str = Field(description="pending, paid or void")


_PLAN_EXAMPLE: dict[str, Any] = _CUSTOMER_EXAMPLE | {
    "version": 1,
    "plan_id": _P,
    "revision": 2,
    "status": "accepted",
    "source": "portal",
    "collector_id": None,
    "currency": "ARS",
    "invoice_ids": [_I],
    "installments": [
        {
            "number": n,
            "invoice_id": None,
            "due_date": f"2027-0{n}-10",
            "amount": "100000.00",
            "paid_amount": "0",
            "status": "pending",
        }
        for n in (1, 2, 3)
    ],
    "principal": "300000.00",
    "down_payment": "0",
    "interest_annual_rate": "0",
    "interest_amount": "0",
    "total": "300000.00",
    "paid_amount": "0",
    "grace_days": 5,
    "accepted_on": "2026-12-07",
    "completed_on": None,
    "broken_on": None,
    "reason": None,
}


class _PaymentPlan(_Customer):
    """A payment plan's whole state (seed 004: "Renegociar la deuda a tres plazos"): the invoices it groups, its
    installments (each an invoice of kind ``installment`` once accepted), what was paid."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PLAN_EXAMPLE]})

    version: Literal[1] = 1
    plan_id: uuid.UUID = Field(description="cobranza's id of the plan (``/v1/payment-plans``)")
    revision: int = Field(description="The plan's revision: a later one is a later state")
    status: str = Field(description="proposed, accepted, completed, broken, rejected or cancelled")
    source: str = Field(description="Who proposed it: collector, portal or erp")
    collector_id: uuid.UUID | None = None
    currency: Currency
    invoice_ids: list[uuid.UUID] = Field(description="The invoices it groups (``in_plan`` while it is accepted)")
    installments: list[PaymentPlanInstallmentV1]
    principal: DecimalString = Field(description="The grouped debt")
    down_payment: DecimalString
    interest_annual_rate: DecimalString
    interest_amount: DecimalString
    total: DecimalString = Field(description="Principal plus interest: what the installments add up to")
    paid_amount: DecimalString = Field(description="What the installments collected so far")
    grace_days: int = Field(description="Days an installment may stay unpaid past its due date")
    accepted_on: date | None = None
    completed_on: date | None = None
    broken_on: date | None = None
    reason: str | None = Field(None, description="Why it was rejected, cancelled or broken")


class PaymentPlanProposedV1(_PaymentPlan):
    """Sent when a plan is proposed (by a collector, the debtor's portal or the ERP): nothing changes yet."""


class PaymentPlanAcceptedV1(_PaymentPlan):
    """Sent when a plan is accepted: its invoices are ``in_plan`` and its installments are invoices of their own."""


class PaymentPlanUpdatedV1(_PaymentPlan):
    """Sent when an accepted plan changes without ending, e.g. a payment allocated to an installment."""


class PaymentPlanCompletedV1(_PaymentPlan):
    """Sent when every installment is paid: the grouped invoices are paid."""


class PaymentPlanBrokenV1(_PaymentPlan):
    """Sent when an installment stayed unpaid past the grace days: the unpaid installments are void and the grouped
    invoices are back to ``normal`` with their own due dates, their open amounts net of what the plan collected."""


class PaymentPlanRejectedV1(_PaymentPlan):
    """Sent when a proposed plan is rejected."""


class PaymentPlanCancelledV1(_PaymentPlan):
    """Sent when a plan is cancelled."""


class WebhookPingV1(_Payload):
    """Sent on request to one endpoint (``POST /v1/webhook-endpoints/{id}/test``) to check the integration."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": 1,
                    "endpoint_id": _P,
                    "url": "https://erp.example.com/hooks/cobranza",
                    "sent_at": "2026-12-06T13:05:00Z",
                }
            ]
        }
    )

    version: Literal[1] = 1
    endpoint_id: uuid.UUID = Field(description="The endpoint being tested")
    url: str = Field(description="The endpoint's URL")
    sent_at: datetime = Field(description="When the test was asked for")


PAYLOADS: dict[WebhookEventType, type[BaseModel]] = {
    WebhookEventType.INVOICE_STATUS_CHANGED: InvoiceStatusChangedV1,
    WebhookEventType.PROMISE_MADE: PromiseMadeV1,
    WebhookEventType.PROMISE_KEPT: PromiseKeptV1,
    WebhookEventType.PROMISE_BROKEN: PromiseBrokenV1,
    WebhookEventType.PAYMENT_REPORTED: PaymentReportedV1,
    WebhookEventType.PAYMENT_ALLOCATED: PaymentAllocatedV1,
    WebhookEventType.DISPUTE_OPENED: DisputeOpenedV1,
    WebhookEventType.DISPUTE_RESOLVED: DisputeResolvedV1,
    WebhookEventType.ACTION_ITEM_CREATED: ActionItemCreatedV1,
    WebhookEventType.ACTION_ITEM_RESOLVED: ActionItemResolvedV1,
    WebhookEventType.MESSAGE_SENT: MessageSentV1,
    WebhookEventType.MESSAGE_DELIVERED: MessageDeliveredV1,
    WebhookEventType.MESSAGE_FAILED: MessageFailedV1,
    WebhookEventType.CONTACT_INVALID: ContactInvalidV1,
    WebhookEventType.CUSTOMER_OPTED_OUT: CustomerOptedOutV1,
    WebhookEventType.CUSTOMER_REPLIED: CustomerRepliedV1,
    WebhookEventType.PORTAL_ACTION_TAKEN: PortalActionTakenV1,
    WebhookEventType.CHARGE_RECORDED: ChargeRecordedV1,
    WebhookEventType.CHARGE_WAIVED: ChargeWaivedV1,
    WebhookEventType.CHARGE_INVOICED: ChargeInvoicedV1,
    WebhookEventType.PAYMENT_PLAN_PROPOSED: PaymentPlanProposedV1,
    WebhookEventType.PAYMENT_PLAN_ACCEPTED: PaymentPlanAcceptedV1,
    WebhookEventType.PAYMENT_PLAN_UPDATED: PaymentPlanUpdatedV1,
    WebhookEventType.PAYMENT_PLAN_COMPLETED: PaymentPlanCompletedV1,
    WebhookEventType.PAYMENT_PLAN_BROKEN: PaymentPlanBrokenV1,
    WebhookEventType.PAYMENT_PLAN_REJECTED: PaymentPlanRejectedV1,
    WebhookEventType.PAYMENT_PLAN_CANCELLED: PaymentPlanCancelledV1,
    WebhookEventType.PING: WebhookPingV1,
}
"""Each event type's payload (the body's ``data``)."""


def _envelope(event_type: WebhookEventType, payload: type[BaseModel]) -> type[BaseModel]:
    """The body on the wire for one type: ``{"type", "timestamp", "data"}``, exact per type (OpenAPI)."""
    name = payload.__name__.removesuffix("V1") + "Event"
    example: dict[str, Any] = {"type": event_type.value, "timestamp": "2026-12-06T13:05:00Z"}
    # a Literal of a value known only at run time: a type to pydantic, not to mypy
    type_field: Any = (Literal[event_type.value], Field(description="The event type"))
    model = create_model(
        name,
        __base__=_Payload,
        __doc__=f"The body of a ``{event_type.value}`` webhook. {payload.__doc__}",
        type=type_field,
        timestamp=(datetime, Field(description="When it happened")),
        data=(payload, Field(description="The payload, versioned (its `version`)")),
    )
    extra = payload.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    data = examples if isinstance(examples, list) else []
    model.model_config["json_schema_extra"] = {"examples": [example | {"data": e} for e in data]}
    model.model_rebuild(force=True)
    return model


WEBHOOK_BODIES: dict[WebhookEventType, type[BaseModel]] = {t: _envelope(t, p) for t, p in PAYLOADS.items()}
"""Each event type's whole body as delivered, for the OpenAPI ``webhooks`` section."""
