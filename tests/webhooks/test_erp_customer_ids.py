"""The ERP's customer id on messaging's webhooks (issue 14): ``message.*``, ``contact.invalid``,
``customer.opted_out`` and ``customer.replied`` name the customer by the ERP's id as well as cobranza's. Messaging
keeps it from the communication it was given (``CustomerInfo.external_id``) on the message row and puts it on its
events; an opt-out named by the ERP's id carries it even when the customer never got a message."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from messaging_service.delivery.reports import apply_status
from messaging_service.inbound.replies import record_reply
from messaging_service.models import Message
from services.webhooks import worker as webhooks_worker
from shared.contracts.webhooks import PAYLOADS, WebhookEventType
from shared.db import unit_of_work
from shared.outbox import relay_once
from tests.messaging.conftest import provider, provider_server  # noqa: F401 - the provider stub's fixtures
from tests.messaging.support import communication, deliver, messaging_tenant, send, settings
from tests.receivables.helpers import customer, setup_tenant
from tests.support import run_worker
from tests.webhooks.support import allow_private, receiver, register
from tests.webhooks.support import deliver as deliver_webhooks

ERP_ID = "ERP-C/100 Ñandú"
T = WebhookEventType


@pytest.fixture
async def hook():
    async with receiver() as stub:
        yield stub


async def _announced(stack, hook, secret: str) -> list[dict]:
    """Messaging's outbox relayed, the webhooks worker's pass, every due delivery made: what the ERP got."""
    while await relay_once(stack.engine, stack.arq, "messaging"):
        pass
    await run_worker(webhooks_worker.WorkerSettings)
    await deliver_webhooks(stack)
    got = [Webhook(secret).verify(r.body, r.headers) for r in hook.received]
    for body in got:
        data = PAYLOADS[WebhookEventType(body["type"])].model_validate(body["data"])
        assert data.model_dump(mode="json") == body["data"]
    return got


async def test_messaging_webhooks_name_the_customer_by_the_erps_id(api, stack, hook, provider, monkeypatch):  # noqa: F811
    monkeypatch.setattr(webhooks_worker.settings, "delivery_loop_enabled", False)  # delivered below, explicitly
    tenant = await messaging_tenant(api, stack)
    await allow_private(api, tenant.id)
    endpoint = await register(api, tenant.admin, hook.url)
    customer_id = uuid.uuid4()

    def to(address: str):
        command = communication("sms", address, customer_id=customer_id, attach_statement=False)
        return command.model_copy(update={"customer": command.customer.model_copy(update={"external_id": ERP_ID})})

    await send(stack, tenant.id, [to("+5491155551234"), to("+5491155550000")])
    await deliver(stack, settings(provider_url=provider.url))
    sessionmaker = stack.services["messaging"].state.sessionmaker
    async with unit_of_work(sessionmaker) as session:
        sent = {m.to_address: m for m in (await session.scalars(select(Message))).all()}
        assert {m.state for m in sent.values()} == {"sent"}
        await apply_status(session, sent["+5491155551234"], "delivered", None, None)
        await apply_status(session, sent["+5491155550000"], "failed", "21211", "invalid 'To' phone number")
        await record_reply(
            session,
            tenant.id,
            channel="sms",
            from_address="+5491155551234",
            body="Pago el viernes",
            received_at=datetime(2026, 12, 6, 15, 0, tzinfo=UTC),
            external_id="SM-inbound-ext2",
        )
    # Named by cobranza's id only: messaging knows the ERP's id from the customer's messages.
    body = {"channel": "email", "address": "otra@cliente.example", "customer_id": str(customer_id)}
    opted_out = await api.post("/v1/opt-out", json=body, headers=tenant.admin)
    assert opted_out.status_code == 201, opted_out.text

    got = await _announced(stack, hook, endpoint["secret"])
    assert sorted(g["type"] for g in got) == sorted(
        [
            T.MESSAGE_SENT,
            T.MESSAGE_SENT,
            T.MESSAGE_DELIVERED,
            T.MESSAGE_FAILED,
            T.CONTACT_INVALID,
            T.CUSTOMER_REPLIED,
            T.CUSTOMER_OPTED_OUT,
        ]
    )
    for body in got:
        assert (body["data"]["customer_id"], body["data"]["customer_external_id"]) == (str(customer_id), ERP_ID)
    by_type = {g["type"]: g["data"] for g in got}
    assert by_type[T.CONTACT_INVALID]["address"] == "+5491155550000"
    assert by_type[T.CUSTOMER_REPLIED]["in_reply_to"] == str(sent["+5491155551234"].id)
    assert by_type[T.CUSTOMER_OPTED_OUT]["address"] == "otra@cliente.example"


async def test_an_opt_out_named_by_the_erps_id_carries_it_before_any_message(api, stack, hook, monkeypatch):
    monkeypatch.setattr(webhooks_worker.settings, "delivery_loop_enabled", False)
    rc = await setup_tenant(api, stack)
    await allow_private(api, rc.tenant_id)
    endpoint = await register(api, rc.admin, hook.url)
    client = await customer(rc, external_id=ERP_ID)
    body = {"channel": "sms", "address": "+5491155559999", "customer_external_id": ERP_ID, "reason": "Por teléfono"}
    recorded = await api.post("/v1/opt-out", json=body, headers=rc.erp)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["customer_id"] == client["id"]

    (got,) = await _announced(stack, hook, endpoint["secret"])
    assert got["type"] == T.CUSTOMER_OPTED_OUT
    assert (got["data"]["customer_id"], got["data"]["customer_external_id"]) == (client["id"], ERP_ID)
