"""Receivables announces each invoice status change once (``InvoiceStatusChanged``), and each promise made and
kept, in the transaction of the change, whichever path made it: the sources of the webhook catalogue (issue 14).
The announcements are written by statement triggers (migration 0027), set-based."""

import uuid
from datetime import timedelta

from sqlalchemy import text

from shared.contracts.receivables import InvoiceStatusChanged, PromiseBroken, PromiseKept, PromiseMade
from tests.receivables.helpers import Ctx, customer, invoice, outbox, post, promises_made_earlier, scalar


async def status_changes(rc: Ctx) -> list[tuple[uuid.UUID, str, str, str | None]]:
    """(invoice, previous status, status, reason) of every status change announced, in order."""
    return [
        (m.invoice_id, m.previous_status.value, m.status.value, m.reason)
        for m in await outbox(rc.stack, InvoiceStatusChanged)
    ]


async def _promise(rc: Ctx, customer_id: str, days: int = 0) -> None:
    body = {
        "customer_id": customer_id,
        "kind": "promise_to_pay",
        "promised_date": (rc.today + timedelta(days)).isoformat(),
    }
    await post(rc.api, "/v1/outcomes", rc.collector, body)


async def test_an_outcome_promise_announces_one_status_change_and_one_promise(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"], external_id="ERP-F-1")
    await _promise(rc, c["id"], 3)
    invoice_id = uuid.UUID(inv["id"])
    assert await status_changes(rc) == [(invoice_id, "normal", "promise_to_pay", "outcome: promise_to_pay")]
    (changed,) = await outbox(rc.stack, InvoiceStatusChanged)
    assert changed.promised_date == rc.today + timedelta(3) and changed.previous_promised_date is None
    assert (changed.external_id, changed.customer_external_id) == ("ERP-F-1", c["external_id"])
    assert (changed.amount, changed.open_amount, changed.currency) == (1000, 1000, "ARS")
    (made,) = await outbox(rc.stack, PromiseMade)
    promise_id = await scalar(rc.stack, "SELECT id FROM receivables.promises WHERE invoice_id = :i", i=invoice_id)
    assert (made.promise_id, made.invoice_id, made.invoice_external_id) == (promise_id, invoice_id, "ERP-F-1")
    assert (made.promised_date, made.promised_amount, made.collector_id) == (rc.today + timedelta(3), 1000, None)
    assert made.outcome_id is not None and made.customer_external_id == c["external_id"]


async def test_the_status_endpoint_announces_each_change_with_its_previous_status(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Facturación"})
    path = f"/v1/invoices/{inv['id']}/status"
    await post(rc.api, path, rc.admin, {"status": "dispute", "dispute_area_id": area["id"], "reason": "wrong qty"}, 200)
    other = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Logística"})
    await post(rc.api, path, rc.admin, {"status": "dispute", "dispute_area_id": other["id"]}, 200)  # moved
    await post(rc.api, path, rc.admin, {"status": "normal", "reason": "credit note promised"}, 200)  # resolved
    await post(rc.api, path, rc.admin, {"status": "payment_reported"}, 200)
    invoice_id = uuid.UUID(inv["id"])
    assert await status_changes(rc) == [
        (invoice_id, "normal", "dispute", "wrong qty"),
        (invoice_id, "dispute", "dispute", "status changed"),
        (invoice_id, "dispute", "normal", "credit note promised"),
        (invoice_id, "normal", "payment_reported", "status changed"),
    ]
    entered, moved, resolved, reported = await outbox(rc.stack, InvoiceStatusChanged)
    assert entered.dispute_area_id == uuid.UUID(area["id"])
    assert (moved.previous_dispute_area_id, moved.dispute_area_id) == (entered.dispute_area_id, uuid.UUID(other["id"]))
    assert (resolved.previous_dispute_area_id, resolved.dispute_area_id) == (uuid.UUID(other["id"]), None)
    assert reported.reported_date == rc.today
    assert await outbox(rc.stack, PromiseMade) == []


async def test_a_payment_closing_a_promised_invoice_announces_paid_and_the_promise_kept(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"], amount="250.00")
    await _promise(rc, c["id"], 2)
    payment = {"customer_id": c["id"], "currency": "ARS", "amount": "250.00", "payment_date": rc.today.isoformat()}
    await post(rc.api, "/v1/payments", rc.admin, payment)
    invoice_id = uuid.UUID(inv["id"])
    assert await status_changes(rc) == [
        (invoice_id, "normal", "promise_to_pay", "outcome: promise_to_pay"),
        (invoice_id, "promise_to_pay", "paid", "payment"),
    ]
    (made,) = await outbox(rc.stack, PromiseMade)
    (kept,) = await outbox(rc.stack, PromiseKept)
    assert (kept.promise_id, kept.invoice_id, kept.kept_on, kept.open_amount) == (
        made.promise_id,
        invoice_id,
        rc.today,
        0,
    )
    assert kept.promised_date == rc.today + timedelta(2) and kept.customer_external_id == c["external_id"]


async def test_a_partial_payment_changes_no_status_and_announces_none(rc):
    c = await customer(rc)
    await invoice(rc, c["id"], amount="250.00")
    payment = {"customer_id": c["id"], "currency": "ARS", "amount": "100.00", "payment_date": rc.today.isoformat()}
    await post(rc.api, "/v1/payments", rc.admin, payment)
    assert await status_changes(rc) == []


async def test_a_broken_promise_announces_the_return_to_normal_once(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    await _promise(rc, c["id"])
    await promises_made_earlier(rc, 1)  # moves the promised date: a detail change, announced as such
    before = len(await status_changes(rc))
    await post(rc.api, "/v1/promises/detect-broken", rc.admin, {}, expect=200)
    assert (await status_changes(rc))[before:] == [(uuid.UUID(inv["id"]), "promise_to_pay", "normal", "promise broken")]
    (broken,) = await outbox(rc.stack, PromiseBroken)
    assert broken.customer_external_id == c["external_id"] and await outbox(rc.stack, PromiseKept) == []


async def test_a_bulk_ingest_announces_every_changed_status_once_and_nothing_else(rc):
    await post(rc.api, "/v1/ingest/customers", rc.erp, {"items": [{"external_id": "C-1", "name": "Uno"}]}, 200)
    items = [
        {"external_id": f"F-{i:04}", "customer_external_id": "C-1", "number": f"A-{i:04}", "currency": "ARS"}
        | {"amount": "100.00", "issue_date": "2026-01-01", "due_date": "2026-02-01"}
        for i in range(300)
    ]
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": items}, 200)
    assert await status_changes(rc) == []  # new invoices: created, not changed
    for i, item in enumerate(items):
        if i % 3 == 0:
            item["open_amount"] = "0.00"  # paid in the ERP
        elif i % 3 == 1:
            item["status"] = "void"
        else:
            item["due_date"] = "2026-03-01"  # another change, no status change
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": items}, 200)
    changes = await status_changes(rc)
    ids = dict(await _rows(rc, "SELECT external_id, id FROM receivables.invoices WHERE tenant_id = :t", t=rc.tenant_id))
    expected = {(ids[f"F-{i:04}"], "normal", "paid" if i % 3 == 0 else "void") for i in range(300) if i % 3 != 2}
    assert len(changes) == len(expected) == 200
    assert {(i, p, s) for i, p, s, _ in changes} == expected
    assert {reason for *_, reason in changes} == {"updated by the ERP"}
    # Written set-based: the triggers run once per statement over its transition tables, never per row.
    triggers = await _rows(
        rc,
        "SELECT tgname, tgtype & 1 FROM pg_trigger WHERE tgrelid IN "
        "('receivables.invoices'::regclass, 'receivables.promises'::regclass) AND tgname LIKE 'announce_%'",
    )
    assert sorted(triggers) == [
        ("announce_invoice_status", 0),
        ("announce_promises_kept", 0),
        ("announce_promises_made", 0),
    ]


async def test_a_promise_the_erp_settles_in_bulk_is_kept_once(rc):
    await post(rc.api, "/v1/ingest/customers", rc.erp, {"items": [{"external_id": "C-1", "name": "Uno"}]}, 200)
    item = {"external_id": "F-1", "customer_external_id": "C-1", "number": "A-1", "currency": "ARS"}
    item |= {"amount": "100.00", "issue_date": "2026-01-01", "due_date": "2026-02-01"}
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [item]}, 200)
    customer_id = await scalar(rc.stack, "SELECT id FROM receivables.customers WHERE external_id = 'C-1'")
    await _promise(rc, str(customer_id), 1)
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [item | {"open_amount": "0.00"}]}, 200)
    (made,) = await outbox(rc.stack, PromiseMade)
    (kept,) = await outbox(rc.stack, PromiseKept)
    assert (kept.promise_id, kept.invoice_external_id, kept.customer_external_id) == (made.promise_id, "F-1", "C-1")
    assert [(p, s, r) for _, p, s, r in await status_changes(rc)] == [
        ("normal", "promise_to_pay", "outcome: promise_to_pay"),
        ("promise_to_pay", "paid", "updated by the ERP"),
    ]


async def test_a_reason_given_for_one_update_does_not_leak_into_the_next(rc, stack):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    async with stack.engine.begin() as conn:
        await conn.execute(text("SELECT set_config('receivables.change_reason', 'first', true)"))
        await conn.execute(
            text("UPDATE receivables.invoices SET due_date = due_date + 1 WHERE id = :i"), {"i": inv["id"]}
        )
        await conn.execute(text("UPDATE receivables.invoices SET status = 'void' WHERE id = :i"), {"i": inv["id"]})
    assert await status_changes(rc) == [(uuid.UUID(inv["id"]), "normal", "void", None)]


async def _rows(rc: Ctx, sql: str, **params: object) -> list[tuple]:
    async with rc.stack.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql), params)).all()]
