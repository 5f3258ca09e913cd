"""Rights are checked against the present (issue 11): roles and the active state come from the database on every
request, a change is seen by every gateway process on its next request, and a key never exceeds its creator."""

from contextlib import asynccontextmanager

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from api_gateway.identity.authenticator import Authenticator
from api_gateway.identity.credentials import issue_access_token
from api_gateway.main import create_app as create_gateway
from api_gateway.settings import GatewaySettings
from shared.problems import Unauthorized
from tests.platform.test_auth import assert_problem
from tests.support import RoutingTransport, create_tenant, create_user, free_port, in_process_urls, running


async def roles_of(api: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await api.get("/v1/auth/me", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["roles"]


async def new_key(api: httpx.AsyncClient, creator: dict[str, str], *roles: str) -> dict[str, str]:
    response = await api.post("/v1/api-keys", json={"name": "ERP", "roles": list(roles)}, headers=creator)
    assert response.status_code == 201, response.text
    return {"X-API-Key": response.json()["key"]}


@asynccontextmanager
async def second_gateway(stack):
    """Another gateway process: its own caches, the same database and Redis. Its cache time is an hour, so only
    the invalidation can make it see a change."""
    settings = GatewaySettings(**in_process_urls(), identity_cache_seconds=3600)
    app = create_gateway(settings, upstream_transport=RoutingTransport(stack.services))
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw2.test") as c:
        yield c


async def test_a_demoted_admin_loses_the_admin_rights_at_once(api):
    tenant = await create_tenant(api)
    user, token = await create_user(api, tenant, "admin")
    assert (await api.get("/v1/users", headers=token)).status_code == 200
    await new_key(api, token, "admin")

    demoted = await api.patch(f"/v1/users/{user['id']}", json={"roles": ["collector"]}, headers=tenant.admin)
    assert demoted.status_code == 200
    # the same token, still valid and still saying "admin" in its claims
    assert await roles_of(api, token) == ["collector"]
    assert_problem(await api.post("/v1/api-keys", json={"name": "x", "roles": ["admin"]}, headers=token), 403)
    assert_problem(await api.get("/v1/users", headers=token), 403)
    assert_problem(await api.patch(f"/v1/users/{user['id']}", json={"roles": ["admin"]}, headers=token), 403)


async def test_the_roles_claim_of_a_token_is_not_trusted(api):
    tenant = await create_tenant(api)
    user, _ = await create_user(api, tenant, "collector")
    settings = GatewaySettings()
    claims_admin = issue_access_token(
        settings.jwt_secret, settings.jwt_issuer, 600, user["id"], tenant.id, ["admin", "manager"]
    )
    headers = {"Authorization": f"Bearer {claims_admin}"}
    assert await roles_of(api, headers) == ["collector"]
    assert_problem(await api.get("/v1/users", headers=headers), 403)


async def test_a_key_cannot_exceed_its_creator(api):
    tenant = await create_tenant(api)
    # an admin grants admin and integration; not roles they do not hold
    body = assert_problem(
        await api.post("/v1/api-keys", json={"name": "x", "roles": ["manager", "integration"]}, headers=tenant.admin),
        403,
    )
    assert "manager" in body["detail"] and "integration" not in body["detail"]
    assert await roles_of(api, await new_key(api, tenant.admin, "admin", "integration")) == ["admin", "integration"]

    # a key answers with no more than its creator holds now (reduced, not revoked)
    user, token = await create_user(api, tenant, "admin", "manager")
    key = await new_key(api, token, "manager", "integration")
    assert await roles_of(api, key) == ["integration", "manager"]
    await api.patch(f"/v1/users/{user['id']}", json={"roles": ["manager", "collector"]}, headers=tenant.admin)
    assert await roles_of(api, key) == ["manager"]  # integration is granted by admins only
    await api.patch(f"/v1/users/{user['id']}", json={"roles": ["collector"]}, headers=tenant.admin)
    body = assert_problem(await api.get("/v1/customers", headers=key), 401)
    assert "creator" in body["detail"]
    # given the rights back, the key answers again with what the creator may grant
    await api.patch(f"/v1/users/{user['id']}", json={"roles": ["admin", "manager"]}, headers=tenant.admin)
    assert await roles_of(api, key) == ["integration", "manager"]


async def test_a_key_made_by_a_key_cannot_exceed_it(api):
    tenant = await create_tenant(api)
    _, token = await create_user(api, tenant, "admin")
    admin_key = await new_key(api, token, "admin")
    assert_problem(await api.post("/v1/api-keys", json={"name": "x", "roles": ["manager"]}, headers=admin_key), 403)
    child = await new_key(api, admin_key, "admin", "integration")
    assert await roles_of(api, child) == ["admin", "integration"]

    parent_id = next(
        k["id"]
        for k in (await api.get("/v1/api-keys", headers=tenant.admin)).json()["items"]
        if k["roles"] == ["admin"]
    )
    assert (await api.delete(f"/v1/api-keys/{parent_id}", headers=tenant.admin)).status_code == 200
    assert_problem(await api.get("/v1/customers", headers=child), 401)


async def test_a_deactivated_user_and_the_keys_they_created_stop_working(api):
    tenant = await create_tenant(api)
    user, token = await create_user(api, tenant, "admin")
    key = await new_key(api, token, "admin", "integration")
    assert (await api.get("/v1/customers", headers=key)).status_code == 200

    response = await api.patch(f"/v1/users/{user['id']}", json={"active": False}, headers=tenant.admin)
    assert response.status_code == 200
    assert_problem(await api.get("/v1/customers", headers=token), 401)
    assert_problem(await api.get("/v1/customers", headers=key), 401)
    # the key cannot create an admin user either (the issue's finding)
    new_admin = {
        "email": "otro@x.example",
        "full_name": "Otro",
        "password": "correct-horse-battery",
        "roles": ["admin"],
    }
    assert_problem(await api.post("/v1/users", json=new_admin, headers=key), 401)


async def test_a_change_through_one_gateway_is_seen_by_another_at_once(api, stack):
    tenant = await create_tenant(api)
    user, token = await create_user(api, tenant, "admin")
    key = await new_key(api, token, "admin")
    async with second_gateway(stack) as other:
        # warm the other gateway's caches
        assert (await other.get("/v1/users", headers=token)).status_code == 200
        assert (await other.get("/v1/customers", headers=key)).status_code == 200

        await api.patch(f"/v1/users/{user['id']}", json={"roles": ["collector"]}, headers=tenant.admin)
        assert await roles_of(other, token) == ["collector"]  # the first request after the change
        assert_problem(await other.get("/v1/customers", headers=key), 401)

        # and the other way: a revocation through the second gateway, seen by the first
        second = await new_key(api, tenant.admin, "integration")
        assert (await api.get("/v1/customers", headers=second)).status_code == 200
        second_id = next(
            k["id"]
            for k in (await other.get("/v1/api-keys", headers=tenant.admin)).json()["items"]
            if k["roles"] == ["integration"]
        )
        assert (await other.delete(f"/v1/api-keys/{second_id}", headers=tenant.admin)).status_code == 200
        assert_problem(await api.get("/v1/customers", headers=second), 401)

        await other.patch(f"/v1/users/{user['id']}", json={"active": False}, headers=tenant.admin)
        assert_problem(await api.get("/v1/customers", headers=token), 401)


async def test_without_redis_every_request_reads_the_database(api, stack):
    tenant = await create_tenant(api)
    user, token = await create_user(api, tenant, "admin")
    key = await new_key(api, token, "admin")
    created_by = (await api.get("/v1/api-keys", headers=tenant.admin)).json()["items"][0]["created_by"]
    assert created_by == f"user:{user['id']}"

    nowhere = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    authenticator = Authenticator(GatewaySettings(identity_cache_seconds=3600), stack.engine, nowhere)
    try:
        assert (await authenticator.authenticate(token["Authorization"], None)).roles == {"admin"}
        assert (await authenticator.authenticate(None, key["X-API-Key"])).roles == {"admin"}
        async with stack.engine.begin() as conn:  # a change this process was not told of
            await conn.execute(
                text("UPDATE gateway.users SET roles = '{collector}' WHERE id = :id"), {"id": user["id"]}
            )
        assert (await authenticator.authenticate(token["Authorization"], None)).roles == {"collector"}
        with pytest.raises(Unauthorized):
            await authenticator.authenticate(None, key["X-API-Key"])
    finally:
        await nowhere.aclose()
