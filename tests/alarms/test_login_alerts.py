"""The failed-login alarm, end to end: the gateway counts an account's failed logins; at the threshold it
announces them once per window through its outbox; alarms records the alert and emails every active admin of the
tenant through messaging, which delivers to a real SMTP server on loopback. Fewer failures, or an unknown tenant,
alarm nobody."""

import pytest
from sqlalchemy import text

from alarms_service.login_alerts.words import alert_data
from api_gateway.tokens.rules import alarm_due
from tests.alarms.support import alarms_tenant, deliver_gateway, relay
from tests.messaging.support import deliver, settings
from tests.support import create_user

WRONG = "wrong-password"


def test_the_alarm_is_due_from_the_threshold_on():
    assert [alarm_due(n, 3) for n in range(1, 6)] == [False, False, True, True, True]


def test_the_alarm_reads_in_the_tenants_language_with_one_hour_singular():
    data = alert_data("es", "carla@acme.example", 10, "203.0.113.7", 3600)
    assert data["summary"] == "La cuenta carla@acme.example falló 10 veces al iniciar sesión en la última hora."
    assert alert_data("es", "a@b.example", 10, "x", 7200)["summary"].endswith("en las últimas 2 horas.")
    assert alert_data("pt", "a@b.example", 10, "x", 60)["summary"].endswith("ao entrar no último minuto.")
    assert alert_data("pt", "a@b.example", 10, "x", 7200)["summary"].endswith("ao entrar nas últimas 2 horas.")
    assert "Última dirección: 203.0.113.7" in data["lines"]
    assert alert_data("en", "a@b.example", 4, "x", 900)["summary"].endswith("4 times in the last 15 minutes.")
    assert alert_data("xx", "a@b.example", 4, "x", 900)["title"] == "Inicios de sesión fallidos"


@pytest.fixture
def alarm_after_three(stack, monkeypatch):
    """Three failures alarm; no back-off gets in the way (the throttle itself is tested elsewhere)."""
    gateway_settings = stack.gateway.state.settings
    for name, value in (
        ("login_alarm_failures", 3),
        ("login_account_free_failures", 50),
        ("login_address_free_failures", 100),
        ("trust_forwarded_for", True),
    ):
        monkeypatch.setattr(gateway_settings, name, value)


async def fail(api, slug: str, username: str, times: int) -> None:
    for _ in range(times):
        response = await api.post(
            "/v1/auth/token",
            data={"tenant": slug, "username": username, "password": WRONG},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
        assert response.status_code == 401, response.text
        assert response.json()["detail"] == "Wrong tenant, email or password"  # the same whoever the account is


async def announced(stack) -> list:
    async with stack.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT tenant_id, payload FROM gateway.outbox WHERE message_type = 'gateway.login_failures_exceeded'")
        )
        return rows.all()


async def test_the_tenants_admins_are_alarmed_once_after_the_threshold(api, stack, mailbox, alarm_after_three):
    tenant = await alarms_tenant(api, stack)
    second_admin, _ = await create_user(api, tenant, "admin")
    gone_admin, _ = await create_user(api, tenant, "admin")
    carla, _ = await create_user(api, tenant, "collector")
    response = await api.patch(f"/v1/users/{gone_admin['id']}", json={"active": False}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    await deliver_gateway(stack)
    await deliver(stack, settings())  # messaging learns the tenant
    body = {channel: {"quiet_hours": None, "frequency_cap": None} for channel in ("email", "sms", "whatsapp")}
    response = await api.patch("/v1/messaging-settings", json=body, headers=tenant.admin)
    assert response.status_code == 200, response.text

    await fail(api, tenant.slug, carla["email"], 2)
    assert await announced(stack) == []  # fewer than the threshold: nobody is alarmed
    await fail(api, tenant.slug, carla["email"], 3)
    await fail(api, "no-such-tenant", carla["email"], 4)  # an unknown tenant has nobody to alarm
    (event,) = await announced(stack)  # the third failure announced it; the fourth and fifth did not again
    assert event.tenant_id == tenant.id
    assert event.payload["username"] == carla["email"] and event.payload["failures"] == 3
    assert event.payload["address"] == "203.0.113.7"

    await deliver_gateway(stack)
    alerts = (await api.get("/v1/alarms/login-alerts", headers=tenant.admin)).json()["items"]
    admins = sorted([f"admin@{tenant.slug}.example", second_admin["email"]])
    assert [(a["username"], a["failures"], sorted(a["recipients"])) for a in alerts] == [(carla["email"], 3, admins)]
    _, manager = await create_user(api, tenant, "manager")
    assert (await api.get("/v1/alarms/login-alerts", headers=manager)).status_code == 403

    await relay(stack, "alarms")
    await deliver(stack, settings(smtp_port=mailbox.port))
    mails = {mail["To"].addresses[0].addr_spec: mail for mail in mailbox.messages()}
    assert sorted(mails) == admins
    mail = mails[second_admin["email"]]
    assert mail["Subject"].startswith("Inicios de sesión fallidos - ")
    content = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"La cuenta {carla['email']} falló 3 veces al iniciar sesión" in content
    assert "Última dirección: 203.0.113.7" in content

    # the event again (a relay sent it twice): no second alert, no second email
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE gateway.outbox SET published_at = NULL"))
    await deliver_gateway(stack)
    await relay(stack, "alarms")
    await deliver(stack, settings(smtp_port=mailbox.port))
    assert len((await api.get("/v1/alarms/login-alerts", headers=tenant.admin)).json()["items"]) == 1
    assert len(mailbox.messages()) == 2
