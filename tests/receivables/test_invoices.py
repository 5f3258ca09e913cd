"""Invoices through the gateway: creation, corrections, the status machine (seed 000) and its history."""

import itertools
from datetime import timedelta

import pytest

from services.receivables.invoices.rules import MANUAL_TRANSITIONS
from shared.contracts.common import InvoiceStatus
from shared.contracts.receivables import InvoiceChanged
from tests.receivables.helpers import customer, invoice, outbox, post

S = InvoiceStatus


async def test_create_invoice_and_read_it_with_days_overdue(rc):
    c = await customer(rc)
    due = rc.today - timedelta(days=10)
    created = await invoice(rc, c["id"], due_date=due.isoformat(), issue_date=(due - timedelta(days=30)).isoformat())
    assert created["status"] == "normal"
    assert created["open_amount"] == "1000.00"
    assert created["days_overdue"] == 10
    got = (await rc.api.get(f"/v1/invoices/{created['id']}", headers=rc.collector)).json()
    assert got["number"] == created["number"]
    events = await outbox(rc.stack, InvoiceChanged)
    assert [str(e.invoice_id) for e in events] == [created["id"]]
    assert events[-1].status == "normal"
    assert events[-1].revision == 1


async def test_invoice_validation_names_the_field(rc):
    c = await customer(rc)
    response = await rc.api.post(
        "/v1/invoices",
        json={
            "customer_id": c["id"],
            "number": "X",
            "currency": "ARS",
            "amount": "10.001",
            "issue_date": "2026-01-10",
            "due_date": "2026-01-01",
        },
        headers=rc.admin,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"amount", "due_date"}


async def _invoice_in(rc, c, status, area_id):
    inv = await invoice(rc, c["id"])
    if status == S.NORMAL:
        return inv
    if status in (S.PAID,):
        await post(
            rc.api,
            "/v1/payments",
            rc.admin,
            {
                "customer_id": c["id"],
                "currency": "ARS",
                "amount": "1000.00",
                "payment_date": rc.today.isoformat(),
                "invoices": [{"invoice_id": inv["id"]}],
            },
        )
        return inv
    if status == S.IN_PLAN:  # issue 19: only an accepted payment plan puts it there
        rule = {"count": 2, "first_due_date": (rc.today + timedelta(days=10)).isoformat()}
        body = {"customer_id": c["id"], "currency": "ARS", "invoice_ids": [inv["id"]], "rule": rule}
        plan = await post(rc.api, "/v1/payment-plans", rc.admin, body)
        await post(rc.api, f"/v1/payment-plans/{plan['id']}/accept", rc.admin, {}, expect=200)
        return inv
    body = {"status": status.value, **_details(rc, status, area_id)}
    await post(rc.api, f"/v1/invoices/{inv['id']}/status", rc.admin, body, expect=200)
    return inv


def _details(rc, status, area_id):
    return {
        S.PROMISE_TO_PAY: {"promised_date": (rc.today + timedelta(days=3)).isoformat()},
        S.PAYMENT_REPORTED: {"reported_date": rc.today.isoformat()},
        S.DISPUTE: {"dispute_area_id": area_id},
    }.get(status, {})


async def test_every_transition_is_allowed_or_409(rc):
    """All 8 x 8 pairs: the allowed ones succeed, every other one answers 409 problem+json."""
    c = await customer(rc)
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Logística"})
    for current, target in itertools.product(S, S):
        inv = await _invoice_in(rc, c, current, area["id"])
        body = {"status": target.value, **_details(rc, target, area["id"])}
        response = await rc.api.post(f"/v1/invoices/{inv['id']}/status", json=body, headers=rc.collector)
        allowed = target in MANUAL_TRANSITIONS[current]
        if allowed:
            assert response.status_code == 200, (current, target, response.text)
            assert response.json()["status"] == target.value
        else:
            assert response.status_code == 409, (current, target, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["type"].endswith("/conflict")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "promise_to_pay"}, "promised_date"),
        ({"status": "promise_to_pay", "promised_date": "2000-01-01"}, "promised_date"),
        ({"status": "dispute"}, "dispute_area_id"),
        ({"status": "written_off", "promised_date": "2099-01-01"}, "promised_date"),
    ],
)
async def test_status_details_are_validated(rc, body, field):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    response = await rc.api.post(f"/v1/invoices/{inv['id']}/status", json=body, headers=rc.admin)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_history_says_who_when_why(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"])
    promised = (rc.today + timedelta(days=5)).isoformat()
    await post(
        rc.api,
        f"/v1/invoices/{inv['id']}/status",
        rc.collector,
        {"status": "promise_to_pay", "promised_date": promised, "reason": "Llamada con Marisol"},
        expect=200,
    )
    await post(
        rc.api, f"/v1/invoices/{inv['id']}/status", rc.admin, {"status": "normal", "reason": "Error"}, expect=200
    )
    history = (await rc.api.get(f"/v1/invoices/{inv['id']}/history", headers=rc.admin)).json()["items"]
    assert [(h["data"]["from"], h["data"]["to"], h["data"]["reason"]) for h in history] == [
        ("normal", "promise_to_pay", "Llamada con Marisol"),
        ("promise_to_pay", "normal", "Error"),
    ]
    assert history[0]["actor"] == f"user:{rc.collector_id}"
    assert history[0]["data"]["promised_date"] == promised
    promises = (await rc.api.get("/v1/promises", params={"invoice_id": inv["id"]}, headers=rc.admin)).json()["items"]
    assert [p["status"] for p in promises] == ["cancelled"]
    events = [e for e in await outbox(rc.stack, InvoiceChanged) if str(e.invoice_id) == inv["id"]]
    assert [(e.revision, e.status) for e in events] == [(1, "normal"), (2, "promise_to_pay"), (3, "normal")]
    assert events[1].promised_date.isoformat() == promised
    assert events[2].promised_date is None


async def test_list_invoices_filters(rc):
    c1, c2 = await customer(rc), await customer(rc)
    overdue = await invoice(rc, c1["id"], due_date=(rc.today - timedelta(days=1)).isoformat(), issue_date="2025-01-01")
    await invoice(rc, c2["id"], due_date=(rc.today + timedelta(days=10)).isoformat(), currency="USD")
    listed = (await rc.api.get("/v1/invoices", params={"overdue": "true"}, headers=rc.admin)).json()["items"]
    assert [i["id"] for i in listed] == [overdue["id"]]
    listed = (await rc.api.get("/v1/invoices", params={"currency": "USD"}, headers=rc.admin)).json()["items"]
    assert [i["customer_id"] for i in listed] == [c2["id"]]
    page = (await rc.api.get("/v1/invoices", params={"limit": 1}, headers=rc.admin)).json()
    assert page["next_cursor"]
    rest = (
        await rc.api.get("/v1/invoices", params={"limit": 1, "cursor": page["next_cursor"]}, headers=rc.admin)
    ).json()
    assert rest["items"][0]["id"] != page["items"][0]["id"]
    assert rest["next_cursor"] is None


async def test_corrections_are_kept_in_the_history(rc):
    c = await customer(rc)
    inv = await invoice(rc, c["id"], due_date="2026-02-01")
    response = await rc.api.patch(
        f"/v1/invoices/{inv['id']}",
        json={"due_date": "2026-03-01", "document_url": "https://x.example/1.pdf"},
        headers=rc.admin,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["due_date"], response.json()["revision"]) == ("2026-03-01", 2)
    (entry,) = (await rc.api.get(f"/v1/invoices/{inv['id']}/history", headers=rc.admin)).json()["items"]
    assert entry["kind"] == "invoice_updated"
    assert entry["data"]["due_date"] == {"from": "2026-02-01", "to": "2026-03-01"}
    bad = await rc.api.patch(f"/v1/invoices/{inv['id']}", json={"due_date": "2020-01-01"}, headers=rc.admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "due_date"
