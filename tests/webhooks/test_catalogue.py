"""The catalogue's mapping from internal events to webhook events: pure, so tested without I/O."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from services.webhooks.deliveries.catalogue import CONSUMED_MESSAGES, document_webhooks, event_id, webhook_events
from shared.contracts.common import Channel, ChargeKind, ChargeStatus, InvoiceStatus
from shared.contracts.dunning import ActionItemChanged
from shared.contracts.messaging import (
    CommunicationKind,
    ContactInvalidated,
    MessageState,
    MessageStatusChanged,
    OptOutRecorded,
    ReplyReceived,
)
from shared.contracts.portal import PortalActionTaken
from shared.contracts.receivables import (
    Allocation,
    ChargeChanged,
    InvoiceStatusChanged,
    PaymentApplied,
    PaymentPlanChanged,
    PlanInstallment,
    PlanStatus,
    PromiseBroken,
    PromiseKept,
    PromiseMade,
)
from shared.contracts.webhooks import PAYLOADS, WEBHOOK_BODIES, WebhookEventType
from shared.inbox import Received
from shared.messages import Envelope, Message

T = WebhookEventType
S = InvoiceStatus
TENANT = uuid.UUID("7d1f3c4e-0000-4000-8000-000000000001")
CUSTOMER = uuid.uuid4()
INVOICE = uuid.uuid4()
AREA = uuid.uuid4()
AT = datetime(2026, 12, 6, 13, 5, tzinfo=UTC)


def received(message: Message, envelope_id: uuid.UUID | None = None) -> Received[Message]:
    envelope = Envelope.wrap(message, TENANT, envelope_id or uuid.uuid4())
    return Received(envelope.model_copy(update={"occurred_at": AT}), message)


def status_change(previous: S, status: S, **details: object) -> InvoiceStatusChanged:
    fields = {"invoice_id": INVOICE, "revision": 4, "external_id": "ERP-F-1", "number": "A-1", "currency": "ARS"}
    fields |= {"customer_id": CUSTOMER, "customer_external_id": "ERP-C-1", "amount": Decimal("1000.00")}
    fields |= {"open_amount": Decimal("400.50"), "previous_status": previous, "status": status, "reason": "test"}
    return InvoiceStatusChanged(**fields | details)


def message_status(state: MessageState, message_id: uuid.UUID | None = None, **more: object) -> MessageStatusChanged:
    fields = {"message_id": message_id or uuid.uuid4(), "idempotency_key": "k", "source": "dunning"}
    fields |= {"customer_id": CUSTOMER, "kind": CommunicationKind.OVERDUE, "channel": Channel.EMAIL}
    fields |= {"to": "pagos@cliente.example", "invoice_ids": [INVOICE], "state": state, "occurred_at": AT}
    return MessageStatusChanged(**fields | more)


def action_item(status: str, change: str | None, item_id: uuid.UUID | None = None) -> ActionItemChanged:
    return ActionItemChanged(
        action_item_id=item_id or uuid.uuid4(),
        customer_id=CUSTOMER,
        customer_external_id="ERP-C-1",
        invoice_ids=[INVOICE],
        action="suspend_service",
        status=status,
        created_on=date(2026, 12, 6),
        resolution_reason="paid" if status == "cancelled" else None,
        change=change,
    )


def charge_changed(status: ChargeStatus, charge_id: uuid.UUID | None = None, **more: object) -> ChargeChanged:
    fields = {"charge_id": charge_id or uuid.uuid4(), "key": f"{INVOICE}:interest:2026-11", "invoice_id": INVOICE}
    fields |= {"invoice_external_id": "ERP-F-1", "invoice_number": "A-1", "customer_id": CUSTOMER}
    fields |= {"customer_external_id": "ERP-C-1", "kind": ChargeKind.INTEREST, "description": "Interés noviembre"}
    fields |= {"currency": "ARS", "amount": Decimal("73.97"), "charged_on": date(2026, 11, 30), "status": status}
    return ChargeChanged(**fields | more)


PROMISE = uuid.uuid4()
PLAN = uuid.uuid4()


def plan_changed(status: PlanStatus, paid: str = "0", revision: int = 1) -> PaymentPlanChanged:
    """A three-installment plan (seed 004: "Renegociar la deuda a tres plazos") in ``status``."""
    installments = [
        PlanInstallment(number=n, invoice_id=uuid.uuid4(), due_date=date(2027, n, 10), amount=Decimal("100.00"))
        for n in (1, 2, 3)
    ]
    return PaymentPlanChanged(
        plan_id=PLAN,
        revision=revision,
        customer_id=CUSTOMER,
        customer_external_id="ERP-C-1",
        currency="ARS",
        status=status,
        source="portal",
        invoice_ids=[INVOICE],
        installments=installments,
        principal=Decimal("300.00"),
        total=Decimal("300.00"),
        paid_amount=Decimal(paid),
        grace_days=5,
    )


# One internal message per catalogue event type (the ping is the webhooks service's own).
SAMPLES: dict[WebhookEventType, Message] = {
    T.INVOICE_STATUS_CHANGED: status_change(S.NORMAL, S.VOID),
    T.PROMISE_MADE: PromiseMade(
        promise_id=PROMISE,
        invoice_id=INVOICE,
        number="A-1",
        customer_id=CUSTOMER,
        promised_date=date(2026, 12, 20),
        currency="ARS",
        promised_amount=Decimal("400.50"),
        amount=Decimal("1000.00"),
        open_amount=Decimal("400.50"),
    ),
    T.PROMISE_KEPT: PromiseKept(
        promise_id=PROMISE,
        invoice_id=INVOICE,
        number="A-1",
        customer_id=CUSTOMER,
        promised_date=date(2026, 12, 20),
        kept_on=date(2026, 12, 19),
        currency="ARS",
        amount=Decimal("1000.00"),
        open_amount=Decimal("0.00"),
    ),
    T.PROMISE_BROKEN: PromiseBroken(
        promise_id=PROMISE,
        invoice_id=INVOICE,
        invoice_external_id="ERP-F-1",
        customer_id=CUSTOMER,
        promised_date=date(2026, 12, 20),
        broken_on=date(2026, 12, 21),
        currency="ARS",
        open_amount=Decimal("400.50"),
    ),
    T.PAYMENT_REPORTED: status_change(S.NORMAL, S.PAYMENT_REPORTED, reported_date=date(2026, 12, 5)),
    T.PAYMENT_ALLOCATED: PaymentApplied(
        payment_id=uuid.uuid4(),
        customer_id=CUSTOMER,
        external_id="ERP-R-1",
        customer_external_id="ERP-C-1",
        currency="ARS",
        amount=Decimal("600.00"),
        payment_date=date(2026, 12, 5),
        allocations=[Allocation(invoice_id=INVOICE, amount=Decimal("599.50"), invoice_external_id="ERP-F-1")],
        unapplied_amount=Decimal("0.50"),
    ),
    T.DISPUTE_OPENED: status_change(S.NORMAL, S.DISPUTE, dispute_area_id=AREA),
    T.DISPUTE_RESOLVED: status_change(S.DISPUTE, S.NORMAL, previous_dispute_area_id=AREA),
    T.ACTION_ITEM_CREATED: action_item("open", "created"),
    T.ACTION_ITEM_RESOLVED: action_item("done", "resolved"),
    T.MESSAGE_SENT: message_status(MessageState.SENT),
    T.MESSAGE_DELIVERED: message_status(MessageState.DELIVERED),
    T.MESSAGE_FAILED: message_status(MessageState.BOUNCED, error="550 user unknown", error_code="smtp_550"),
    T.CONTACT_INVALID: ContactInvalidated(
        customer_id=CUSTOMER, channel=Channel.SMS, address="+5491155550000", reason="21211"
    ),
    T.CUSTOMER_OPTED_OUT: OptOutRecorded(
        customer_id=CUSTOMER, channel=Channel.SMS, address="+5491155550000", source="sms_stop"
    ),
    T.CUSTOMER_REPLIED: ReplyReceived(
        reply_id=uuid.uuid4(),
        customer_id=CUSTOMER,
        channel=Channel.WHATSAPP,
        from_address="+5491155550000",
        body="Pago el viernes",
        received_at=AT,
    ),
    T.PORTAL_ACTION_TAKEN: PortalActionTaken(
        action_id=uuid.uuid4(),
        customer_id=CUSTOMER,
        customer_external_id="ERP-C-1",
        kind="promise",
        detail={"promised_date": "2026-12-20"},
        result={"outcome_id": str(PROMISE)},
        at=AT,
    ),
    T.CHARGE_RECORDED: charge_changed(ChargeStatus.OPEN),
    T.CHARGE_WAIVED: charge_changed(ChargeStatus.WAIVED, waived_by="user:1", waive_reason="Cliente histórico"),
    T.CHARGE_INVOICED: charge_changed(ChargeStatus.INVOICED, erp_document="ND-0001-77"),
    T.PAYMENT_PLAN_PROPOSED: plan_changed(PlanStatus.PROPOSED),
    T.PAYMENT_PLAN_ACCEPTED: plan_changed(PlanStatus.ACCEPTED),
    T.PAYMENT_PLAN_UPDATED: plan_changed(PlanStatus.ACCEPTED, paid="100.00", revision=3),
    T.PAYMENT_PLAN_COMPLETED: plan_changed(PlanStatus.COMPLETED, paid="300.00"),
    T.PAYMENT_PLAN_BROKEN: plan_changed(PlanStatus.BROKEN, paid="100.00"),
    T.PAYMENT_PLAN_REJECTED: plan_changed(PlanStatus.REJECTED),
    T.PAYMENT_PLAN_CANCELLED: plan_changed(PlanStatus.CANCELLED),
}


def types_of(message: Message, envelope_id: uuid.UUID | None = None) -> list[WebhookEventType]:
    return [e.event_type for e in webhook_events([received(message, envelope_id)])]


def test_every_consumed_message_is_routed_to_the_webhooks_service():
    assert CONSUMED_MESSAGES
    for message in CONSUMED_MESSAGES:
        assert "webhooks" in message.consumers, message.message_type


def test_every_type_has_a_versioned_payload_and_a_body():
    assert set(PAYLOADS) == set(WebhookEventType) == set(WEBHOOK_BODIES)
    for event_type, payload in PAYLOADS.items():
        assert payload.model_fields["version"].default == 1, event_type
        assert payload.__doc__, event_type
        schema = payload.model_json_schema()
        for example in schema["examples"]:  # the documented example is a valid payload with every field
            assert set(payload.model_validate(example).model_dump()) == set(example), event_type
        assert "additionalProperties" not in str(schema), event_type  # no open object where the shape is known


def test_each_sample_announces_exactly_its_type_with_a_valid_payload():
    """Every catalogue type (but the ping) comes from a consumed message; the data is the JSON of its payload."""
    assert set(SAMPLES) == set(WebhookEventType) - {T.PING}
    for event_type, message in SAMPLES.items():
        assert type(message) in CONSUMED_MESSAGES
        events = webhook_events([received(message)])
        announced = [e for e in events if e.event_type == event_type]
        assert len(announced) == 1, (event_type, [e.event_type for e in events])
        (event,) = announced
        assert event.tenant_id == TENANT and event.occurred_at == AT
        payload = PAYLOADS[event_type].model_validate(event.data)
        assert payload.model_dump(mode="json") == event.data
        assert event.data["version"] == 1


def test_amounts_travel_as_decimal_strings_and_external_ids_are_kept():
    (changed,) = webhook_events([received(SAMPLES[T.INVOICE_STATUS_CHANGED])])
    assert changed.data["amount"] == "1000.00" and changed.data["open_amount"] == "400.50"
    assert changed.data["invoice_external_id"] == "ERP-F-1" and changed.data["customer_external_id"] == "ERP-C-1"
    assert (changed.data["previous_status"], changed.data["status"]) == ("normal", "void")
    (allocated,) = webhook_events([received(SAMPLES[T.PAYMENT_ALLOCATED])])
    assert allocated.data["payment_external_id"] == "ERP-R-1"
    assert allocated.data["allocations"] == [
        {"invoice_id": str(INVOICE), "invoice_external_id": "ERP-F-1", "amount": "599.50"}
    ]
    assert allocated.data["unapplied_amount"] == "0.50" and allocated.data["reversed"] is False


statuses = st.sampled_from(list(InvoiceStatus))
dates = st.one_of(st.none(), st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)))
areas = st.sampled_from([None, AREA, uuid.UUID(int=7)])


@given(statuses, statuses, dates, dates, areas, areas)
def test_a_status_change_announces_each_fact_once(previous, status, old_reported, reported, old_area, area):
    message = status_change(
        previous,
        status,
        previous_reported_date=old_reported,
        reported_date=reported if status == S.PAYMENT_REPORTED else None,
        previous_dispute_area_id=old_area,
        dispute_area_id=area if status == S.DISPUTE else None,
    )
    announced = types_of(message)
    assert len(announced) == len(set(announced))  # never one type twice
    assert (T.INVOICE_STATUS_CHANGED in announced) == (previous != status)
    opened = status == S.DISPUTE and previous != S.DISPUTE and area is not None
    assert (T.DISPUTE_OPENED in announced) == opened
    assert (T.DISPUTE_RESOLVED in announced) == (previous == S.DISPUTE and status != S.DISPUTE)
    new_report = previous != S.PAYMENT_REPORTED or old_reported != reported
    assert (T.PAYMENT_REPORTED in announced) == (status == S.PAYMENT_REPORTED and reported is not None and new_report)
    assert T.PROMISE_MADE not in announced  # promises are announced by PromiseMade, with their id


def test_a_resolved_dispute_names_its_area_and_how_it_ended():
    message = status_change(S.DISPUTE, S.VOID, previous_dispute_area_id=AREA, reason="credit note issued")
    events = {e.event_type: e for e in webhook_events([received(message)])}
    assert set(events) == {T.INVOICE_STATUS_CHANGED, T.DISPUTE_RESOLVED}
    resolved = events[T.DISPUTE_RESOLVED].data
    assert resolved["dispute_area_id"] == str(AREA) and resolved["status"] == "void"
    assert resolved["reason"] == "credit note issued"


def test_a_detail_change_without_a_status_change_is_no_status_event():
    """A promise re-dated or a dispute moved to another area: the status did not change."""
    assert types_of(status_change(S.PROMISE_TO_PAY, S.PROMISE_TO_PAY, promised_date=date(2026, 12, 30))) == []
    moved = status_change(S.DISPUTE, S.DISPUTE, previous_dispute_area_id=AREA, dispute_area_id=uuid.uuid4())
    assert types_of(moved) == []
    redated = status_change(
        S.PAYMENT_REPORTED,
        S.PAYMENT_REPORTED,
        previous_reported_date=date(2026, 12, 1),
        reported_date=date(2026, 12, 3),
    )
    assert types_of(redated) == [T.PAYMENT_REPORTED]  # the customer reports another payment date


def test_action_items_are_announced_when_created_and_when_resolved_only():
    item = uuid.uuid4()
    assert types_of(action_item("open", "created", item)) == [T.ACTION_ITEM_CREATED]
    assert types_of(action_item("open", "assigned", item)) == []
    assert types_of(action_item("open", "notice", item)) == []
    assert types_of(action_item("done", "notice", item)) == []  # a late notice update of a done item
    assert types_of(action_item("cancelled", "resolved", item)) == [T.ACTION_ITEM_RESOLVED]
    assert types_of(action_item("done", None, item)) == [T.ACTION_ITEM_RESOLVED]  # announced before `change`
    assert types_of(action_item("open", None, item)) == []
    (resolved,) = webhook_events([received(action_item("cancelled", "resolved", item))])
    assert resolved.data["resolution"] == "cancelled" and resolved.data["resolution_reason"] == "paid"
    (created,) = webhook_events([received(action_item("open", "created", item))])
    assert (created.data["action_item_id"], created.data["customer_external_id"]) == (str(item), "ERP-C-1")
    assert created.event_id != resolved.event_id


def test_message_states_map_to_sent_delivered_failed():
    expected = {
        MessageState.QUEUED: [],
        MessageState.DEFERRED: [],
        MessageState.SENDING: [],
        MessageState.SENT: [T.MESSAGE_SENT],
        MessageState.DELIVERED: [T.MESSAGE_DELIVERED],
        MessageState.READ: [T.MESSAGE_DELIVERED],
        MessageState.FAILED: [T.MESSAGE_FAILED],
        MessageState.BOUNCED: [T.MESSAGE_FAILED],
    }
    assert set(expected) == set(MessageState)
    for state, types in expected.items():
        assert types_of(message_status(state)) == types, state
    assert types_of(message_status(MessageState.SENT, customer_id=None)) == []  # a staff digest


def test_event_ids_are_stable_and_one_fact_has_one_id():
    message = SAMPLES[T.CONTACT_INVALID]
    envelope_id = uuid.uuid4()
    first = webhook_events([received(message, envelope_id)])
    again = webhook_events([received(message, envelope_id)])  # the same internal event delivered twice
    other = webhook_events([received(message)])  # another invalidation, another fact
    assert [e.event_id for e in first] == [e.event_id for e in again]
    assert first[0].event_id != other[0].event_id
    assert first[0].event_id == event_id(envelope_id, T.CONTACT_INVALID)
    assert first[0].event_id.startswith("evt_") and len(first[0].event_id) == 36
    # A message read after it was delivered is the same ``message.delivered`` (the store keeps it once).
    message_id = uuid.uuid4()
    delivered = webhook_events([received(message_status(MessageState.DELIVERED, message_id))])
    read = webhook_events([received(message_status(MessageState.READ, message_id))])
    assert delivered[0].event_id == read[0].event_id
    sent = webhook_events([received(message_status(MessageState.SENT, message_id))])
    assert sent[0].event_id != delivered[0].event_id
    # One internal event announcing several facts gives each its own id.
    resolved = webhook_events([received(status_change(S.DISPUTE, S.NORMAL))])
    assert len({e.event_id for e in resolved}) == len(resolved) == 2


def test_a_batch_keeps_its_order_and_skips_what_is_not_announced():
    batch = [
        received(SAMPLES[T.PROMISE_MADE]),
        received(message_status(MessageState.QUEUED)),
        received(SAMPLES[T.MESSAGE_SENT]),
        received(SAMPLES[T.CUSTOMER_REPLIED]),
    ]
    assert [e.event_type for e in webhook_events(batch)] == [T.PROMISE_MADE, T.MESSAGE_SENT, T.CUSTOMER_REPLIED]
    assert webhook_events([]) == []


def test_the_openapi_document_declares_every_type_with_its_exact_body():
    app = FastAPI()
    document_webhooks(app)
    document = app.openapi()
    schemas = document["components"]["schemas"]
    assert set(document["webhooks"]) == {t.value for t in WebhookEventType}
    for event_type in WebhookEventType:
        operation = document["webhooks"][event_type.value]["post"]
        assert set(operation["responses"]) == {"204"}
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schemas[ref.rsplit("/", 1)[1]]
        assert body["properties"]["type"]["const"] == event_type.value
        assert set(body["required"]) == {"type", "timestamp", "data"}
        payload = schemas[body["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
        assert set(payload["properties"]) == set(PAYLOADS[event_type].model_fields)
        assert body["examples"][0]["data"]["version"] == 1
    assert "HTTPValidationError" not in schemas


def test_a_charge_is_recorded_waived_and_invoiced_once_each():
    """Issue 19: ``ChargeChanged``'s status names the event; the charge's id is its basis, so a repeated
    announcement (a replay) is the same event, and its three events have three ids."""
    charge_id = uuid.uuid4()
    recorded = charge_changed(ChargeStatus.OPEN, charge_id)
    waived = charge_changed(ChargeStatus.WAIVED, charge_id, waived_by="user:1", waive_reason="Cliente histórico")
    invoiced = charge_changed(ChargeStatus.INVOICED, charge_id, erp_document="ND-0001-77")
    events = webhook_events([received(m) for m in (recorded, recorded, waived, invoiced)])
    assert [e.event_type for e in events] == [T.CHARGE_RECORDED, T.CHARGE_RECORDED, T.CHARGE_WAIVED, T.CHARGE_INVOICED]
    assert events[0].event_id == events[1].event_id == event_id(charge_id, T.CHARGE_RECORDED)
    assert len({e.event_id for e in events[1:]}) == 3
    assert events[0].data["amount"] == "73.97" and events[0].data["invoice_external_id"] == "ERP-F-1"
    assert "waive_reason" not in events[0].data and "erp_document" not in events[0].data
    assert (events[2].data["waived_by"], events[2].data["waive_reason"]) == ("user:1", "Cliente histórico")
    assert events[3].data["erp_document"] == "ND-0001-77"


def test_a_plan_is_announced_once_per_status_and_each_installment_payment_once():
    """Issue 19: the ERP hears of a plan's proposal, acceptance, end, and each payment allocated to it."""
    accepted = webhook_events([received(plan_changed(PlanStatus.ACCEPTED, revision=2))])
    again = webhook_events([received(plan_changed(PlanStatus.ACCEPTED, revision=2))])  # redelivered
    assert [e.event_type for e in accepted] == [T.PAYMENT_PLAN_ACCEPTED]
    assert accepted[0].event_id == again[0].event_id == event_id(PLAN, T.PAYMENT_PLAN_ACCEPTED)
    first = webhook_events([received(plan_changed(PlanStatus.ACCEPTED, paid="100.00", revision=3))])
    second = webhook_events([received(plan_changed(PlanStatus.ACCEPTED, paid="200.00", revision=4))])
    assert [e.event_type for e in first + second] == [T.PAYMENT_PLAN_UPDATED] * 2
    assert first[0].event_id != second[0].event_id
    (broken,) = webhook_events([received(plan_changed(PlanStatus.BROKEN, paid="100.00", revision=5))])
    assert broken.event_type == T.PAYMENT_PLAN_BROKEN
    assert broken.data["paid_amount"] == "100.00" and broken.data["status"] == "broken"
    assert [i["number"] for i in broken.data["installments"]] == [1, 2, 3]
    assert broken.data["installments"][0]["amount"] == "100.00"
    assert broken.data["customer_external_id"] == "ERP-C-1" and broken.data["plan_id"] == str(PLAN)
