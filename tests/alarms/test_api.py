"""The public API of alarms through the gateway: settings and their validation, tenant isolation, what a collector
may see, problem+json errors naming the field."""

from datetime import date

import httpx

from alarms_service.digests.directory import receivables_client
from alarms_service.settings import AlarmsSettings
from shared.internal import InternalClient
from tests.alarms.support import Portfolio, alarms_tenant, collector, run
from tests.support import create_tenant, two_pages

PROBLEM = "application/problem+json"


async def test_settings_default_change_and_say_when_each_alarm_goes_next(api, stack):
    tenant = await alarms_tenant(api, stack)
    settings = (await api.get("/v1/alarm-settings", headers=tenant.admin)).json()
    assert settings["timezone"] == "America/Argentina/Buenos_Aires" and settings["language"] == "es"
    assert settings["actions"] | {"next_at": None} == {
        "enabled": True,
        "cadence": "daily",
        "hour": 8,
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
        "next_at": None,
    }
    assert settings["payments_reported"] | {"next_at": None} == {
        "enabled": True,
        "cadence": "weekly",
        "weekday": "monday",
        "hour": 8,
        "threshold_days": 5,
        "next_at": None,
    }
    assert settings["broken_promises"]["lookback_days"] == 30
    assert all(settings[a]["next_at"] for a in ("actions", "broken_promises", "payments_reported", "disputes"))

    body = {
        "actions": {"hour": 7, "weekdays": ["monday", "saturday"]},
        "payments_reported": {"weekday": "thursday", "threshold_days": 10},
        "disputes": {"enabled": False},
    }
    response = await api.patch("/v1/alarm-settings", json=body, headers=tenant.admin)
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["actions"]["hour"], changed["actions"]["weekdays"]) == (7, ["monday", "saturday"])
    assert (changed["payments_reported"]["weekday"], changed["payments_reported"]["threshold_days"]) == ("thursday", 10)
    assert changed["payments_reported"]["hour"] == 8  # left out: unchanged
    assert changed["disputes"]["enabled"] is False and changed["disputes"]["next_at"] is None
    assert changed["broken_promises"] == settings["broken_promises"] | {
        "next_at": changed["broken_promises"]["next_at"]
    }


async def test_settings_errors_name_the_field(api, stack):
    tenant = await alarms_tenant(api, stack)
    cases = [
        ({"actions": {"hour": 24}}, "actions.hour"),
        ({"actions": {"weekdays": []}}, "actions.weekdays"),
        ({"actions": {"weekdays": ["monday", "monday"]}}, "actions.weekdays"),
        ({"actions": {"hour": None}}, "actions.hour"),
        ({"disputes": None}, "disputes"),
        ({"disputes": {"weekday": "funday"}}, "disputes.weekday"),
        ({"payments_reported": {"threshold_days": -1}}, "payments_reported.threshold_days"),
        ({"payments_reported": {"lookback_days": 3}}, "payments_reported.lookback_days"),
        ({"broken_promises": {"lookback_days": 0}}, "broken_promises.lookback_days"),
        ({"weekly": {}}, "weekly"),
    ]
    for body, field in cases:
        response = await api.patch("/v1/alarm-settings", json=body, headers=tenant.admin)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert field in [e["field"] for e in response.json()["errors"]], (body, response.json())
    _, as_collector = await collector(api, stack, tenant)
    forbidden = await api.patch("/v1/alarm-settings", json={"actions": {"hour": 9}}, headers=as_collector)
    assert forbidden.status_code == 403 and forbidden.headers["content-type"].startswith(PROBLEM)
    assert (await api.get("/v1/alarm-settings", headers=tenant.admin)).json()["actions"]["hour"] == 8


async def test_runs_validate_their_body(api, stack):
    tenant = await alarms_tenant(api, stack)
    for body, field in (
        ({"alarms": ["nope"]}, "alarms[0]"),
        ({"alarms": []}, "alarms"),
        ({"as_of": "2026-02-30"}, "as_of"),
        ({"as_of": "0001-01-01"}, "as_of"),
        ({"dryrun": True}, "dryrun"),
    ):
        response = await api.post("/v1/alarms/runs", json=body, headers=tenant.admin)
        assert response.status_code == 422, response.text
        assert field in [e["field"] for e in response.json()["errors"]]
    await api.patch(
        "/v1/alarm-settings",
        json={
            a: {"enabled": False}
            for a in ("actions", "broken_promises", "payments_reported", "disputes", "plans_broken")
        },
        headers=tenant.admin,
    )
    none_enabled = await api.post("/v1/alarms/runs", json={}, headers=tenant.admin)
    assert none_enabled.status_code == 422 and none_enabled.json()["errors"][0]["field"] == "alarms"
    named = await api.post("/v1/alarms/runs", json={"alarms": ["disputes"], "dry_run": True}, headers=tenant.admin)
    assert named.status_code == 201 and named.json()["alarms"] == ["disputes"]  # named: runs although disabled
    _, as_collector = await collector(api, stack, tenant)
    assert (await api.post("/v1/alarms/runs", json={}, headers=as_collector)).status_code == 403


async def test_a_tenant_not_known_yet_is_a_conflict_and_receivables_down_a_503(api, stack):
    fresh = await create_tenant(api)  # its tenant_changed has not reached alarms
    response = await api.post("/v1/alarms/runs", json={"dry_run": True}, headers=fresh.admin)
    assert response.status_code == 409 and response.headers["content-type"].startswith(PROBLEM)

    tenant = await alarms_tenant(api, stack)
    app = stack.services["alarms"]
    routed = app.dependency_overrides[receivables_client]
    async with httpx.AsyncClient() as http:
        down = InternalClient(http, AlarmsSettings(receivables_url="http://127.0.0.1:1"))

        async def unreachable() -> InternalClient:
            return down

        app.dependency_overrides[receivables_client] = unreachable
        try:
            response = await api.post("/v1/alarms/runs", json={"alarms": ["disputes"]}, headers=tenant.admin)
        finally:
            app.dependency_overrides[receivables_client] = routed
    assert response.status_code == 503, response.text
    assert response.json()["type"].endswith("/receivables-unavailable")
    assert (await api.get("/v1/alarms/runs", headers=tenant.admin)).json()["items"] == []  # nothing stored


async def test_tenants_are_isolated_and_a_collector_sees_only_their_digests(api, stack):
    tenant = await alarms_tenant(api, stack)
    other = await alarms_tenant(api, stack)
    carla, as_carla = await collector(api, stack, tenant)
    bruno, as_bruno = await collector(api, stack, tenant)
    p = Portfolio(stack, tenant.id)
    await p.customer("Norte", carla["id"])
    await p.customer("Sur", bruno["id"])
    await p.invoice("Norte", "R-1", status="payment_reported", reported_date=date(2026, 11, 1))
    await p.invoice("Sur", "R-2", status="payment_reported", reported_date=date(2026, 11, 1))
    result = await run(api, tenant.admin, as_of="2026-11-23", alarms=["payments_reported"])
    digests = {d["recipient"]["id"]: d["id"] for d in result["digests"]}
    assert set(digests) == {carla["id"], bruno["id"]}

    # another tenant: nothing of it, and a foreign id is not found
    assert (await api.get("/v1/alarms", headers=other.admin)).json()["items"] == []
    assert (await api.get("/v1/alarms/runs", headers=other.admin)).json()["items"] == []
    for path in (f"/v1/alarms/{digests[carla['id']]}", f"/v1/alarms/runs/{result['id']}"):
        response = await api.get(path, headers=other.admin)
        assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)
    preview = await api.get("/v1/alarms/preview", params={"as_of": "2026-11-23"}, headers=other.admin)
    assert preview.json() == {"items": [], "next_cursor": None}

    # a collector: only their own digests, in lists, runs, details and previews
    mine = (await api.get("/v1/alarms", headers=as_carla)).json()["items"]
    assert [d["id"] for d in mine] == [digests[carla["id"]]]
    assert (await api.get(f"/v1/alarms/{digests[bruno['id']]}", headers=as_carla)).status_code == 404
    assert (await api.get(f"/v1/alarms/{digests[carla['id']]}", headers=as_carla)).status_code == 200
    seen = (await api.get(f"/v1/alarms/runs/{result['id']}", headers=as_bruno)).json()["digests"]
    assert [d["id"] for d in seen] == [digests[bruno["id"]]]
    own = await api.get("/v1/alarms/preview", params={"as_of": "2026-11-23"}, headers=as_carla)
    assert [(d["recipient"]["id"], d["status"]) for d in own.json()["items"]] == [(carla["id"], "already_sent")]
    refused = await api.get("/v1/alarms/preview", params={"recipient": bruno["id"]}, headers=as_carla)
    assert refused.status_code == 403
    # the manager sees everyone's, filtered on demand
    by_recipient = await api.get("/v1/alarms", params={"recipient": bruno["id"]}, headers=tenant.admin)
    assert [d["id"] for d in by_recipient.json()["items"]] == [digests[bruno["id"]]]
    paged = (await api.get("/v1/alarms", params={"limit": 1}, headers=tenant.admin)).json()
    rest = (await api.get("/v1/alarms", params={"cursor": paged["next_cursor"]}, headers=tenant.admin)).json()
    assert {paged["items"][0]["id"], rest["items"][0]["id"]} == set(digests.values()) and rest["next_cursor"] is None


async def test_the_preview_comes_in_pages(api, stack):
    """Issue 14: the preview was a bare array; it is cursor-paginated like every list (in idempotency key order)."""
    tenant = await alarms_tenant(api, stack)
    p = Portfolio(stack, tenant.id)
    for n in range(3):
        user, _ = await collector(api, stack, tenant)
        await p.customer(f"Cliente {n}", user["id"])
        await p.invoice(f"Cliente {n}", f"R-{n}", status="payment_reported", reported_date=date(2026, 11, 1))
    digests = await two_pages(
        api,
        "/v1/alarms/preview",
        tenant.admin,
        limit=2,
        identity=lambda digest: digest["idempotency_key"],  # a digest not sent yet has a new id each time
        as_of="2026-11-23",
        alarm="payments_reported",
    )
    assert len({d["recipient"]["id"] for d in digests}) == 3
    assert [d["idempotency_key"] for d in digests] == sorted(d["idempotency_key"] for d in digests)
