"""One owner per setting (issue 16): the tenant's action owner lives in receivables' settings (the alarms read it
there); dunning learns it from receivables' ``tenant_settings_changed`` event, shows it read-only and refuses it."""

from datetime import date, timedelta

from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, real_run, set_action_owner
from tests.platform.test_auth import assert_problem
from tests.support import create_user

MONDAY = date(2025, 6, 2)


async def test_the_owner_set_in_receivables_gets_dunnings_new_action_items(api, stack):
    tenant = await dunning_tenant(api, stack)
    owner, _ = await create_user(api, tenant, "supervisor")
    await create_strategy(api, tenant.admin)
    portfolio = Portfolio(stack, tenant.id)
    ana = await portfolio.customer("Ana", email="ana@example.com")
    await portfolio.invoice(ana, "F-1", due=MONDAY - timedelta(days=50), issue=MONDAY - timedelta(days=80))
    later = await portfolio.invoice(ana, "F-2", due=MONDAY + timedelta(days=20), issue=MONDAY - timedelta(days=10))

    await set_action_owner(api, stack, tenant, owner["id"])
    settings = (await api.get("/v1/dunning-settings", headers=tenant.admin)).json()
    assert settings["action_owner_id"] == owner["id"]  # shown, read-only

    await real_run(api, tenant.admin, MONDAY)  # the action step's notice ...
    await Messaging(stack, tenant.id).take_and_accept()  # ... accepted: the action item opens
    (item,) = (await api.get("/v1/action-items", params={"status": "open"}, headers=tenant.admin)).json()["items"]
    assert item["source"] == "step" and item["assignee_id"] == owner["id"]

    by_hand = await api.post(
        "/v1/action-items",
        json={"customer_id": str(ana), "invoice_ids": [str(later)], "action": "call"},
        headers=tenant.admin,
    )
    assert by_hand.status_code == 201, by_hand.text
    assert by_hand.json()["assignee_id"] == owner["id"]

    await set_action_owner(api, stack, tenant, None)  # cleared in receivables: cleared in dunning
    assert (await api.get("/v1/dunning-settings", headers=tenant.admin)).json()["action_owner_id"] is None


async def test_dunnings_settings_refuse_the_action_owner_and_say_where_it_is_set(api, stack):
    tenant = await dunning_tenant(api, stack)
    owner, _ = await create_user(api, tenant, "supervisor")
    for value in (owner["id"], None):
        refused = await api.patch(
            "/v1/dunning-settings", json={"action_owner_id": value, "run_hour": 7}, headers=tenant.admin
        )
        assert assert_problem(refused, 422)["errors"] == [
            {"field": "action_owner_id", "message": "is set in receivables' settings: PATCH /v1/receivables-settings"}
        ]
    settings = (await api.get("/v1/dunning-settings", headers=tenant.admin)).json()
    assert settings["run_hour"] != 7 and settings["action_owner_id"] is None  # nothing of a refused change is kept
    schema = stack.services["dunning"].openapi()["components"]["schemas"]["DunningSettingsUpdate"]
    assert "action_owner_id" not in schema["properties"]  # not offered
