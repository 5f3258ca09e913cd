"""Advancing a sandbox tenant's test clock through the gateway (issue 15): each day in between runs in every service
(dunning's scheduled run, the promise check, the alarms, the deliveries) with every worker and relay running in
the background, and the advance answers once all of it has settled."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from shared.identity import SERVICE, identity_headers
from shared.settings import ServiceSettings
from tests.clock.support import live_services, sandbox_tenant
from tests.dunning.support import create_strategy
from tests.messaging.support import settings as messaging_settings
from tests.support import RoutingTransport, create_api_key, create_tenant

# Monday 10 March 2025, noon in Buenos Aires (the run hour, 9, has come); no holiday that week
START = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
CUSTOMER_EMAIL = "pagos@ferreteria-norte.example"


async def created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def portfolio(api, tenant) -> None:
    """A customer with one invoice issued on the clock's first day, due that Friday."""
    await created(await api.patch("/v1/dunning-settings", json={"run_hour": 9}, headers=tenant.admin))
    quiet = {channel: {"quiet_hours": None, "frequency_cap": None} for channel in ("email", "sms", "whatsapp")}
    await created(await api.patch("/v1/messaging-settings", json=quiet, headers=tenant.admin))
    await create_strategy(api, tenant.admin)
    erp = await create_api_key(api, tenant)
    customer = await created(
        await api.post(
            "/v1/customers",
            json={
                "name": "Ferretería Norte",
                "external_id": "C-1",
                "contacts": [{"channel": "email", "address": CUSTOMER_EMAIL}],
            },
            headers=erp,
        )
    )
    await created(
        await api.post(
            "/v1/invoices",
            json={
                "customer_id": customer["id"],
                "number": "A-1",
                "currency": "ARS",
                "amount": "150000.00",
                "issue_date": "2025-03-10",
                "due_date": "2025-03-14",
            },
            headers=erp,
        )
    )


async def test_advancing_a_week_plays_each_day_in_every_service_and_answers_settled(api, stack, mailbox):
    tenant = await sandbox_tenant(api, START, stack)
    messaging = messaging_settings(smtp_port=mailbox.port)
    async with live_services(stack, messaging):
        await portfolio(api, tenant)
        response = await api.post("/v1/test-clock/advance", json={"days": 7}, headers=tenant.admin)
        assert response.status_code == 200, response.text
        progress = response.json()

    assert progress["status"] == "settled" and progress["error"] is None
    assert progress["stops_done"] == progress["stops_total"] == 8
    assert progress["current"] == progress["target"] == "2025-03-17T15:00:00Z"
    assert progress["work"]["dunning.runs"] == 8  # one scheduled run a day, weekend days included (skipped)
    watched = await api.get("/v1/test-clock/advance", headers=tenant.admin)
    assert watched.status_code == 200 and watched.json() == progress
    clock = (await api.get("/v1/test-clock", headers=tenant.admin)).json()
    assert clock["frozen_time"] == progress["current"] and clock["advance"] == progress

    async with stack.engine.connect() as conn:
        clock = (
            await conn.execute(text("SELECT test_clock FROM gateway.tenants WHERE id = :t"), {"t": tenant.id})
        ).scalar_one()
        runs = (
            await conn.execute(
                text("SELECT as_of, status FROM dunning.runs WHERE tenant_id = :t AND trigger = 'schedule'"),
                {"t": tenant.id},
            )
        ).all()
        sent = (
            await conn.execute(
                text("SELECT kind, state FROM messaging.messages WHERE tenant_id = :t ORDER BY created_at"),
                {"t": tenant.id},
            )
        ).all()
        projected = {
            table: (
                await conn.execute(
                    text(f"SELECT test_clock FROM {table} WHERE tenant_id = :t"),
                    {"t": tenant.id},
                )
            ).scalar_one()
            for table in ("receivables.tenants", "dunning.tenants", "alarms.tenants", "messaging.tenant_settings")
        }
    assert clock == START + timedelta(days=7)
    assert set(projected.values()) == {clock}  # every service heard of the last move before the advance answered
    assert sorted(r.as_of for r in runs) == [date(2025, 3, 10) + timedelta(days=n) for n in range(8)]
    assert {r.status for r in runs if r.as_of.isoweekday() >= 6} == {"skipped"}
    assert {r.status for r in runs if r.as_of.isoweekday() < 6} == {"completed"}
    # new invoice (10th), pre-due (11th: 3 days before Friday's due date), overdue (Saturday 15th -> Monday 17th)
    assert [(m.kind, m.state) for m in sent] == [("new_invoice", "sent"), ("pre_due", "sent"), ("overdue", "sent")]
    delivered = [m for m in mailbox.messages() if CUSTOMER_EMAIL in m["To"]]
    assert len(delivered) == 3


async def test_only_a_sandbox_with_its_clock_set_can_advance_and_only_forward(api, stack):
    live = await create_tenant(api)
    response = await api.post("/v1/test-clock/advance", json={"days": 1}, headers=live.admin)
    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith("/not-a-sandbox")

    unset = await sandbox_tenant(api, None)
    response = await api.post("/v1/test-clock/advance", json={"days": 1}, headers=unset.admin)
    assert response.status_code == 409, response.text
    assert (await api.get("/v1/test-clock/advance", headers=unset.admin)).status_code == 404

    sandbox = await sandbox_tenant(api, START)
    for body, field in (
        ({"to": "2025-03-09T15:00:00Z"}, "to"),
        ({"days": 401}, "days"),
    ):
        response = await api.post("/v1/test-clock/advance", json=body, headers=sandbox.admin)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [field]
    for body in ({}, {"days": 1, "to": "2025-03-11T15:00:00Z"}, {"days": 0}):
        response = await api.post("/v1/test-clock/advance", json=body, headers=sandbox.admin)
        assert response.status_code == 422, response.text
    await stack.redis.set(f"test-clock:advancing:{sandbox.id}", "1")  # another advance under way
    response = await api.post("/v1/test-clock/advance", json={"days": 1}, headers=sandbox.admin)
    assert response.status_code == 409, response.text


async def test_the_internal_routes_answer_only_a_signed_service_of_the_same_tenant(api, stack):
    tenant = await create_tenant(api)
    other = await create_tenant(api)
    secret = ServiceSettings().internal_secret
    signed = identity_headers(secret, tenant.id, "service:gateway", [SERVICE])
    async with httpx.AsyncClient(transport=RoutingTransport(stack.services)) as http:
        for service in ("receivables", "dunning", "alarms", "messaging", "webhooks"):
            url = f"http://{service}.test/internal/test-clock/pending"
            params = {"tenant_id": str(tenant.id), "now": START.isoformat()}
            answer = await http.get(url, params=params, headers=signed)
            assert answer.status_code == 200, (service, answer.text)
            assert answer.json()["service"] == service and answer.json()["pending"] >= 0
            foreign = await http.get(url, params={**params, "tenant_id": str(other.id)}, headers=signed)
            assert foreign.status_code == 403, (service, foreign.text)
            unsigned = await http.get(url, params=params, headers=tenant.admin)
            assert unsigned.status_code in (401, 403), (service, unsigned.text)
