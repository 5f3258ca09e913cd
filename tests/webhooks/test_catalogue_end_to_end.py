"""The catalogue end to end: real changes in receivables reach an ERP's endpoint as signed catalogue events, each
fact once, with payloads that validate against their versioned contracts and carry the ERP's ids."""

import pytest
from standardwebhooks.webhooks import Webhook

from services.webhooks import worker as webhooks_worker
from shared.contracts.webhooks import PAYLOADS, WebhookEventType
from shared.outbox import relay_once
from tests.receivables.helpers import customer, invoice, post, setup_tenant
from tests.support import run_worker
from tests.webhooks.support import allow_private, deliver, receiver, register


@pytest.fixture
async def hook():
    async with receiver() as stub:
        yield stub


async def test_receivables_changes_arrive_as_catalogue_events(api, stack, hook, monkeypatch):
    monkeypatch.setattr(webhooks_worker.settings, "delivery_loop_enabled", False)  # delivered below, explicitly
    rc = await setup_tenant(api, stack)
    await allow_private(api, rc.tenant_id)
    endpoint = await register(api, rc.admin, hook.url)
    c = await customer(rc)
    inv = await invoice(rc, c["id"], amount="300.00", external_id="ERP-F-9")
    promise = {"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": rc.today.isoformat()}
    await post(rc.api, "/v1/outcomes", rc.collector, promise)
    payment = {"customer_id": c["id"], "currency": "ARS", "amount": "300.00", "payment_date": rc.today.isoformat()}
    payment |= {"external_id": "ERP-R-9"}
    await post(rc.api, "/v1/payments", rc.admin, payment)

    for _ in range(2):  # the outbox relayed twice (Redis lost its jobs): each fact is still announced once
        while await relay_once(stack.engine, stack.arq, "receivables"):
            pass
        await run_worker(webhooks_worker.WorkerSettings)
        await stack.redis.flushdb()
        async with stack.engine.begin() as conn:
            await conn.exec_driver_sql("UPDATE receivables.outbox SET published_at = NULL")
    assert await deliver(stack) == 5

    got = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in hook.received]
    assert sorted(g["type"] for g in got) == sorted(
        [
            WebhookEventType.INVOICE_STATUS_CHANGED,  # normal -> promise_to_pay
            WebhookEventType.PROMISE_MADE,
            WebhookEventType.INVOICE_STATUS_CHANGED,  # promise_to_pay -> paid
            WebhookEventType.PROMISE_KEPT,
            WebhookEventType.PAYMENT_ALLOCATED,
        ]
    )
    assert len({r.webhook_id for r in hook.received}) == 5
    for body in got:
        data = PAYLOADS[WebhookEventType(body["type"])].model_validate(body["data"])
        assert data.model_dump(mode="json") == body["data"] and body["data"]["version"] == 1
        assert body["data"]["customer_id"] == c["id"] and body["data"]["customer_external_id"] == c["external_id"]
    by_type = {(g["type"], g["data"].get("status")): g["data"] for g in got}
    paid = by_type[("invoice.status_changed", "paid")]
    assert (paid["previous_status"], paid["invoice_id"], paid["invoice_external_id"]) == (
        "promise_to_pay",
        inv["id"],
        "ERP-F-9",
    )
    assert (paid["open_amount"], paid["reason"]) == ("0.00", "payment")
    allocated = by_type[("payment.allocated", None)]
    assert allocated["payment_external_id"] == "ERP-R-9"
    assert allocated["allocations"] == [{"invoice_id": inv["id"], "invoice_external_id": "ERP-F-9", "amount": "300.00"}]
    made, kept = by_type[("promise.made", None)], by_type[("promise.kept", None)]
    assert made["promise_id"] == kept["promise_id"] and kept["kept_on"] == rc.today.isoformat()


async def test_late_charges_reach_the_erp_recorded_and_waived(api, stack, hook, monkeypatch):
    """Issue 19: a charge dunning assessed (the event sent here as the relay would) is recorded by receivables and
    announced ``charge.recorded``; a manager's waiver is ``charge.waived``, with its reason."""
    from tests.receivables.test_charges import assess, charge

    monkeypatch.setattr(webhooks_worker.settings, "delivery_loop_enabled", False)
    rc = await setup_tenant(api, stack)
    await allow_private(api, rc.tenant_id)
    endpoint = await register(api, rc.admin, hook.url)
    c = await customer(rc)
    inv = await invoice(rc, c["id"], external_id="ERP-F-10")
    assessed = charge(inv)
    await assess(rc, assessed)
    await assess(rc, assessed)  # assessed again: recorded (and announced) once
    await post(rc.api, f"/v1/charges/{assessed.charge_id}/waive", rc.admin, {"reason": "Cliente histórico"}, 200)
    while await relay_once(stack.engine, stack.arq, "receivables"):
        pass
    await run_worker(webhooks_worker.WorkerSettings)
    await deliver(stack)
    got = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in hook.received]
    charges = {g["type"]: g["data"] for g in got if g["type"].startswith("charge.")}
    assert set(charges) == {"charge.recorded", "charge.waived"}
    assert [g["type"] for g in got].count("charge.recorded") == 1
    recorded, waived = charges["charge.recorded"], charges["charge.waived"]
    assert (recorded["charge_id"], recorded["invoice_external_id"]) == (str(assessed.charge_id), "ERP-F-10")
    assert (recorded["amount"], recorded["customer_external_id"]) == ("150.00", c["external_id"])
    assert waived["waive_reason"] == "Cliente histórico"
