"""Customers (filters, contacts, collector and advisor) and the people around them (seed 002)."""

from datetime import timedelta

from shared.contracts.receivables import CustomerChanged
from tests.receivables.helpers import customer, invoice, outbox, post


async def _names(rc, **params):
    response = await rc.api.get("/v1/customers", params=params, headers=rc.admin)
    assert response.status_code == 200, response.text
    return sorted(c["name"] for c in response.json()["items"])


async def test_filters_collector_segment_tag_overdue_advisor(rc):
    advisor = await post(rc.api, "/v1/people", rc.admin, {"kind": "advisor", "name": "Ana Asesora"})
    late = await customer(rc, name="Atrasado", collector_id=str(rc.collector_id), segment="retail", tags=["Norte"])
    await customer(rc, name="Al día", segment="wholesale", advisor_id=advisor["id"], vip=True)
    paid_late = await customer(rc, name="Pagó", risk_level="high")
    await invoice(rc, late["id"], due_date=(rc.today - timedelta(days=3)).isoformat())
    future = await invoice(rc, paid_late["id"], due_date=(rc.today - timedelta(days=3)).isoformat())
    await post(
        rc.api,
        "/v1/payments",
        rc.admin,
        {"customer_id": paid_late["id"], "currency": "ARS", "amount": "1000.00", "payment_date": rc.today.isoformat()},
    )
    assert future["status"] == "normal"
    assert await _names(rc, has_overdue="true") == ["Atrasado"]
    assert await _names(rc, has_overdue="false") == ["Al día", "Pagó"]
    assert await _names(rc, collector_id=str(rc.collector_id)) == ["Atrasado"]
    assert await _names(rc, segment="wholesale") == ["Al día"]
    assert await _names(rc, tag="norte") == ["Atrasado"]
    assert await _names(rc, advisor_id=advisor["id"]) == ["Al día"]
    assert await _names(rc, vip="true") == ["Al día"]
    assert await _names(rc, risk_level="high") == ["Pagó"]
    assert await _names(rc, q="atras") == ["Atrasado"]


async def test_contacts_are_validated_with_real_libraries(rc):
    response = await rc.api.post(
        "/v1/customers",
        json={
            "name": "X",
            "contacts": [{"channel": "sms", "address": "+54 9 11 5555-1234"}, {"channel": "email", "address": "nope"}],
        },
        headers=rc.admin,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["contacts[1].address"]
    ok = await customer(rc, contacts=[{"channel": "whatsapp", "address": "+54 9 11 5555-1234"}])
    assert ok["contacts"] == [{"channel": "whatsapp", "address": "+5491155551234", "invalid": False}]


async def test_collector_and_advisor_must_be_the_tenants(rc):
    admin_as_collector = await rc.api.post(
        "/v1/customers", json={"name": "X", "collector_id": str(rc.tenant.admin_id)}, headers=rc.admin
    )
    assert admin_as_collector.status_code == 422
    assert admin_as_collector.json()["errors"][0]["field"] == "collector_id"
    supervisor = await post(rc.api, "/v1/people", rc.admin, {"kind": "supervisor", "name": "Sara"})
    wrong_kind = await rc.api.post(
        "/v1/customers", json={"name": "X", "advisor_id": supervisor["id"]}, headers=rc.admin
    )
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["errors"][0]["field"] == "advisor_id"


async def test_customer_changed_carries_collector_advisor_supervisor(rc):
    supervisor = await post(
        rc.api,
        "/v1/people",
        rc.admin,
        {"kind": "supervisor", "name": "Sara Supervisora", "phone": "+5491140000001", "email": "sara@x.example"},
    )
    advisor = await post(
        rc.api,
        "/v1/people",
        rc.admin,
        {"kind": "advisor", "name": "Lucía", "whatsapp": "+5491140000002", "supervisor_id": supervisor["id"]},
    )
    await post(
        rc.api,
        "/v1/people",
        rc.admin,
        {"kind": "staff", "name": "Cobrador", "user_id": str(rc.collector_id), "whatsapp": "+5491140000003"},
    )
    c = await customer(rc, collector_id=str(rc.collector_id), advisor_id=advisor["id"])
    event = (await outbox(rc.stack, CustomerChanged))[-1]
    assert (event.collector.id, event.collector.whatsapp) == (rc.collector_id, "+5491140000003")
    assert (event.advisor.name, event.advisor.whatsapp) == ("Lucía", "+5491140000002")
    assert (event.supervisor.name, event.supervisor.phone, event.supervisor.email) == (
        "Sara Supervisora",
        "+5491140000001",
        "sara@x.example",
    )
    # the supervisor changes phone: the customers whose messages show her are announced again
    response = await rc.api.patch(f"/v1/people/{supervisor['id']}", json={"phone": "+5491140000009"}, headers=rc.admin)
    assert response.status_code == 200, response.text
    event = (await outbox(rc.stack, CustomerChanged))[-1]
    assert (str(event.customer_id), event.revision, event.supervisor.phone) == (c["id"], 2, "+5491140000009")


async def test_people_collectors_areas_and_settings(rc):
    collectors = (await rc.api.get("/v1/people/collectors", headers=rc.admin)).json()["items"]
    assert [(c["user_id"], c["customers"]) for c in collectors] == [(str(rc.collector_id), 0)]
    duplicate = await rc.api.post("/v1/people", json={"kind": "advisor", "name": "Ana"}, headers=rc.admin)
    assert duplicate.status_code == 201
    again = await rc.api.post("/v1/people", json={"kind": "advisor", "name": " ana "}, headers=rc.admin)
    assert again.status_code == 409
    self_supervised = await rc.api.post(
        "/v1/people",
        json={"kind": "supervisor", "name": "S", "supervisor_id": duplicate.json()["id"]},
        headers=rc.admin,
    )
    assert self_supervised.status_code == 422
    area = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Facturación"})
    assert (await rc.api.post("/v1/dispute-areas", json={"name": "Facturación"}, headers=rc.admin)).status_code == 409
    other = await post(rc.api, "/v1/dispute-areas", rc.admin, {"name": "Logística"})
    renamed = await rc.api.patch(f"/v1/dispute-areas/{other['id']}", json={"name": "Facturación"}, headers=rc.admin)
    assert renamed.status_code == 409, renamed.text  # found by schemathesis: was a 500
    assert "Facturación" in renamed.json()["detail"]
    updated = await rc.api.patch(
        f"/v1/dispute-areas/{area['id']}", json={"responsible_id": duplicate.json()["id"]}, headers=rc.admin
    )
    assert updated.json()["responsible"]["name"] == "Ana"
    listed = (await rc.api.get("/v1/dispute-areas", headers=rc.collector)).json()["items"]
    assert [a["name"] for a in listed] == ["Facturación", "Logística"]
    forbidden = await rc.api.patch("/v1/receivables-settings", json={"follow_up_days": 5}, headers=rc.collector)
    assert forbidden.status_code == 403
    settings = await rc.api.patch(
        "/v1/receivables-settings",
        json={"follow_up_days": 5, "action_owner_id": str(rc.tenant.admin_id)},
        headers=rc.admin,
    )
    assert (settings.json()["follow_up_days"], settings.json()["action_owner_id"]) == (5, str(rc.tenant.admin_id))
    assert settings.json()["country"] == "AR"


async def test_delete_keeps_history_and_announces(rc):
    c = await customer(rc)
    assert (await rc.api.delete(f"/v1/customers/{c['id']}", headers=rc.admin)).status_code == 204
    assert (await rc.api.get(f"/v1/customers/{c['id']}", headers=rc.admin)).status_code == 404
    event = (await outbox(rc.stack, CustomerChanged))[-1]
    assert (event.deleted, event.revision) == (True, 2)
