"""Which internal events become which catalogue events (``shared.contracts.webhooks``): the one mapping.

Interface between the service (which stores and delivers) and the catalogue (which decides what is announced):
``CONSUMED_MESSAGES`` are the internal message types the webhooks worker handles; ``webhook_events`` turns a batch
of them into the events to deliver; ``document_webhooks`` adds every event type's payload to the app's OpenAPI
``webhooks`` section.

Each real-world fact is announced once, by one internal event:

- ``invoice.status_changed``, ``payment.reported``, ``dispute.opened``, ``dispute.resolved``: receivables'
  ``InvoiceStatusChanged`` (one per invoice and change, whatever made it). A new reported date while the invoice is
  already ``payment_reported`` is a new report; a new dispute area is not a new dispute.
- ``promise.made`` / ``.kept`` / ``.broken``: ``PromiseMade`` / ``PromiseKept`` / ``PromiseBroken``, not the
  status change to ``promise_to_pay`` (which says nothing of the promise's id) nor ``OutcomeRecorded``.
- ``payment.allocated``: ``PaymentApplied`` (also a reversal: ``reversed`` and the allocations undone).
- ``action_item.created`` / ``.resolved``: dunning's ``ActionItemChanged`` whose ``change`` is ``created`` /
  ``resolved`` (an assignment or a notice update announces nothing).
- ``message.sent`` / ``.delivered`` / ``.failed``: messaging's ``MessageStatusChanged`` of a message to a customer
  (staff digests are not the ERP's business) in state ``sent``; ``delivered`` or ``read``; ``failed`` or
  ``bounced``. Queued, deferred and sending are internal steps.
- ``contact.invalid``, ``customer.opted_out``, ``customer.replied``: ``ContactInvalidated``, ``OptOutRecorded``,
  ``ReplyReceived``.
- ``portal.action_taken``: the portal's ``PortalActionTaken`` (a debtor's action on its page, once it is done).
- ``charge.recorded`` / ``.waived`` / ``.invoiced``: receivables' ``ChargeChanged`` in status ``open`` / ``waived``
  / ``invoiced`` (issue 19: a late charge recorded once by key, forgiven by a manager, invoiced by the ERP).
- ``payment_plan.proposed`` / ``.accepted`` / ``.completed`` / ``.broken`` / ``.rejected`` / ``.cancelled``:
  receivables' ``PaymentPlanChanged`` in that status (issue 19), once per plan and status; an accepted plan that
  already collected something (an installment paid) is ``payment_plan.updated``, once per revision.

The ``event_id`` is ``evt_`` + ``uuid5(basis, type)``: the basis is the fact's own id where it has one that
happens once (a promise, an action item, a message, a reply), else the internal envelope's id. A repeated internal
event yields the same id; so does a second announcement of the same fact (a message read after it was delivered is
the same ``message.delivered``), which the store keeps once.
"""

import json
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Body, FastAPI
from pydantic import BaseModel

from shared.contracts.common import ChargeStatus, InvoiceStatus
from shared.contracts.dunning import ActionItemChanged
from shared.contracts.messaging import (
    ContactInvalidated,
    MessageState,
    MessageStatusChanged,
    OptOutRecorded,
    ReplyReceived,
)
from shared.contracts.portal import PortalActionTaken
from shared.contracts.receivables import (
    ChargeChanged,
    InvoiceStatusChanged,
    PaymentApplied,
    PaymentPlanChanged,
    PlanStatus,
    PromiseBroken,
    PromiseKept,
    PromiseMade,
)
from shared.contracts.webhooks import (
    PAYLOADS,
    WEBHOOK_BODIES,
    ActionItemCreatedV1,
    ActionItemResolvedV1,
    AllocationV1,
    ChargeInvoicedV1,
    ChargeRecordedV1,
    ChargeWaivedV1,
    ContactInvalidV1,
    CustomerOptedOutV1,
    CustomerRepliedV1,
    DisputeOpenedV1,
    DisputeResolvedV1,
    InvoiceStatusChangedV1,
    MessageDeliveredV1,
    MessageFailedV1,
    MessageSentV1,
    OutgoingEvent,
    PaymentAllocatedV1,
    PaymentPlanAcceptedV1,
    PaymentPlanBrokenV1,
    PaymentPlanCancelledV1,
    PaymentPlanCompletedV1,
    PaymentPlanInstallmentV1,
    PaymentPlanProposedV1,
    PaymentPlanRejectedV1,
    PaymentPlanUpdatedV1,
    PaymentReportedV1,
    PortalActionTakenV1,
    PromiseBrokenV1,
    PromiseKeptV1,
    PromiseMadeV1,
    WebhookEventType,
)
from shared.inbox import Received
from shared.messages import Message

T = WebhookEventType
S = InvoiceStatus

# One announcement: its type, the id its event id derives from, its payload.
Announcement = tuple[WebhookEventType, uuid.UUID, BaseModel]


def event_id(basis: uuid.UUID, event_type: WebhookEventType) -> str:
    """The stable ``webhook-id`` of the ``event_type`` announcement of the fact ``basis`` identifies."""
    return "evt_" + uuid.uuid5(basis, event_type.value).hex


def _invoice_fields(
    m: InvoiceStatusChanged | PromiseMade | PromiseKept, invoice_external_id: str | None
) -> dict[str, Any]:
    """The invoice's part (``_Invoice``) of a payload, from an internal event about one invoice."""
    return {
        "customer_id": m.customer_id,
        "customer_external_id": m.customer_external_id,
        "invoice_id": m.invoice_id,
        "invoice_external_id": invoice_external_id,
        "invoice_number": m.number,
        "currency": m.currency,
        "amount": m.amount,
        "open_amount": m.open_amount,
    }


def _status_changed(r: Received[InvoiceStatusChanged]) -> list[Announcement]:
    """The status change itself, and what entering or leaving a paused status means to the ERP."""
    m, basis = r.message, r.envelope.id
    invoice = _invoice_fields(m, m.external_id)
    out: list[Announcement] = []
    if m.previous_status != m.status:
        details: dict[str, Any] = {"promised_date": m.promised_date, "reported_date": m.reported_date}
        details |= {"dispute_area_id": m.dispute_area_id, "reason": m.reason}
        changed = InvoiceStatusChangedV1(**invoice, previous_status=m.previous_status, status=m.status, **details)
        out.append((T.INVOICE_STATUS_CHANGED, basis, changed))
    newly_reported = m.previous_status != S.PAYMENT_REPORTED or m.previous_reported_date != m.reported_date
    if m.status == S.PAYMENT_REPORTED and m.reported_date is not None and newly_reported:
        reported = PaymentReportedV1(**invoice, reported_date=m.reported_date, reason=m.reason)
        out.append((T.PAYMENT_REPORTED, basis, reported))
    if m.status == S.DISPUTE and m.previous_status != S.DISPUTE and m.dispute_area_id is not None:
        opened = DisputeOpenedV1(**invoice, dispute_area_id=m.dispute_area_id, reason=m.reason)
        out.append((T.DISPUTE_OPENED, basis, opened))
    if m.previous_status == S.DISPUTE and m.status != S.DISPUTE:
        area = m.previous_dispute_area_id
        resolved = DisputeResolvedV1(**invoice, dispute_area_id=area, status=m.status, reason=m.reason)
        out.append((T.DISPUTE_RESOLVED, basis, resolved))
    return out


def _promise_made(r: Received[PromiseMade]) -> list[Announcement]:
    m = r.message
    made = PromiseMadeV1(
        **_invoice_fields(m, m.invoice_external_id),
        promise_id=m.promise_id,
        promised_date=m.promised_date,
        promised_amount=m.promised_amount,
        outcome_id=m.outcome_id,
        collector_id=m.collector_id,
    )
    return [(T.PROMISE_MADE, m.promise_id, made)]


def _promise_kept(r: Received[PromiseKept]) -> list[Announcement]:
    m = r.message
    kept = PromiseKeptV1(
        **_invoice_fields(m, m.invoice_external_id),
        promise_id=m.promise_id,
        promised_date=m.promised_date,
        kept_on=m.kept_on,
    )
    return [(T.PROMISE_KEPT, m.promise_id, kept)]


def _promise_broken(r: Received[PromiseBroken]) -> list[Announcement]:
    m = r.message
    broken = PromiseBrokenV1(**m.model_dump(include=set(PromiseBrokenV1.model_fields) - {"version"}))
    return [(T.PROMISE_BROKEN, m.promise_id, broken)]


def _payment_applied(r: Received[PaymentApplied]) -> list[Announcement]:
    m = r.message
    allocated = PaymentAllocatedV1(
        customer_id=m.customer_id,
        customer_external_id=m.customer_external_id,
        payment_id=m.payment_id,
        payment_external_id=m.external_id,
        currency=m.currency,
        amount=m.amount,
        payment_date=m.payment_date,
        allocations=[
            AllocationV1(invoice_id=a.invoice_id, invoice_external_id=a.invoice_external_id, amount=a.amount)
            for a in m.allocations
        ],
        unapplied_amount=m.unapplied_amount,
        reversed=m.reversed,
    )
    return [(T.PAYMENT_ALLOCATED, r.envelope.id, allocated)]


RESOLUTIONS = frozenset({"done", "cancelled"})


def _action_item(r: Received[ActionItemChanged]) -> list[Announcement]:
    """Created: the item's first announcement. Resolved: done or cancelled (once: an item resolves once; an
    announcement from before ``change`` existed counts as resolved by its status)."""
    m = r.message
    common: dict[str, Any] = {"customer_id": m.customer_id, "customer_external_id": m.customer_external_id}
    common |= {"action_item_id": m.action_item_id, "invoice_ids": m.invoice_ids}
    common |= {"action": m.action, "created_on": m.created_on}
    if m.change == "created":
        details = {"assignee_id": m.assignee_id, "note": m.note, "notice_state": m.notice_state}
        return [(T.ACTION_ITEM_CREATED, m.action_item_id, ActionItemCreatedV1(**common, **details))]
    if m.status in RESOLUTIONS and m.change in ("resolved", None):
        resolved = ActionItemResolvedV1(**common, resolution=m.status, resolution_reason=m.resolution_reason)
        return [(T.ACTION_ITEM_RESOLVED, m.action_item_id, resolved)]
    return []


MESSAGE_EVENTS: dict[MessageState, tuple[WebhookEventType, type[BaseModel]]] = {
    MessageState.SENT: (T.MESSAGE_SENT, MessageSentV1),
    MessageState.DELIVERED: (T.MESSAGE_DELIVERED, MessageDeliveredV1),
    MessageState.READ: (T.MESSAGE_DELIVERED, MessageDeliveredV1),
    MessageState.FAILED: (T.MESSAGE_FAILED, MessageFailedV1),
    MessageState.BOUNCED: (T.MESSAGE_FAILED, MessageFailedV1),
}


def _message_status(r: Received[MessageStatusChanged]) -> list[Announcement]:
    m = r.message
    if m.customer_id is None or m.state not in MESSAGE_EVENTS:
        return []
    event_type, model = MESSAGE_EVENTS[m.state]
    fields: dict[str, Any] = {"customer_id": m.customer_id, "customer_external_id": m.customer_external_id}
    fields |= {"message_id": m.message_id, "kind": m.kind, "channel": m.channel}
    fields |= {"to": m.to, "subject": m.subject, "invoice_ids": m.invoice_ids, "occurred_at": m.occurred_at}
    if event_type != T.MESSAGE_SENT:
        fields["state"] = m.state.value
    if event_type == T.MESSAGE_FAILED:
        fields |= {"error": m.error, "error_code": m.error_code, "attempts": m.attempts}
    return [(event_type, m.message_id, model(**fields))]


def _contact_invalidated(r: Received[ContactInvalidated]) -> list[Announcement]:
    m = r.message
    customer = {"customer_id": m.customer_id, "customer_external_id": m.customer_external_id}
    invalid = ContactInvalidV1(**customer, channel=m.channel, address=m.address, reason=m.reason)
    return [(T.CONTACT_INVALID, r.envelope.id, invalid)]


def _opt_out(r: Received[OptOutRecorded]) -> list[Announcement]:
    m = r.message
    customer = {"customer_id": m.customer_id, "customer_external_id": m.customer_external_id}
    opted_out = CustomerOptedOutV1(**customer, channel=m.channel, address=m.address, source=m.source)
    return [(T.CUSTOMER_OPTED_OUT, r.envelope.id, opted_out)]


def _reply(r: Received[ReplyReceived]) -> list[Announcement]:
    m = r.message
    replied = CustomerRepliedV1(**m.model_dump(include=set(CustomerRepliedV1.model_fields) - {"version"}))
    return [(T.CUSTOMER_REPLIED, m.reply_id, replied)]


PORTAL_FIELDS = frozenset(PortalActionTakenV1.model_fields) - {
    "version",
    "customer_id",
    "customer_external_id",
    "action_id",
    "kind",
    "taken_at",
}


def _portal_action(r: Received[PortalActionTaken]) -> list[Announcement]:
    """The action's own fields from what the debtor asked and what it became (an invoice named alone is a list
    of one; anything else of the audit's stays in ``/v1/portal-actions``)."""
    m = r.message
    fields = {k: v for k, v in {**m.detail, **m.result}.items() if k in PORTAL_FIELDS and v is not None}
    if "invoice_id" in m.detail:
        fields["invoice_ids"] = [m.detail["invoice_id"]]
    taken = PortalActionTakenV1(
        customer_id=m.customer_id,
        customer_external_id=m.customer_external_id,
        action_id=m.action_id,
        kind=m.kind,
        taken_at=m.at,
        **fields,
    )
    return [(T.PORTAL_ACTION_TAKEN, m.action_id, taken)]


CHARGE_EVENTS: dict[ChargeStatus, tuple[WebhookEventType, type[BaseModel]]] = {
    ChargeStatus.OPEN: (T.CHARGE_RECORDED, ChargeRecordedV1),
    ChargeStatus.WAIVED: (T.CHARGE_WAIVED, ChargeWaivedV1),
    ChargeStatus.INVOICED: (T.CHARGE_INVOICED, ChargeInvoicedV1),
}


def _charge(r: Received[ChargeChanged]) -> list[Announcement]:
    """A charge is recorded, waived and invoiced once each: its id is the basis, a repeat is the same event."""
    m = r.message
    event_type, model = CHARGE_EVENTS[m.status]
    return [(event_type, m.charge_id, model(**m.model_dump(exclude={"status"})))]


PLAN_EVENTS: dict[PlanStatus, tuple[WebhookEventType, type[BaseModel]]] = {
    PlanStatus.PROPOSED: (T.PAYMENT_PLAN_PROPOSED, PaymentPlanProposedV1),
    PlanStatus.ACCEPTED: (T.PAYMENT_PLAN_ACCEPTED, PaymentPlanAcceptedV1),
    PlanStatus.COMPLETED: (T.PAYMENT_PLAN_COMPLETED, PaymentPlanCompletedV1),
    PlanStatus.BROKEN: (T.PAYMENT_PLAN_BROKEN, PaymentPlanBrokenV1),
    PlanStatus.REJECTED: (T.PAYMENT_PLAN_REJECTED, PaymentPlanRejectedV1),
    PlanStatus.CANCELLED: (T.PAYMENT_PLAN_CANCELLED, PaymentPlanCancelledV1),
}
PLAN_FIELDS = frozenset(PaymentPlanAcceptedV1.model_fields) - {"version", "installments"}


def _payment_plan(r: Received[PaymentPlanChanged]) -> list[Announcement]:
    """A status is announced once per plan (basis: the plan); an accepted plan that collected something is an
    update, once per revision (basis: the plan and its revision)."""
    m = r.message
    event_type, model = PLAN_EVENTS[m.status]
    basis = m.plan_id
    if m.status == PlanStatus.ACCEPTED and m.paid_amount > 0:
        event_type, model = T.PAYMENT_PLAN_UPDATED, PaymentPlanUpdatedV1
        basis = uuid.uuid5(m.plan_id, f"revision-{m.revision}")
    installments = [PaymentPlanInstallmentV1(**i.model_dump()) for i in m.installments]
    payload = model(**m.model_dump(include=set(PLAN_FIELDS)), installments=installments)
    return [(event_type, basis, payload)]


MAPPING: dict[type[Message], Callable[[Received[Any]], list[Announcement]]] = {
    InvoiceStatusChanged: _status_changed,
    PromiseMade: _promise_made,
    PromiseKept: _promise_kept,
    PromiseBroken: _promise_broken,
    PaymentApplied: _payment_applied,
    ActionItemChanged: _action_item,
    MessageStatusChanged: _message_status,
    ContactInvalidated: _contact_invalidated,
    OptOutRecorded: _opt_out,
    ReplyReceived: _reply,
    PortalActionTaken: _portal_action,
    ChargeChanged: _charge,
    PaymentPlanChanged: _payment_plan,
}

CONSUMED_MESSAGES: tuple[type[Message], ...] = tuple(MAPPING)


def webhook_events(batch: list[Received[Any]]) -> list[OutgoingEvent]:
    """The catalogue events a batch of internal messages announces, in order. Pure: no I/O."""
    events = []
    for received in batch:
        announce = MAPPING.get(type(received.message))
        for event_type, basis, payload in announce(received) if announce else ():
            events.append(
                OutgoingEvent(
                    tenant_id=received.tenant_id,
                    event_id=event_id(basis, event_type),
                    event_type=event_type,
                    occurred_at=received.envelope.occurred_at,
                    data=payload.model_dump(mode="json"),
                )
            )
    return events


def document_webhooks(app: FastAPI) -> None:
    """Declare every catalogue event type in ``app``'s OpenAPI ``webhooks`` section: the body on the wire
    (``{"type", "timestamp", "data"}``, exact per type) and what the receiver answers."""
    for event_type, body in WEBHOOK_BODIES.items():
        _declare(app, event_type, body)
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        for item in schema.get("webhooks", {}).values():
            for operation in item.values():
                operation["responses"].pop("422", None)  # FastAPI's own answer to a bad body: not the ERP's
        components = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            removed = components.pop(name, None)
            if removed is not None and f'"#/components/schemas/{name}"' in json.dumps(schema):  # used elsewhere
                components[name] = removed
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _declare(app: FastAPI, event_type: WebhookEventType, body: type[BaseModel]) -> None:
    async def receive(event: Annotated[body, Body()]) -> None:  # type: ignore[valid-type]
        """Only documents the request cobranza makes; nothing serves it."""

    receive.__doc__ = PAYLOADS[event_type].__doc__
    app.webhooks.post(
        event_type.value,
        operation_id=f"webhook_{event_type.value.replace('.', '_')}",
        summary=event_type.value,
        tags=["webhooks"],
        status_code=204,
        responses={
            204: {"description": "Received (any 2xx). Anything else, or no answer in time, is retried."},
        },
    )(receive)
