"""Commands to messaging, and the events it reports back (timeline, acceptance, delivery, opt-outs).

A communication carries everything its template needs, so messaging never looks anything up; except a dunning run's
(``SendDispatchedCommunications``, issue 13): those name the run's dispatches, and messaging asks dunning for their
content when it accepts them.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from shared.contracts.common import Channel, ChargeLine, InvoiceLine, MoneyAmount, Person
from shared.messages import Command, Event, register


class CommunicationKind(StrEnum):
    """Seed 000's four automatic communications, the unreachable-customer email, digests, campaigns, and the
    confirmation of what a customer did on the portal (issue 17).

    ``confirmation`` is transactional: the customer asked for it by acting, so it is not counted against the
    frequency cap (nor does it delay a reminder); the contact window and opt-outs still apply. Its templates read
    ``data.action``: ``promise``, ``payment_reported``, ``dispute``, ``call_requested`` or ``plan_requested``, and
    these keys when the action has them, each already formatted for the customer's language: ``data.promised_date``
    (promise), ``data.amount`` (payment reported, plan), ``data.paid_on``, ``data.reference`` (payment reported),
    ``data.invoice_numbers`` (the invoices concerned, one phrase), ``data.call_at`` and ``data.phone`` (call),
    ``data.installments`` (plan), ``data.reason`` (dispute); ``data.reference_code`` names the request (the audit's
    id, shortened).
    """

    NEW_INVOICE = "new_invoice"
    PRE_DUE = "pre_due"
    OVERDUE = "overdue"
    ACTION_NOTICE = "action_notice"
    UNREACHABLE = "unreachable"
    ALARM_DIGEST = "alarm_digest"
    CAMPAIGN = "campaign"
    CONFIRMATION = "confirmation"


class CustomerInfo(BaseModel):
    customer_id: uuid.UUID
    external_id: str | None = None
    name: str
    tax_id: str | None = None
    country: str | None = None
    timezone: str | None = None
    language: str | None = None


# Seed 004, principle 8 (tone by the age of the debt in 3 levels): (up to these days overdue, this tone), then firm.
TONE_AGES = ((15, 1), (45, 2))
FIRM_TONE = 3


def tone_by_age(days_overdue: int | None) -> int:
    """Friendly up to 15 days overdue, concerned up to 45, firm after (``TONE_AGES``). Dunning raises a step's
    tone by it (its run in SQL reads the same table); messaging uses it when none is given."""
    if days_overdue is None:
        return TONE_AGES[0][1]
    return next((tone for limit, tone in TONE_AGES if days_overdue <= limit), FIRM_TONE)


class Communication(BaseModel):
    idempotency_key: str = Field(description="A duplicate command with the same key is a no-op")
    kind: CommunicationKind
    channel: Channel
    to: str = Field(description="Address on the channel: email, or E.164 phone")
    language: str = "es"
    tone: int | None = Field(None, ge=1, le=3, description="1 friendly, 2 concerned, 3 firm (seed 004)")
    customer: CustomerInfo | None = None
    recipient_name: str | None = None
    invoices: list[InvoiceLine] = Field(
        default_factory=list,
        description="Dunning: the customer's full open position, overdue first (oldest due first), then not yet "
        "due (by due date); credit notes are not listed (issue 12)",
    )
    totals: list[MoneyAmount] = Field(
        default_factory=list,
        description="Per currency: overdue and demanded (paused excluded) minus unapplied credits, never below 0",
    )
    open_totals: list[MoneyAmount] = Field(
        default_factory=list,
        description="Per currency: everything open and demanded (overdue and not yet due) minus credits, never below 0",
    )
    credits: list[MoneyAmount] = Field(default_factory=list, description="Unapplied credits per currency")
    charges: list[ChargeLine] = Field(
        default_factory=list, description="Open late charges (issue 19), documents of their own beside the invoices"
    )
    overdue_count: int | None = Field(None, description="Overdue demanded invoices in the position")
    oldest_days_overdue: int | None = Field(None, description="Days overdue of the oldest overdue demanded invoice")
    action: str | None = None
    collector: Person | None = None
    advisor: Person | None = None
    supervisor: Person | None = None
    attach_statement: bool = False
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra template data (digests, campaigns): an open object by design, whatever keys the "
        "tenant's own templates read (`data.<key>`)",
    )
    source: str = Field(description="Service that asked: dunning, receivables, alarms")
    source_ref: str | None = None


@register
class SendCommunications(Command):
    """Batches, because one job per message would cost more than the message (issue 4)."""

    message_type = "messaging.send_communications"

    communications: list[Communication]


# The most dispatches messaging asks dunning for in one request (and a command names)
DISPATCHES_ASKED_AT_ONCE = 1000


@register
class SendDispatchedCommunications(Command):
    """A dunning run's communications by reference (issue 13: "the communication's content materialized later by
    messaging"): the run writes its dispatches and these small commands, and messaging, accepting them, asks dunning
    for their communications (``POST /internal/dispatched-communications``), each as ``SendCommunications`` would
    carry it, the customer's position read then. A run over a million invoices so no longer builds and moves some
    hundred megabytes of messages that messaging takes minutes to send anyway."""

    message_type = "messaging.send_dispatched_communications"

    dispatch_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=DISPATCHES_ASKED_AT_ONCE, description="Dunning's dispatches, in order"
    )


class CallTask(BaseModel):
    """A call step due for one customer (issue 18): the script the tenant wrote and what its tags read (the same
    position a dunning message carries), for the customer's collector."""

    idempotency_key: str = Field(description="The task's key in receivables: a second command creates no second task")
    customer_id: uuid.UUID
    assignee_id: uuid.UUID | None = Field(None, description="The customer's collector (None: receivables' default)")
    due_date: date = Field(description="The run's business day")
    step_key: str
    script: str = Field(description="The step's script, a text template with the message templates' tags")
    language: str = "es"
    tone: int | None = Field(None, ge=1, le=3)
    customer: CustomerInfo | None = None
    recipient_name: str | None = None
    invoices: list[InvoiceLine] = Field(default_factory=list, description="The whole open position, as a message's")
    totals: list[MoneyAmount] = Field(default_factory=list)
    open_totals: list[MoneyAmount] = Field(default_factory=list)
    credits: list[MoneyAmount] = Field(default_factory=list)
    overdue_count: int | None = None
    oldest_days_overdue: int | None = None
    collector: Person | None = None
    advisor: Person | None = None
    supervisor: Person | None = None
    data: dict[str, Any] = Field(default_factory=dict, description="`as_of`, `run_id`, `steps` (invoice id: step key)")


@register
class PrepareCallTasks(Command):
    """Dunning's call steps of a run: messaging renders each script for its customer (the templates' engine, tags
    and sandbox) and asks receivables for the task (``receivables.create_task``), rendered or, when the script
    fails, with the raw script and the problem."""

    message_type = "messaging.prepare_call_tasks"

    calls: list[CallTask]


class MessageState(StrEnum):
    QUEUED = "queued"
    DEFERRED = "deferred"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    BOUNCED = "bounced"


@register
class MessageStatusChanged(Event):
    """A message was accepted (``queued``/``deferred``) or its delivery moved on."""

    message_type = "messaging.message_status_changed"

    message_id: uuid.UUID
    idempotency_key: str
    source: str
    source_ref: str | None = None
    customer_id: uuid.UUID | None = None
    customer_external_id: str | None = Field(None, description="The ERP's id of the customer, when known")
    kind: CommunicationKind
    channel: Channel
    to: str
    subject: str | None = None
    invoice_ids: list[uuid.UUID] = []
    state: MessageState
    attempts: int = 0
    error: str | None = None
    occurred_at: datetime
    # Optional, for the timeline: a stable error code (opted_out, invalid_contact, 21211, smtp_550...), when a
    # queued or deferred message is due and why it was deferred (quiet_hours, holiday, frequency_cap), the text's start.
    error_code: str | None = None
    scheduled_at: datetime | None = None
    deferred_reason: str | None = None
    preview: str | None = None


@register
class ContactInvalidated(Event):
    """A permanent delivery error (invalid number, hard bounce): the contact must not be used again."""

    message_type = "messaging.contact_invalidated"

    customer_id: uuid.UUID
    customer_external_id: str | None = Field(None, description="The ERP's id of the customer, when known")
    channel: Channel
    address: str
    reason: str


@register
class OptOutRecorded(Event):
    """The customer asked for no more messages on a channel (SMS STOP, unsubscribe link)."""

    message_type = "messaging.opt_out_recorded"

    customer_id: uuid.UUID
    customer_external_id: str | None = Field(None, description="The ERP's id of the customer, when known")
    channel: Channel
    address: str
    source: str


@register
class ReplyReceived(Event):
    """A customer wrote back: an inbound SMS or WhatsApp message, or an email reply (issue 10).

    Receivables puts it on the timeline and gives the collector a task; dunning pauses the customer's automatic
    reminders for the tenant's ``reply_pause_days``. A STOP/BAJA reply is also recorded as an opt-out by messaging
    (``opt_out`` true): it reaches the timeline but pauses nothing and asks for no task.
    """

    message_type = "messaging.reply_received"

    reply_id: uuid.UUID
    customer_id: uuid.UUID | None = None
    customer_external_id: str | None = Field(None, description="The ERP's id of the customer, when known")
    channel: Channel
    from_address: str
    subject: str | None = None
    body: str = Field("", description="The reply's text (quoted history cut where it can be), at most 4,000 chars")
    in_reply_to: uuid.UUID | None = Field(None, description="Our message the customer answered, when known")
    opt_out: bool = False
    received_at: datetime


@register
class WebhookReceived(Command):
    """A provider's callback (status, inbound message) as the gateway received and stored it, for messaging to
    verify and apply (issue 10): the gateway answers the provider at once, so a busy messaging loses nothing.

    The signature is checked by messaging against ``signed_urls`` (Twilio signs the URL it called) or the raw body
    (WhatsApp). The envelope's tenant is the one named in the path, if any.
    """

    message_type = "messaging.webhook_received"

    request_id: uuid.UUID = Field(description="The gateway's stored request")
    path: str
    query: str = ""
    headers: dict[str, str] = Field(default_factory=dict, description="content-type and the provider's signatures")
    body_base64: str
    signed_urls: list[str] = Field(description="The public URLs the provider may have called and signed")
    received_at: datetime


class PortalLink(BaseModel):
    """One link to the customer's own page that a message carries (issue 17): only the token's hash travels."""

    token_hash: str = Field(description="SHA-256 of the link's token, hex (``shared.portal_links.token_hash``)")
    customer_id: uuid.UUID
    message_id: uuid.UUID | None = None
    channel: Channel | None = None
    language: str | None = None
    issued_at: datetime


@register
class PortalLinksIssued(Event):
    """Messaging rendered messages carrying ``{{ portal_link }}``: the portal keeps each link, so it opens the
    customer's page (until it expires or the tenant revokes it). One event per accepted batch."""

    message_type = "messaging.portal_links_issued"

    links: list[PortalLink]
