"""Authentication at the gateway, roles at the services, tenant isolation (a foreign id is a 404)."""

import uuid

import httpx
import pytest

from api_gateway.identity import credentials
from api_gateway.identity.credentials import issue_access_token
from api_gateway.settings import GatewaySettings
from tests.support import PASSWORD, create_api_key, create_tenant, create_user, login, two_pages

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"].startswith("https://cobranza.dev/problems/") and body["title"]
    return body


async def test_no_credentials_is_401_problem(api):
    response = await api.get("/v1/customers")
    body = assert_problem(response, 401)
    assert "Authorization" in body["detail"] and response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [{"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"}])
async def test_invalid_token_is_401(api, header):
    assert_problem(await api.get("/v1/customers", headers=header), 401)


async def test_token_signed_with_another_secret_is_401(api):
    tenant = await create_tenant(api)
    forged = issue_access_token("another-secret-" * 3, "cobranza", 600, tenant.admin_id, tenant.id, ["admin"])
    assert_problem(await api.get("/v1/customers", headers={"Authorization": f"Bearer {forged}"}), 401)


async def test_expired_token_is_401(api):
    tenant = await create_tenant(api)
    settings = GatewaySettings()
    expired = issue_access_token(settings.jwt_secret, settings.jwt_issuer, -30, tenant.admin_id, tenant.id, ["admin"])
    body = assert_problem(await api.get("/v1/customers", headers={"Authorization": f"Bearer {expired}"}), 401)
    assert "expired" in body["detail"]


async def test_invalid_and_revoked_api_keys_are_401(api):
    tenant = await create_tenant(api)
    assert_problem(await api.get("/v1/customers", headers={"X-API-Key": "cbz_nope"}), 401)
    key = await create_api_key(api, tenant)
    assert (await api.get("/v1/customers", headers=key)).status_code == 200
    # the same key also works as a bearer credential
    bearer = {"Authorization": f"Bearer {key['X-API-Key']}"}
    assert (await api.get("/v1/customers", headers=bearer)).status_code == 200
    key_id = (await api.get("/v1/api-keys", headers=tenant.admin)).json()["items"][0]["id"]
    assert (await api.delete(f"/v1/api-keys/{key_id}", headers=tenant.admin)).status_code == 200
    assert_problem(await api.get("/v1/customers", headers=key), 401)


async def test_api_key_secret_is_shown_once_and_stored_hashed(api, stack):
    tenant = await create_tenant(api)
    key = (await create_api_key(api, tenant))["X-API-Key"]
    listed = (await api.get("/v1/api-keys", headers=tenant.admin)).json()["items"]
    assert "key" not in listed[0] and key.startswith(listed[0]["prefix"])
    async with stack.engine.connect() as conn:
        stored = (await conn.exec_driver_sql("SELECT key_hash FROM gateway.api_keys")).scalar()
    assert key not in stored and len(stored) == 64


async def test_wrong_password_and_unknown_user_are_401(api):
    tenant = await create_tenant(api)
    for username, password in ((f"admin@{tenant.slug}.example", "wrong-password"), ("nobody@x.example", PASSWORD)):
        response = await api.post(
            "/v1/auth/token", data={"tenant": tenant.slug, "username": username, "password": password}
        )
        assert_problem(response, 401)


async def test_deactivated_user_is_refused_at_once(api):
    tenant = await create_tenant(api)
    user, headers = await create_user(api, tenant, "collector")
    assert (await api.get("/v1/customers", headers=headers)).status_code == 200
    response = await api.patch(f"/v1/users/{user['id']}", json={"active": False}, headers=tenant.admin)
    assert response.status_code == 200
    assert_problem(await api.get("/v1/customers", headers=headers), 401)


async def test_an_admin_cannot_lock_themselves_out_but_another_admin_can(api):
    """Found by schemathesis: the run deactivated the admin it ran as, and every later request was a 401. A
    tenant's last admin doing that would lock the tenant out."""
    tenant = await create_tenant(api)
    own = f"/v1/users/{tenant.admin_id}"
    for change, field in (({"active": False}, "active"), ({"roles": ["manager"]}, "roles")):
        problem = assert_problem(await api.patch(own, json=change, headers=tenant.admin), 422)
        assert problem["errors"][0]["field"] == field
    assert (await api.patch(own, json={"roles": ["admin", "manager"]}, headers=tenant.admin)).status_code == 200
    _, other_admin = await create_user(api, tenant, "admin")
    assert (await api.patch(own, json={"active": False}, headers=other_admin)).status_code == 200
    assert_problem(await api.get("/v1/users", headers=tenant.admin), 401)


async def test_role_not_allowed_is_403(api):
    tenant = await create_tenant(api)
    _, collector = await create_user(api, tenant, "collector")
    assert_problem(await api.post("/v1/api-keys", json={"name": "x"}, headers=collector), 403)
    assert_problem(await api.get("/v1/users", headers=collector), 403)
    created = await api.post("/v1/customers", json={"name": "Cliente"}, headers=collector)
    assert created.status_code == 201
    # only admins, managers and integrations remove customers: the service enforces it
    body = assert_problem(await api.delete(f"/v1/customers/{created.json()['id']}", headers=collector), 403)
    assert "admin" in body["detail"]


async def test_foreign_tenant_ids_are_404(api):
    a, b = await create_tenant(api), await create_tenant(api)
    customer = (await api.post("/v1/customers", json={"name": "De A"}, headers=a.admin)).json()
    user, _ = await create_user(api, a, "collector")
    await create_api_key(api, a)
    key_id = (await api.get("/v1/api-keys", headers=a.admin)).json()["items"][0]["id"]

    for method, path, body in (
        ("GET", f"/v1/customers/{customer['id']}", None),
        ("PATCH", f"/v1/customers/{customer['id']}", {"name": "Robado"}),
        ("DELETE", f"/v1/customers/{customer['id']}", None),
        ("GET", f"/v1/users/{user['id']}", None),
        ("PATCH", f"/v1/users/{user['id']}", {"active": False}),
        ("DELETE", f"/v1/api-keys/{key_id}", None),
    ):
        assert_problem(await api.request(method, path, json=body, headers=b.admin), 404)
    assert (await api.get("/v1/customers", headers=b.admin)).json()["items"] == []
    # nothing of A changed
    assert (await api.get(f"/v1/customers/{customer['id']}", headers=a.admin)).json()["name"] == "De A"
    assert (await api.get(f"/v1/users/{user['id']}", headers=a.admin)).json()["active"] is True


async def test_identity_headers_from_the_caller_are_not_trusted(api):
    a, b = await create_tenant(api), await create_tenant(api)
    customer = (await api.post("/v1/customers", json={"name": "De A"}, headers=a.admin)).json()
    spoofed = {**b.admin, "X-Cobranza-Tenant": str(a.id), "X-Cobranza-Roles": "admin", "X-Cobranza-Actor": "user:x"}
    assert_problem(await api.get(f"/v1/customers/{customer['id']}", headers=spoofed), 404)


async def test_services_refuse_calls_that_did_not_come_through_the_gateway(stack):
    transport = httpx.ASGITransport(stack.services["receivables"])
    async with httpx.AsyncClient(transport=transport, base_url="http://receivables.test") as direct:
        assert_problem(await direct.get("/v1/customers"), 401)
        unsigned = {"x-cobranza-tenant": str(uuid.uuid4()), "x-cobranza-actor": "user:x", "x-cobranza-roles": "admin"}
        assert_problem(await direct.get("/v1/customers", headers={**unsigned, "x-cobranza-signature": "0" * 64}), 401)


async def test_me_and_tenant(api):
    tenant = await create_tenant(api)
    me = (await api.get("/v1/auth/me", headers=tenant.admin)).json()
    assert me == {"tenant_id": str(tenant.id), "actor": f"user:{tenant.admin_id}", "roles": ["admin"]}
    updated = await api.patch("/v1/tenant", json={"timezone": "America/Mexico_City"}, headers=tenant.admin)
    assert updated.status_code == 200 and updated.json()["timezone"] == "America/Mexico_City"
    assert_problem(await api.patch("/v1/tenant", json={"timezone": "Mars/Base"}, headers=tenant.admin), 422)


async def test_creating_tenants_needs_the_operator_token(api):
    body = {
        "slug": "sin-token",
        "name": "X",
        "country": "AR",
        "timezone": "UTC",
        "default_currency": "ARS",
        "admin": {"email": "a@b.example", "full_name": "A", "password": PASSWORD},
    }
    assert_problem(await api.post("/v1/tenants", json=body), 401)
    assert_problem(await api.post("/v1/tenants", json=body, headers={"X-Operator-Token": "wrong"}), 401)


async def test_duplicate_slug_and_email_are_409(api):
    tenant = await create_tenant(api)
    with pytest.raises(AssertionError):
        await create_tenant(api, slug=tenant.slug)
    user, _ = await create_user(api, tenant, "collector")
    again = {"email": user["email"].upper(), "full_name": "X", "password": PASSWORD, "roles": ["collector"]}
    assert_problem(await api.post("/v1/users", json=again, headers=tenant.admin), 409)
    assert (await login(api, tenant.slug, user["email"]))["Authorization"].startswith("Bearer ")


async def test_api_keys_come_in_pages_oldest_first(api):
    """Issue 14: the list of keys was a bare array; it is cursor-paginated like every list."""
    tenant = await create_tenant(api)
    for _ in range(3):
        await create_api_key(api, tenant)
    keys = await two_pages(api, "/v1/api-keys", tenant.admin, limit=2)
    assert len({k["id"] for k in keys}) == 3
    assert [k["created_at"] for k in keys] == sorted(k["created_at"] for k in keys)


def test_passwords_are_hashed_at_rfc_9106s_cost_unless_the_tests_say_otherwise(monkeypatch):
    """The suite hashes with the cheapest parameters (tests/conftest.py); everywhere else a new password gets
    argon2id at RFC 9106's low-memory cost, the cheap setting is refused outside development, and a hash made
    under one setting still verifies under the other (each hash carries its parameters)."""
    monkeypatch.delenv("GATEWAY_PASSWORD_HASHING")
    assert GatewaySettings().password_hashing == "rfc9106-low-memory"
    with pytest.raises(ValueError, match="password_hashing"):
        GatewaySettings(
            environment="production",
            jwt_secret="a-real-secret",
            operator_token="a-real-token",
            internal_secret="a-real-internal-secret",
            password_hashing="cheapest",
        )
    try:
        credentials.use_password_hashing("rfc9106-low-memory")
        real = credentials.hash_password("correct horse")
        credentials.use_password_hashing("cheapest")
        cheap = credentials.hash_password("correct horse")
    finally:
        credentials.use_password_hashing("cheapest")
    assert real.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert not cheap.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert credentials.verify_password(real, "correct horse") and credentials.verify_password(cheap, "correct horse")
    assert not credentials.verify_password(real, "wrong horse")
