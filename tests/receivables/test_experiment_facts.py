"""The experiments' facts (``POST /internal/experiment-facts``, issue 19) with a payment plan: its installments carry
the grouped invoices' debt, so the invoices that count are the installments, never the grouped invoices as well."""

from datetime import timedelta
from typing import Any

import httpx

from services.receivables.settings import ServiceSettings
from shared.identity import SERVICE, identity_headers
from tests.receivables.helpers import customer, invoice, post


async def _facts(rc, body: dict[str, Any]) -> dict[str, Any]:
    headers = identity_headers(ServiceSettings().internal_secret, rc.tenant_id, "service:dunning", [SERVICE])
    transport = httpx.ASGITransport(rc.stack.services["receivables"])
    async with httpx.AsyncClient(transport=transport, base_url="http://receivables.test") as client:
        response = await client.post("/internal/experiment-facts", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_completed_plan_counts_its_installments_once(rc):
    c = await customer(rc, collector_id=str(rc.collector_id))
    grouped = [
        await invoice(rc, c["id"], amount=a, due_date=(rc.today - timedelta(days=d)).isoformat())
        for a, d in (("600.00", 40), ("400.00", 20))
    ]
    first = rc.today + timedelta(days=10)
    body = {"customer_id": c["id"], "currency": "ARS", "rule": {"count": 3, "first_due_date": first.isoformat()}}
    plan = await post(rc.api, "/v1/payment-plans", rc.collector, {**body, "rule": {**body["rule"], "every": "month"}})
    plan = await post(rc.api, f"/v1/payment-plans/{plan['id']}/accept", rc.collector, {}, expect=200)
    for amount in ("333.33", "333.33", "333.34"):
        pay = {"customer_id": c["id"], "currency": "ARS", "amount": amount, "payment_date": rc.today.isoformat()}
        await post(rc.api, "/v1/payments", rc.admin, pay)
    start, end = rc.today - timedelta(days=30), rc.today + timedelta(days=90)
    asked = {"customer_ids": [c["id"]], "start": start.isoformat(), "end": end.isoformat(), "window_days": 30}
    (facts,) = (await _facts(rc, asked))["customers"]
    installments = {i["invoice_id"] for i in plan["installments"]}
    assert {i["invoice_id"] for i in facts["invoices"]} == installments  # not the grouped invoices (paid by the plan)
    assert not installments & {g["id"] for g in grouped}
    assert all(i["paid_within"] and i["days_to_pay"] == 0 for i in facts["invoices"])  # paid before due
    assert facts["collected"] == [{"currency": "ARS", "amount": "1000.00"}]
