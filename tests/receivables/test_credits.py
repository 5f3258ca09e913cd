"""Credits applied (issue 12 point 3): credit notes and over-payments settle open invoices, oldest first unless
they name invoices, never across currencies, reversibly; the tenant can switch it off; the snapshot reports what
is left unapplied; dunning sees the net amounts."""

from decimal import Decimal

from dunning_service.worker import WorkerSettings as DunningWorker
from shared.contracts.receivables import CustomerChanged, InvoiceChanged
from shared.outbox import relay_once
from tests.receivables.helpers import customer, invoice, outbox, post, rows
from tests.support import run_worker


async def _get(rc, path):
    response = await rc.api.get(path, headers=rc.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def _open(rc, inv):
    got = await _get(rc, f"/v1/invoices/{inv['id']}")
    return got["status"], got["open_amount"]


async def _credits_announced(rc, customer_id):
    snapshots = [e for e in await outbox(rc.stack, CustomerChanged) if str(e.customer_id) == customer_id]
    return [(m.currency, m.amount) for m in snapshots[-1].credits]


async def _credit_note(rc, customer_id, amount, **fields):
    return await invoice(
        rc, customer_id, kind="credit_note", amount=amount, issue_date="2026-03-01", due_date="2026-03-01", **fields
    )


async def test_a_credit_note_is_applied_oldest_first_and_never_across_currencies(rc):
    c = await customer(rc)
    dollars = await invoice(rc, c["id"], currency="USD", amount="999.00", due_date="2025-12-01")
    newer = await invoice(rc, c["id"], amount="1000.00", due_date="2026-02-01")
    older = await invoice(rc, c["id"], amount="500.00", due_date="2026-01-10")
    note = await _credit_note(rc, c["id"], "700.00", number="NC-1")
    assert (note["status"], note["open_amount"]) == ("paid", "0.00")  # all of it applied
    assert await _open(rc, older) == ("paid", "0.00")
    assert await _open(rc, newer) == ("normal", "800.00")
    assert await _open(rc, dollars) == ("normal", "999.00")
    assert await _credits_announced(rc, c["id"]) == []
    timeline = await _get(rc, f"/v1/customers/{c['id']}/timeline?kind=credit_applied")
    assert timeline["items"][0]["summary"] == "Credit of ARS 700.00 applied (credit note NC-1)"


async def test_a_credit_note_naming_invoices_settles_those(rc):
    c = await customer(rc)
    older = await invoice(rc, c["id"], due_date="2026-01-10")
    named = await invoice(rc, c["id"], due_date="2026-02-01", external_id="FC-NAMED-1")
    await _credit_note(rc, c["id"], "300.00", applies_to=["FC-NAMED-1"])
    assert await _open(rc, older) == ("normal", "1000.00")
    assert await _open(rc, named) == ("normal", "700.00")
    refused = await rc.api.post(
        "/v1/invoices",
        json={
            **{k: named[k] for k in ("customer_id", "currency", "issue_date", "due_date")},
            "number": "X-1",
            "amount": "5.00",
            "applies_to": ["FC-NAMED-1"],
        },
        headers=rc.admin,
    )
    assert refused.status_code == 422 and "applies_to" in refused.text


async def test_an_overpayment_settles_a_later_invoice_and_its_reversal_restores_both(rc):
    c = await customer(rc)
    first = await invoice(rc, c["id"], due_date="2026-01-01")
    payment = await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {"customer_id": c["id"], "currency": "ARS", "amount": "1400.00", "payment_date": rc.today.isoformat()},
    )
    assert payment["unapplied_amount"] == "400.00"
    assert await _credits_announced(rc, c["id"]) == [("ARS", Decimal("400.00"))]
    later = await invoice(rc, c["id"], due_date="2026-04-01", amount="250.00")
    assert await _open(rc, later) == ("paid", "0.00")
    again = await _get(rc, f"/v1/payments/{payment['id']}")
    assert again["unapplied_amount"] == "150.00"
    assert [a["amount"] for a in again["allocations"]] == ["1000.00", "250.00"]
    assert await _credits_announced(rc, c["id"]) == [("ARS", Decimal("150.00"))]

    await post(rc.api, f"/v1/payments/{payment['id']}/reverse", rc.admin, {"reason": "Cheque rechazado"}, expect=200)
    assert await _open(rc, first) == ("normal", "1000.00")
    assert await _open(rc, later) == ("normal", "250.00")
    assert await _credits_announced(rc, c["id"]) == []


async def test_a_credit_note_voided_or_changed_by_the_erp_is_undone_and_done_again(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"], due_date="2026-01-01", external_id="FC-1")
    row = {
        "external_id": "NC-9",
        "customer_external_id": c["external_id"],
        "number": "NC-9",
        "kind": "credit_note",
        "currency": "ARS",
        "amount": "600.00",
        "issue_date": "2026-03-01",
        "due_date": "2026-03-01",
    }
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [row]}, expect=200)
    assert await _open(rc, inv) == ("normal", "400.00")
    # the ERP sends it again as it knows it (600 open): applied once, not twice
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [row]}, expect=200)
    assert await _open(rc, inv) == ("normal", "400.00")
    # the ERP corrects it to 250: the invoice owes 750
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [{**row, "amount": "250.00"}]}, expect=200)
    assert await _open(rc, inv) == ("normal", "750.00")
    # voided: the invoice owes all again, and nothing is left to report
    voided = {**row, "amount": "250.00", "status": "void"}
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [voided]}, expect=200)
    assert await _open(rc, inv) == ("normal", "1000.00")
    active = await rows(rc.stack, "SELECT amount FROM receivables.credit_applications WHERE reversed_at IS NULL")
    assert active == []
    assert await _credits_announced(rc, c["id"]) == []


async def test_an_invoice_voided_gives_its_credit_back_to_the_credit_note(rc):
    c = await customer(rc)
    first = await invoice(rc, c["id"], due_date="2026-01-01", amount="300.00", external_id="FC-V")
    note = await _credit_note(rc, c["id"], "300.00")
    assert await _open(rc, first) == ("paid", "0.00")
    voided = {
        "external_id": "FC-V",
        "customer_external_id": c["external_id"],
        "number": first["number"],
        "currency": "ARS",
        "amount": "300.00",
        "open_amount": "0.00",
        "issue_date": "2025-06-01",
        "due_date": "2026-01-01",
        "status": "void",
    }
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [voided]}, expect=200)
    assert (await _open(rc, first))[0] == "void"
    assert (await _get(rc, f"/v1/invoices/{note['id']}"))["open_amount"] == "300.00"
    assert await _credits_announced(rc, c["id"]) == [("ARS", Decimal("300.00"))]
    later = await invoice(rc, c["id"], due_date="2026-05-01", amount="100.00")
    assert await _open(rc, later) == ("paid", "0.00")
    assert await _credits_announced(rc, c["id"]) == [("ARS", Decimal("200.00"))]


async def test_with_automatic_application_off_credit_is_only_reported(rc):
    response = await rc.api.patch("/v1/receivables-settings", json={"auto_apply_credits": False}, headers=rc.admin)
    assert response.status_code == 200 and response.json()["auto_apply_credits"] is False
    c = await customer(rc)
    inv = await invoice(rc, c["id"], due_date="2026-01-01")
    note = await _credit_note(rc, c["id"], "300.00")
    assert await _open(rc, inv) == ("normal", "1000.00")
    assert (note["status"], note["open_amount"]) == ("normal", "300.00")
    assert await _credits_announced(rc, c["id"]) == [("ARS", Decimal("300.00"))]
    statement = await _get(rc, f"/v1/customers/{c['id']}/statement")
    assert [(x["kind"], x["amount"]) for x in statement["credits"]] == [("credit_note", "300.00")]
    # switched on, the waiting credit is applied at once
    response = await rc.api.patch("/v1/receivables-settings", json={"auto_apply_credits": True}, headers=rc.admin)
    assert response.json()["auto_apply_credits"] is True
    assert await _open(rc, inv) == ("normal", "700.00")
    assert await _credits_announced(rc, c["id"]) == []


async def test_an_invoice_fully_covered_is_paid_and_dunning_sees_the_net_amount(rc):
    c = await customer(rc)
    covered = await invoice(rc, c["id"], due_date="2026-01-01", amount="200.00")
    partly = await invoice(rc, c["id"], due_date="2026-02-01", amount="500.00")
    await _credit_note(rc, c["id"], "350.00")
    assert await _open(rc, covered) == ("paid", "0.00")
    events = [e for e in await outbox(rc.stack, InvoiceChanged) if str(e.invoice_id) == partly["id"]]
    assert (events[-1].open_amount, events[-1].status) == (Decimal("350.00"), "normal")
    while await relay_once(rc.stack.engine, rc.stack.arq, "receivables"):
        pass
    await run_worker(DunningWorker)
    seen = await rows(
        rc.stack,
        "SELECT id::text AS id, status, open_amount FROM dunning.invoices WHERE id = ANY(CAST(:ids AS uuid[]))",
        ids=[covered["id"], partly["id"]],
    )
    assert {r["id"]: (r["status"], r["open_amount"]) for r in seen} == {
        covered["id"]: ("paid", Decimal("0.00")),
        partly["id"]: ("normal", Decimal("350.00")),
    }


async def test_the_erp_names_the_invoices_a_credit_note_settles_in_bulk(rc):
    c = await customer(rc)
    older = await invoice(rc, c["id"], due_date="2026-01-01")
    odd = 'FC "2" \\ tab\there'  # quoted and escaped on the way through COPY
    named = await invoice(rc, c["id"], due_date="2026-02-01", external_id=odd)
    row = {
        "external_id": "NC-B1",
        "customer_external_id": c["external_id"],
        "number": "NC-B1",
        "kind": "credit_note",
        "currency": "ARS",
        "amount": "400.00",
        "issue_date": "2026-03-01",
        "due_date": "2026-03-01",
        "applies_to": [odd],
    }
    result = await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [row]}, expect=200)
    assert (result["created"], result["rejected"]) == (1, [])
    assert await _open(rc, older) == ("normal", "1000.00")
    assert await _open(rc, named) == ("normal", "600.00")
    wrong = {**row, "external_id": "FC-X", "kind": "invoice"}
    result = await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": [wrong]}, expect=200)
    assert [r["field"] for r in result["rejected"]] == ["applies_to"]


async def test_an_invoice_voided_by_a_person_gives_its_credit_back(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"], due_date="2026-01-01")
    note = await _credit_note(rc, c["id"], "300.00")
    assert await _open(rc, inv) == ("normal", "700.00")
    await post(rc.api, f"/v1/invoices/{inv['id']}/status", rc.admin, {"status": "void"}, expect=200)
    got = await _get(rc, f"/v1/invoices/{note['id']}")
    assert (got["status"], got["open_amount"]) == ("normal", "300.00")
    assert await _credits_announced(rc, c["id"]) == [("ARS", Decimal("300.00"))]
    timeline = await _get(rc, f"/v1/customers/{c['id']}/timeline?kind=credit_undone")
    assert len(timeline["items"]) == 1
