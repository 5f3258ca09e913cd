"""Tenant isolation on every resource: another tenant's id answers 404 (or 422 when it is a reference in a body),
and lists never show another tenant's rows."""

from datetime import timedelta

from tests.receivables.helpers import customer, invoice, post, setup_tenant


async def _resources_of(rc):
    """One of everything in tenant A."""
    person = await post(rc.api, "/v1/people", rc.admin, {"kind": "advisor", "name": "Ana"})
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Logística"})
    c = await customer(rc, collector_id=str(rc.collector_id))
    inv = await invoice(rc, c["id"])
    payment = await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {"customer_id": c["id"], "currency": "ARS", "amount": "10.00", "payment_date": rc.today.isoformat()},
    )
    outcome = await post(
        rc.api,
        "/v1/outcomes",
        rc.collector,
        {
            "customer_id": c["id"],
            "kind": "promise_to_pay",
            "promised_date": (rc.today + timedelta(days=1)).isoformat(),
        },
    )
    promise = (await rc.api.get("/v1/promises", headers=rc.admin)).json()["items"][0]
    note = await post(rc.api, "/v1/notes", rc.collector, {"customer_id": c["id"], "body": "hola #x"})
    task = await post(rc.api, "/v1/tasks", rc.collector, {"customer_id": c["id"], "title": "Llamar"})
    return {
        "person": person,
        "area": area,
        "customer": c,
        "invoice": inv,
        "payment": payment,
        "outcome": outcome,
        "promise": promise,
        "note": note,
        "task": task,
    }


async def test_foreign_ids_answer_404(api, stack):
    a = await setup_tenant(api, stack)
    b = await setup_tenant(api, stack)
    r = await _resources_of(a)
    ids = {k: v["id"] for k, v in r.items()}
    reads = [
        f"/v1/customers/{ids['customer']}",
        f"/v1/customers/{ids['customer']}/timeline",
        f"/v1/customers/{ids['customer']}/statement",
        f"/v1/customers/{ids['customer']}/statement.html",
        f"/v1/invoices/{ids['invoice']}",
        f"/v1/invoices/{ids['invoice']}/history",
        f"/v1/payments/{ids['payment']}",
        f"/v1/outcomes/{ids['outcome']}",
        f"/v1/promises/{ids['promise']}",
        f"/v1/notes/{ids['note']}",
        f"/v1/tasks/{ids['task']}",
        f"/v1/people/{ids['person']}",
        f"/v1/dispute-areas/{ids['area']}",
    ]
    for path in reads:
        assert (await api.get(path, headers=a.admin)).status_code == 200, path
        response = await api.get(path, headers=b.admin)
        assert response.status_code == 404, (path, response.text)
    writes = [
        ("PATCH", f"/v1/customers/{ids['customer']}", {"name": "Robado"}),
        ("DELETE", f"/v1/customers/{ids['customer']}", None),
        ("PATCH", f"/v1/invoices/{ids['invoice']}", {"number": "X"}),
        ("POST", f"/v1/invoices/{ids['invoice']}/status", {"status": "void"}),
        ("POST", f"/v1/payments/{ids['payment']}/reverse", {"reason": "x"}),
        ("PATCH", f"/v1/tasks/{ids['task']}", {"status": "done"}),
        ("PATCH", f"/v1/people/{ids['person']}", {"name": "X"}),
        ("PATCH", f"/v1/dispute-areas/{ids['area']}", {"name": "X"}),
        ("POST", "/v1/outcomes", {"customer_id": ids["customer"], "kind": "unreachable"}),
        (
            "POST",
            "/v1/outcomes",
            {"customer_id": (await customer(b))["id"], "kind": "unreachable", "invoice_ids": [ids["invoice"]]},
        ),
    ]
    for method, path, body in writes:
        response = await api.request(method, path, json=body, headers=b.admin)
        assert response.status_code == 404, (method, path, response.text)
    references = [
        (
            "/v1/invoices",
            {
                "customer_id": ids["customer"],
                "number": "1",
                "currency": "ARS",
                "amount": "1",
                "issue_date": "2026-01-01",
                "due_date": "2026-01-01",
            },
            "customer_id",
        ),
        (
            "/v1/payments",
            {"customer_id": ids["customer"], "currency": "ARS", "amount": "1", "payment_date": "2026-01-01"},
            "customer_id",
        ),
        ("/v1/notes", {"customer_id": ids["customer"], "body": "x"}, "customer_id"),
        ("/v1/tasks", {"customer_id": ids["customer"], "title": "x"}, "customer_id"),
        ("/v1/customers", {"name": "x", "advisor_id": ids["person"]}, "advisor_id"),
        ("/v1/customers", {"name": "x", "collector_id": str(a.collector_id)}, "collector_id"),
        ("/v1/dispute-areas", {"name": "x", "responsible_id": ids["person"]}, "responsible_id"),
    ]
    for path, body, field in references:
        response = await api.post(path, json=body, headers=b.admin)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["field"] == field
    lists = [
        "/v1/customers",
        "/v1/invoices",
        "/v1/payments",
        "/v1/outcomes",
        "/v1/promises",
        "/v1/notes",
        "/v1/tasks",
        "/v1/people",
    ]
    mine = set(ids.values())
    for path in lists:
        seen = {item["id"] for item in (await api.get(path, headers=b.admin)).json()["items"]}
        assert not seen & mine, path
    assert (await api.get("/v1/dispute-areas", headers=b.admin)).json()["items"] == []
    kpis = (await api.get("/v1/kpis", headers=b.admin)).json()
    assert kpis["aging"]["currencies"] == []
    assert kpis["promises"]["made"] == 0
    # B's ERP cannot reach A's customers by external id either
    result = await post(
        api,
        "/v1/ingest/invoices",
        b.erp,
        {
            "items": [
                {
                    "external_id": "F-1",
                    "customer_external_id": r["customer"]["external_id"],
                    "number": "1",
                    "currency": "ARS",
                    "amount": "1",
                    "issue_date": "2026-01-01",
                    "due_date": "2026-01-01",
                }
            ]
        },
        expect=200,
    )
    assert result["rejected"][0]["field"] == "customer_external_id"
    # and A still has its invoice untouched
    assert (await api.get(f"/v1/invoices/{ids['invoice']}", headers=a.admin)).json()["status"] == "promise_to_pay"
