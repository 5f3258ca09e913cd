"""Dunning keeps no users: an action item's assignee is asked of the gateway (the action owner is receivables'
setting, checked there). A user of the tenant (created a moment ago included) is taken; another tenant's user or no
user is a 422 naming the field (the isolation walk found another tenant's user stored); the gateway out of reach is a
503, not a false 422."""

import uuid

import httpx

from dunning_service.settings import DunningSettings
from shared.internal import InternalClient
from shared.tenant_users import TenantUsers, tenant_users
from tests.dunning.support import dunning_tenant
from tests.platform.test_auth import assert_problem
from tests.support import create_user


async def test_only_the_tenants_users_are_assignees(api, stack):
    tenant = await dunning_tenant(api, stack)
    other = await dunning_tenant(api, stack)
    mine, _ = await create_user(api, tenant, "manager")  # no event has reached anyone yet
    stranger, _ = await create_user(api, other, "manager")
    unknown_item = f"/v1/action-items/{uuid.uuid4()}/assign"
    for user_id in (stranger["id"], str(uuid.uuid4())):
        refused = await api.post(unknown_item, json={"assignee_id": user_id}, headers=tenant.admin)
        assert assert_problem(refused, 422)["errors"] == [
            {"field": "assignee_id", "message": "is not a user of this tenant"}
        ]
    taken = await api.post(unknown_item, json={"assignee_id": mine["id"]}, headers=tenant.admin)
    assert taken.status_code == 404  # the user is taken; the item does not exist


async def test_the_gateway_out_of_reach_is_a_503_not_a_false_422(api, stack):
    tenant = await dunning_tenant(api, stack)
    mine, _ = await create_user(api, tenant, "manager")
    app = stack.services["dunning"]
    routed = app.dependency_overrides[tenant_users]
    async with httpx.AsyncClient() as http:
        down = TenantUsers(InternalClient(http, DunningSettings(gateway_url="http://127.0.0.1:1")))

        async def unreachable() -> TenantUsers:
            return down

        app.dependency_overrides[tenant_users] = unreachable
        try:
            response = await api.post(
                f"/v1/action-items/{uuid.uuid4()}/assign", json={"assignee_id": mine["id"]}, headers=tenant.admin
            )
            untouched = await api.patch("/v1/dunning-settings", json={"run_hour": 7}, headers=tenant.admin)
        finally:
            app.dependency_overrides[tenant_users] = routed
    assert assert_problem(response, 503)["type"].endswith("/gateway-unavailable")
    assert untouched.status_code == 200  # a change naming no user does not ask
