"""Promises to pay (seed 000): broken the day after the promised date plus the grace days, kept when paid."""

from datetime import timedelta

from shared.contracts.receivables import InvoiceChanged, PromiseBroken
from shared.outbox import queue_name
from tests.receivables.helpers import customer, invoice, outbox, post, promises_made_earlier, rows
from tests.support import run_worker


async def _promise(rc, days_ahead=1, **customer_fields):
    c = await customer(rc, collector_id=str(rc.collector_id), **customer_fields)
    inv = await invoice(rc, c["id"])
    promised = rc.today + timedelta(days=days_ahead)
    await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {"customer_id": c["id"], "kind": "promise_to_pay", "promised_date": promised.isoformat()},
    )
    return c, inv, promised


async def _detect(rc, as_of):
    return await post(rc.api, "/v1/promises/detect-broken", rc.admin, {"as_of": as_of.isoformat()}, expect=200)


async def test_broken_on_the_day_after_the_promised_date_plus_grace(rc):
    settings = await rc.api.patch("/v1/receivables-settings", json={"promise_grace_days": 2}, headers=rc.admin)
    assert settings.json()["promise_grace_days"] == 2
    _c, inv, promised = await _promise(rc)
    await promises_made_earlier(rc, 4)
    promised -= timedelta(days=4)  # three days ago
    assert (await _detect(rc, promised + timedelta(days=2)))["broken"] == 0
    result = await _detect(rc, promised + timedelta(days=3))
    assert result["broken"] == 1
    got = (await rc.api.get(f"/v1/invoices/{inv['id']}", headers=rc.admin)).json()
    assert (got["status"], got["promised_date"]) == ("normal", None)
    (promise,) = (await rc.api.get("/v1/promises", headers=rc.admin)).json()["items"]
    assert (promise["status"], promise["resolved_on"]) == ("broken", (promised + timedelta(days=3)).isoformat())
    (broken,) = await outbox(rc.stack, PromiseBroken)
    assert (str(broken.invoice_id), broken.promised_date, broken.collector_id, str(broken.open_amount)) == (
        inv["id"],
        promised,
        rc.collector_id,
        "1000.00",
    )
    last = [e for e in await outbox(rc.stack, InvoiceChanged) if str(e.invoice_id) == inv["id"]][-1]
    assert (last.status, last.reason, last.revision) == ("normal", "promise broken", 3)
    history = (await rc.api.get(f"/v1/invoices/{inv['id']}/history", headers=rc.admin)).json()["items"]
    assert history[-1]["data"]["reason"] == "promise broken"
    assert (await _detect(rc, rc.today))["broken"] == 0  # once only


async def test_a_partly_paid_promise_is_broken_a_fully_paid_one_kept(rc):
    c, partly, promised = await _promise(rc)
    await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {"customer_id": c["id"], "currency": "ARS", "amount": "400.00", "payment_date": rc.today.isoformat()},
    )
    c2, paid, _ = await _promise(rc)
    await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {"customer_id": c2["id"], "currency": "ARS", "amount": "1000.00", "payment_date": rc.today.isoformat()},
    )
    await promises_made_earlier(rc, 2)
    assert (await _detect(rc, promised - timedelta(days=1)))["broken"] == 1  # the day after the promise: today
    statuses = {str(r["invoice_id"]): r["status"] for r in await rows(rc.stack, "SELECT * FROM receivables.promises")}
    assert statuses == {partly["id"]: "broken", paid["id"]: "kept"}


async def test_the_hourly_job_breaks_every_tenants_due_promises(rc):
    _, _inv, promised = await _promise(rc)
    from services.receivables.worker import WorkerSettings

    await rc.stack.arq.enqueue_job(
        "detect_broken_promises",
        None,
        (promised + timedelta(days=1)).isoformat(),
        _queue_name=queue_name("receivables"),
    )
    await run_worker(WorkerSettings)
    (promise,) = await rows(rc.stack, "SELECT status FROM receivables.promises")
    assert promise["status"] == "broken"
