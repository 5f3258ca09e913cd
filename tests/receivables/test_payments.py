"""Payments: allocation to named invoices or oldest first, partial, over-payment as credit, reversal."""

from datetime import timedelta

from shared.contracts.receivables import InvoiceChanged, PaymentApplied
from tests.receivables.helpers import customer, invoice, outbox, post


async def _get(rc, path):
    response = await rc.api.get(path, headers=rc.admin)
    assert response.status_code == 200, response.text
    return response.json()


async def _pay(rc, customer_id, amount, expect=201, **fields):
    body = {
        "customer_id": customer_id,
        "currency": "ARS",
        "amount": amount,
        "payment_date": rc.today.isoformat(),
        **fields,
    }
    return await post(rc.api, "/v1/payments", rc.admin, body, expect=expect)


async def test_partial_payment_on_a_named_invoice(rc):
    c = await customer(rc)
    older = await invoice(rc, c["id"], due_date="2026-01-15")
    named = await invoice(rc, c["id"], due_date="2026-03-01")
    payment = await _pay(rc, c["id"], "400.00", invoices=[{"invoice_id": named["id"]}])
    assert [(a["invoice_id"], a["amount"]) for a in payment["allocations"]] == [(named["id"], "400.00")]
    assert payment["unapplied_amount"] == "0.00"
    assert (await _get(rc, f"/v1/invoices/{named['id']}"))["open_amount"] == "600.00"
    assert (await _get(rc, f"/v1/invoices/{named['id']}"))["status"] == "normal"
    assert (await _get(rc, f"/v1/invoices/{older['id']}"))["open_amount"] == "1000.00"


async def test_oldest_first_when_none_is_named_and_overpayment_is_credit(rc):
    c = await customer(rc)
    newest = await invoice(rc, c["id"], due_date="2026-03-01", amount="300.00")
    oldest = await invoice(rc, c["id"], due_date="2026-01-10", amount="500.00")
    middle = await invoice(rc, c["id"], due_date="2026-02-01", amount="200.00")
    dollars = await invoice(rc, c["id"], due_date="2025-12-01", amount="999.00", currency="USD")
    payment = await _pay(rc, c["id"], "1100.00", reference="Transferencia 23763172736")
    assert [(a["invoice_id"], a["amount"]) for a in payment["allocations"]] == [
        (oldest["id"], "500.00"),
        (middle["id"], "200.00"),
        (newest["id"], "300.00"),
    ]
    assert payment["unapplied_amount"] == "100.00"
    for inv in (oldest, middle, newest):
        got = await _get(rc, f"/v1/invoices/{inv['id']}")
        assert (got["status"], got["open_amount"], got["closed_on"]) == ("paid", "0.00", rc.today.isoformat())
    assert (await _get(rc, f"/v1/invoices/{dollars['id']}"))["open_amount"] == "999.00"
    statement = await _get(rc, f"/v1/customers/{c['id']}/statement")
    assert [(t["currency"], t["credit"]) for t in statement["totals"]] == [("ARS", "100.00"), ("USD", "0.00")]
    event = (await outbox(rc.stack, PaymentApplied))[-1]
    assert (event.amount, event.unapplied_amount, len(event.allocations)) == (1100, 100, 3)


async def test_payment_settles_payment_reported_and_pays_whatever_the_status(rc):
    c = await customer(rc)
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Comercial"})
    reported = await invoice(rc, c["id"], due_date="2026-01-01")
    disputed = await invoice(rc, c["id"], due_date="2026-01-02")
    await post(rc.api, f"/v1/invoices/{reported['id']}/status", rc.admin, {"status": "payment_reported"}, expect=200)
    await post(
        rc.api,
        f"/v1/invoices/{disputed['id']}/status",
        rc.admin,
        {"status": "dispute", "dispute_area_id": area["id"]},
        expect=200,
    )
    # a partial payment settles the reported payment: what is left is owed again
    await _pay(rc, c["id"], "300.00", invoices=[{"invoice_id": reported["id"]}])
    got = await _get(rc, f"/v1/invoices/{reported['id']}")
    assert (got["status"], got["open_amount"], got["reported_date"]) == ("normal", "700.00", None)
    # disputed invoices take money only when named; named and fully paid, it is paid
    await _pay(rc, c["id"], "1000.00", invoices=[{"invoice_id": disputed["id"]}])
    got = await _get(rc, f"/v1/invoices/{disputed['id']}")
    assert (got["status"], got["dispute_area_id"]) == ("paid", None)


async def test_disputed_invoices_are_skipped_by_oldest_first(rc):
    c = await customer(rc)
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Calidad"})
    disputed = await invoice(rc, c["id"], due_date="2026-01-01")
    normal = await invoice(rc, c["id"], due_date="2026-02-01")
    await post(
        rc.api,
        f"/v1/invoices/{disputed['id']}/status",
        rc.admin,
        {"status": "dispute", "dispute_area_id": area["id"]},
        expect=200,
    )
    payment = await _pay(rc, c["id"], "1000.00")
    assert [a["invoice_id"] for a in payment["allocations"]] == [normal["id"]]


async def test_reversal_restores_open_amounts_and_status(rc):
    c = await customer(rc)
    first = await invoice(rc, c["id"], due_date="2026-01-01")
    second = await invoice(rc, c["id"], due_date="2026-02-01")
    payment = await _pay(rc, c["id"], "1500.00", external_id="REC-1")
    assert (await _get(rc, f"/v1/invoices/{first['id']}"))["status"] == "paid"
    reversed_ = await post(
        rc.api, f"/v1/payments/{payment['id']}/reverse", rc.admin, {"reason": "Cheque rechazado"}, expect=200
    )
    assert reversed_["status"] == "reversed"
    assert reversed_["unapplied_amount"] == "0.00"
    assert all(a["reversed"] for a in reversed_["allocations"])
    for inv in (first, second):
        got = await _get(rc, f"/v1/invoices/{inv['id']}")
        assert (got["status"], got["open_amount"], got["closed_on"]) == ("normal", "1000.00", None)
    again = await rc.api.post(f"/v1/payments/{payment['id']}/reverse", json={"reason": "x"}, headers=rc.admin)
    assert again.status_code == 409
    event = (await outbox(rc.stack, PaymentApplied))[-1]
    assert event.reversed
    assert sorted((str(a.invoice_id), a.amount) for a in event.allocations) == sorted(
        [(first["id"], 1000), (second["id"], 500)]
    )
    revisions = [e.revision for e in await outbox(rc.stack, InvoiceChanged) if str(e.invoice_id) == first["id"]]
    assert revisions == [1, 2, 3]
    timeline = await _get(rc, f"/v1/customers/{c['id']}/timeline?kind=payment_reversed")
    assert timeline["items"][0]["summary"].startswith("Payment of ARS 1500.00 reversed")


async def test_payment_rejections_name_the_field(rc):
    c, other = await customer(rc), await customer(rc)
    foreign = await invoice(rc, other["id"])
    response = await rc.api.post(
        "/v1/payments",
        json={
            "customer_id": c["id"],
            "currency": "ARS",
            "amount": "10.00",
            "payment_date": rc.today.isoformat(),
            "invoices": [{"invoice_id": foreign["id"]}],
        },
        headers=rc.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "invoices[0]"
    response = await rc.api.post(
        "/v1/payments",
        json={
            "customer_id": c["id"],
            "currency": "ARS",
            "amount": "10.00",
            "payment_date": rc.today.isoformat(),
            "invoices": [{"invoice_external_id": "X", "amount": "20.00"}],
        },
        headers=rc.admin,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "invoices"


async def test_paying_a_promise_by_its_date_keeps_it(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    promised = (rc.today + timedelta(days=2)).isoformat()
    await post(
        rc.api,
        f"/v1/invoices/{inv['id']}/status",
        rc.admin,
        {"status": "promise_to_pay", "promised_date": promised},
        expect=200,
    )
    await _pay(rc, c["id"], "1000.00")
    promises = (await rc.api.get("/v1/promises", params={"invoice_id": inv["id"]}, headers=rc.admin)).json()["items"]
    assert [(p["status"], p["resolved_on"]) for p in promises] == [("kept", rc.today.isoformat())]
