"""The API of endpoints: who may do what, URL checks, secret rotation with its overlap, replays, re-enabling,
automatic disabling with its alarm to the tenant's admins, and tenants kept apart."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shared.contracts.webhooks import WebhookEventType
from tests.alarms.support import alarms_tenant, alarms_worker, relay
from tests.support import create_api_key, create_tenant, create_user
from tests.webhooks.support import allow_private, deliver, execute, fetch, receiver, register
from tests.webhooks.test_delivery import events, store, tenant_with_endpoint


@pytest.fixture
async def hook():
    async with receiver() as stub:
        yield stub


def field_errors(response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json()["errors"]]


async def test_private_addresses_are_refused_unless_the_operator_allows_them(api, hook):
    tenant = await create_tenant(api)
    for url in (
        hook.url,
        "http://localhost:8080/hooks",
        "http://10.1.2.3/x",
        "http://[::1]:9/x",
        "http://169.254.169.254/",
    ):
        response = await api.post("/v1/webhook-endpoints", json={"url": url}, headers=tenant.admin)
        assert field_errors(response) == ["url"], url
    response = await api.post("/v1/webhook-endpoints", json={"url": "ftp://example.com/x"}, headers=tenant.admin)
    assert field_errors(response) == ["url"]
    response = await api.post(
        "/v1/webhook-endpoints", json={"url": "https://user:pw@example.com/x"}, headers=tenant.admin
    )
    assert field_errors(response) == ["url"]
    response = await api.post(
        "/v1/webhook-endpoints", json={"url": hook.url, "event_types": ["invoice.paid"]}, headers=tenant.admin
    )
    assert field_errors(response) == ["event_types[0]"]

    response = await api.put(f"/v1/tenants/{tenant.id}/webhook-settings", json={"allow_private_urls": True})
    assert response.status_code == 401  # the operator only
    response = await api.put(
        f"/v1/tenants/{tenant.id}/webhook-settings", json={"allow_private_urls": True}, headers=tenant.admin
    )
    assert response.status_code == 401
    await allow_private(api, tenant.id)
    await register(api, tenant.admin, hook.url)
    response = await api.get("/v1/webhook-settings", headers=tenant.admin)
    assert response.json() == {"allow_private_urls": True, "disable_after_days": 5}


async def test_http_is_refused_outside_development(api, stack, hook, monkeypatch):
    tenant = await create_tenant(api)
    await allow_private(api, tenant.id)
    monkeypatch.setattr(stack.services["webhooks"].state.settings, "environment", "production")
    response = await api.post("/v1/webhook-endpoints", json={"url": hook.url}, headers=tenant.admin)
    assert field_errors(response) == ["url"]
    assert "https" in response.json()["errors"][0]["message"]
    response = await api.post("/v1/webhook-endpoints", json={"url": "https://127.0.0.1:1/x"}, headers=tenant.admin)
    assert response.status_code == 201, response.text


async def test_admins_manage_integrations_read_and_operate_others_are_refused(api, stack, hook):
    tenant, endpoint = await tenant_with_endpoint(api, hook.url)
    key = await create_api_key(api, tenant)
    _, collector = await create_user(api, tenant, "collector")
    path = f"/v1/webhook-endpoints/{endpoint['id']}"

    response = await api.get(path, headers=key)
    assert response.status_code == 200 and "secret" not in response.json()
    assert (await api.post("/v1/webhook-endpoints", json={"url": hook.url}, headers=key)).status_code == 403
    assert (await api.post(f"{path}/rotate-secret", headers=key)).status_code == 403
    assert (await api.post(f"{path}/test", headers=key)).status_code == 202
    assert (await api.get(path, headers=collector)).status_code == 403
    assert (await api.get("/v1/webhook-events", headers=collector)).status_code == 403

    response = await api.patch(path, json={"event_types": ["promise.made"], "description": "ERP"}, headers=tenant.admin)
    assert response.status_code == 200 and response.json()["event_types"] == ["promise.made"]
    response = await api.patch(path, json={"url": "http://10.0.0.1/x"}, headers=tenant.admin)
    assert response.status_code == 200 and response.json()["url"] == "http://10.0.0.1/x"  # private URLs allowed
    await allow_private(api, tenant.id, False)
    response = await api.patch(path, json={"url": "http://10.0.0.2/x"}, headers=tenant.admin)
    assert field_errors(response) == ["url"]  # a changed URL is checked again
    assert (await api.delete(path, headers=tenant.admin)).status_code == 204
    assert (await api.get(path, headers=tenant.admin)).status_code == 404


async def test_a_rotation_keeps_both_secrets_valid_during_the_overlap_and_only_the_new_one_after(api, stack, hook):
    tenant, endpoint = await tenant_with_endpoint(api, hook.url)
    old = endpoint["secret"]
    response = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=tenant.admin)
    assert response.status_code == 200, response.text
    new = response.json()["secret"]
    expires = datetime.fromisoformat(response.json()["previous_expires_at"])
    assert new != old and timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)

    await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=tenant.admin)
    assert await deliver(stack) == 1
    during = hook.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)

    await execute(
        stack, "UPDATE webhooks.secrets SET expires_at = now() - interval '1 second' WHERE secret = :s", s=old
    )
    await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=tenant.admin)
    assert await deliver(stack) == 1
    after = hook.received[-1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)

    response = await api.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", json={"overlap_seconds": -1}, headers=tenant.admin
    )
    assert field_errors(response) == ["overlap_seconds"]


async def test_replay_of_one_event_and_of_a_time_range_sends_the_same_webhook_ids(api, stack, hook):
    tenant, endpoint = await tenant_with_endpoint(api, hook.url)
    batch = events(
        tenant.id, [WebhookEventType.PROMISE_MADE, WebhookEventType.PROMISE_KEPT, WebhookEventType.PROMISE_BROKEN]
    )
    await store(stack, batch)
    assert await deliver(stack) == 3
    first = [r.webhook_id for r in hook.received]
    assert sorted(first) == sorted(e.event_id for e in batch)
    base = f"/v1/webhook-endpoints/{endpoint['id']}"

    response = await api.post(f"{base}/events/{batch[1].event_id}/replay", headers=tenant.admin)
    assert response.status_code == 202 and response.json()["deliveries"] == 1
    assert await deliver(stack) == 1
    assert hook.received[-1].webhook_id == batch[1].event_id
    Webhook(endpoint["secret"]).verify(hook.received[-1].body, hook.received[-1].headers)

    since, until = batch[1].occurred_at, batch[2].occurred_at + timedelta(seconds=1)
    body = {"since": since.isoformat(), "until": until.isoformat()}
    response = await api.post(f"{base}/replay", json=body, headers=tenant.admin)
    assert response.status_code == 202 and response.json()["deliveries"] == 2
    assert await deliver(stack) == 2
    assert sorted(r.webhook_id for r in hook.received[-2:]) == sorted([batch[1].event_id, batch[2].event_id])
    response = await api.post(f"{base}/replay", json={**body, "event_types": ["promise.broken"]}, headers=tenant.admin)
    assert response.json()["deliveries"] == 1

    response = await api.post(
        f"{base}/replay", json={"since": until.isoformat(), "until": since.isoformat()}, headers=tenant.admin
    )
    assert response.status_code == 422 and "until must be after since" in response.text
    response = await api.post(f"{base}/events/msg_nothing/replay", headers=tenant.admin)
    assert response.status_code == 404
    log = await api.get(f"{base}/deliveries", params={"event_id": batch[1].event_id}, headers=tenant.admin)
    assert [d["replay"] for d in log.json()["items"]] == [True, True, False]


async def test_another_tenant_cannot_see_or_replay_anothers_endpoints_or_events(api, stack, hook):
    tenant, endpoint = await tenant_with_endpoint(api, hook.url)
    (event,) = events(tenant.id, [WebhookEventType.CUSTOMER_REPLIED])
    await store(stack, [event])
    other, theirs = await tenant_with_endpoint(api, hook.url)
    mine = f"/v1/webhook-endpoints/{endpoint['id']}"

    for method, path in (
        ("GET", mine),
        ("GET", f"{mine}/deliveries"),
        ("POST", f"{mine}/test"),
        ("POST", f"{mine}/events/{event.event_id}/replay"),
        ("POST", f"{mine}/rotate-secret"),
        ("POST", f"{mine}/enable"),
        ("DELETE", mine),
        ("GET", f"/v1/webhook-events/{event.event_id}"),
        ("POST", f"/v1/webhook-endpoints/{theirs['id']}/events/{event.event_id}/replay"),
    ):
        response = await api.request(method, path, headers=other.admin)
        assert response.status_code == 404, (method, path, response.text)
    assert (await api.get("/v1/webhook-endpoints", headers=other.admin)).json()["items"][0]["id"] == theirs["id"]
    assert (await api.get("/v1/webhook-events", headers=other.admin)).json()["items"] == []
    assert (await api.get(f"/v1/webhook-events/{event.event_id}", headers=tenant.admin)).status_code == 200


async def test_a_410_disables_the_endpoint_at_once(api, stack, hook):
    tenant, endpoint = await tenant_with_endpoint(api, hook.url)
    hook.statuses = [410]
    await store(stack, events(tenant.id, [WebhookEventType.MESSAGE_SENT, WebhookEventType.MESSAGE_FAILED]))
    assert await deliver(stack, passes=3) == 2
    response = await api.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.admin)
    assert response.json()["enabled"] is False and response.json()["disabled_reason"].startswith("gone")
    rows = await fetch(stack, "SELECT message_type FROM webhooks.outbox")
    assert [r["message_type"] for r in rows] == ["webhooks.endpoint_disabled"]


async def test_an_endpoint_failing_for_days_is_disabled_its_admins_alarmed_and_resumed_when_enabled(api, stack, hook):
    tenant = await alarms_tenant(api, stack)  # alarms knows the tenant's admins
    await allow_private(api, tenant.id)
    endpoint = await register(api, tenant.admin, hook.url)
    response = await api.patch("/v1/webhook-settings", json={"disable_after_days": 3}, headers=tenant.admin)
    assert response.json()["disable_after_days"] == 3
    hook.default = 500
    await store(stack, events(tenant.id, [WebhookEventType.CONTACT_INVALID]))
    assert await deliver(stack) == 1
    response = await api.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.admin)
    assert response.json()["enabled"] is True and response.json()["failing_since"] is not None

    await execute(stack, "UPDATE webhooks.endpoints SET failing_since = now() - interval '3 days 1 minute'")
    assert await deliver(stack) == 1  # fails again, three days after the first failure
    response = await api.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.admin)
    assert response.json()["enabled"] is False and response.json()["disabled_reason"].startswith("failing")
    assert await deliver(stack, passes=2) == 0  # a disabled endpoint is not called; its delivery waits
    await store(stack, events(tenant.id, [WebhookEventType.CUSTOMER_OPTED_OUT], prefix="later"))
    (pending,) = await fetch(stack, "SELECT event_type FROM webhooks.deliveries WHERE state = 'pending'")
    assert pending["event_type"] == "contact.invalid"  # nothing new is queued for a disabled endpoint

    await relay(stack, "webhooks")
    await alarms_worker(stack)
    async with stack.engine.connect() as conn:
        (payload,) = (
            await conn.execute(
                text("SELECT payload FROM alarms.outbox WHERE message_type = 'messaging.send_communications'")
            )
        ).scalars()
    (mail,) = payload["communications"]
    assert mail["to"] == f"admin@{tenant.slug}.example" and mail["kind"] == "alarm_digest"
    assert mail["data"]["title"] == "Webhook desactivado" and hook.url in mail["data"]["summary"]

    response = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/test", headers=tenant.admin)
    assert response.status_code == 409 and response.json()["disabled_reason"].startswith("failing")
    hook.default = 200
    response = await api.post(f"/v1/webhook-endpoints/{endpoint['id']}/enable", headers=tenant.admin)
    assert response.status_code == 200 and response.json()["enabled"] is True
    assert response.json()["failing_since"] is None
    assert await deliver(stack) == 1
    (row,) = await fetch(stack, "SELECT state FROM webhooks.deliveries")
    assert row["state"] == "succeeded"
