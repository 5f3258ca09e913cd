"""Strategies through the gateway: validation naming the step and field, one default, versions, roles,
tenant isolation, and editing a strategy never re-sends a step already sent."""

from datetime import date, timedelta

from tests.dunning.support import STANDARD_STEPS, Messaging, Portfolio, create_strategy, dunning_tenant, real_run
from tests.support import create_tenant, create_user, two_pages

MONDAY = date(2025, 6, 2)


async def test_bad_steps_get_422_naming_the_step_and_field(api, stack):
    tenant = await create_tenant(api)
    body = {
        "name": "Broken",
        "steps": [
            {"kind": "overdue", "days": 10, "tone": 1, "channels": ["email"]},
            {"kind": "overdue", "days": 5, "tone": 2, "channels": ["email"]},
            {"kind": "overdue", "days": 20, "channels": []},
            {"kind": "action", "days": 30, "channels": ["email"]},
        ],
    }
    response = await api.post("/v1/strategies", json=body, headers=tenant.admin)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/validation-error")
    assert [e["field"] for e in problem["errors"]] == [
        "steps[1].days",
        "steps[2].channels",
        "steps[2].tone",
        "steps[3].action",
    ]
    unknown = await api.post(
        "/v1/strategies",
        json={"name": "X", "steps": [{"kind": "postcard", "channels": ["email"]}]},
        headers=tenant.admin,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "steps[0].kind"
    channel = await api.post(
        "/v1/strategies",
        json={"name": "X", "steps": [{"kind": "overdue", "days": 1, "tone": 1, "channels": ["fax"]}]},
        headers=tenant.admin,
    )
    assert channel.json()["errors"][0]["field"] == "steps[0].channels[0]"


async def test_create_list_edit_version_archive(api, stack):
    tenant = await create_tenant(api)
    standard = await create_strategy(api, tenant.admin)
    assert standard["version"] == 1
    assert [s["key"] for s in standard["steps"]] == ["new", "pre-3", "od-1", "od-15", "od-30", "legal-45"]
    vip = await create_strategy(
        api, tenant.admin, name="VIP", priority=1, is_default=False, manual_only=True, steps=[], match={"vip": True}
    )
    second_default = await api.post(
        "/v1/strategies", json={"name": "Other", "is_default": True, "steps": STANDARD_STEPS}, headers=tenant.admin
    )
    assert second_default.status_code == 409
    same_name = await api.post("/v1/strategies", json={"name": "VIP", "manual_only": True}, headers=tenant.admin)
    assert same_name.status_code == 409
    default_with_rules = await api.post(
        "/v1/strategies",
        json={"name": "D", "match": {"vip": False}, "steps": STANDARD_STEPS},
        headers=tenant.admin,
    )
    assert default_with_rules.status_code == 201  # not default: rules are fine
    listed = (await api.get("/v1/strategies", headers=tenant.admin)).json()["items"]
    assert [s["name"] for s in listed] == ["VIP", "D", "Standard"]  # by priority, then name

    edited = await api.patch(
        f"/v1/strategies/{standard['id']}",
        json={"steps": [{**s, "key": None} if s["key"] == "od-15" else s for s in STANDARD_STEPS]},
        headers=tenant.admin,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2
    # a step sent without its key keeps the key of the previous version's step of the same kind and days
    assert [s["key"] for s in edited.json()["steps"]][3] == "od-15"
    versions = (await api.get(f"/v1/strategies/{standard['id']}/versions", headers=tenant.admin)).json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["snapshot"]["steps"][3]["key"] == "od-15"
    bad_edit = await api.patch(f"/v1/strategies/{vip['id']}", json={"manual_only": False}, headers=tenant.admin)
    assert bad_edit.status_code == 422
    assert bad_edit.json()["errors"][0]["field"] == "steps"

    assert (await api.delete(f"/v1/strategies/{vip['id']}", headers=tenant.admin)).status_code == 204
    listed = (await api.get("/v1/strategies", headers=tenant.admin)).json()["items"]
    assert [s["name"] for s in listed] == ["D", "Standard"]
    archived = (await api.get("/v1/strategies", params={"include_archived": True}, headers=tenant.admin)).json()
    assert len(archived["items"]) == 3


async def test_roles_and_tenant_isolation(api, stack):
    tenant = await create_tenant(api)
    other = await create_tenant(api)
    standard = await create_strategy(api, tenant.admin)
    _, collector = await create_user(api, tenant, "collector")
    assert (await api.get("/v1/strategies", headers=collector)).status_code == 200
    forbidden = await api.post("/v1/strategies", json={"name": "X", "manual_only": True}, headers=collector)
    assert forbidden.status_code == 403
    assert (await api.get(f"/v1/strategies/{standard['id']}", headers=other.admin)).status_code == 404
    patched = await api.patch(f"/v1/strategies/{standard['id']}", json={"priority": 5}, headers=other.admin)
    assert patched.status_code == 404


async def test_editing_a_strategy_never_resends_a_step_already_sent(api, stack):
    tenant = await dunning_tenant(api, stack)
    standard = await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com", sms="+5491155551111")
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=1), issue=MONDAY - timedelta(days=31))
    await real_run(api, tenant.admin, MONDAY)
    assert len(await messaging.take_and_accept()) == 1  # od-1

    # Version 2: od-1 moves to 2 days, SMS first, tone 2 (key kept); a new pre-due step on the due date is
    # inserted before it. None of this may send anything for F-1 again.
    steps = [dict(s) for s in STANDARD_STEPS]
    steps[2] = {**steps[2], "days": 2, "channels": ["sms", "email"], "tone": 2}
    steps.insert(2, {"kind": "pre_due", "days": 0, "channels": ["email"]})
    response = await api.patch(f"/v1/strategies/{standard['id']}", json={"steps": steps}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    for offset in range(1, 5):
        await real_run(api, tenant.admin, MONDAY + timedelta(days=offset))
    assert await messaging.take() == []
    explained = await api.get(
        f"/v1/dunning-explain/{ana}", params={"as_of": (MONDAY + timedelta(days=3)).isoformat()}, headers=tenant.admin
    )
    invoice = explained.json()["invoices"][0]
    assert invoice["reason"] == "step_already_sent"
    assert invoice["last_step"]["step_key"] == "od-1"
    assert invoice["next_step"]["key"] == "od-15"
    assert invoice["next_step"]["date"] == "2025-06-17"  # 16 June 2025 is a holiday in Argentina (Güemes)


async def test_strategy_versions_come_in_pages_newest_first(api, stack):
    """Issue 14: the versions were a bare array; they are cursor-paginated like every list."""
    tenant = await dunning_tenant(api, stack)
    created = await create_strategy(api, tenant.admin, name="Mayoristas", priority=10)
    path = f"/v1/strategies/{created['id']}"
    for priority in (20, 30):
        assert (await api.patch(path, json={"priority": priority}, headers=tenant.admin)).status_code == 200
    versions = await two_pages(api, f"{path}/versions", tenant.admin, limit=2)
    assert [(v["version"], v["snapshot"]["priority"]) for v in versions] == [(3, 30), (2, 20), (1, 10)]
    missing = await api.get(f"/v1/strategies/{tenant.id}/versions", headers=tenant.admin)
    assert missing.status_code == 404
