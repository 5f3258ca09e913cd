"""Idempotency-Key on POSTs, with Stripe's semantics."""

from tests.platform.test_auth import assert_problem
from tests.support import create_tenant


async def test_same_key_same_body_replays_the_answer(api):
    tenant = await create_tenant(api)
    headers = {**tenant.admin, "Idempotency-Key": "create-c-1"}
    first = await api.post("/v1/customers", json={"name": "Una vez", "external_id": "X1"}, headers=headers)
    second = await api.post("/v1/customers", json={"name": "Una vez", "external_id": "X1"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers["idempotent-replayed"] == "true"
    assert len((await api.get("/v1/customers", headers=tenant.admin)).json()["items"]) == 1


async def test_same_key_other_body_is_422(api):
    tenant = await create_tenant(api)
    headers = {**tenant.admin, "Idempotency-Key": "k-2"}
    assert (await api.post("/v1/customers", json={"name": "A"}, headers=headers)).status_code == 201
    body = assert_problem(await api.post("/v1/customers", json={"name": "B"}, headers=headers), 422)
    assert body["errors"][0]["field"] == "Idempotency-Key"


async def test_keys_are_per_tenant_and_errors_are_replayed_too(api):
    a, b = await create_tenant(api), await create_tenant(api)
    same_key = {"Idempotency-Key": "shared"}
    assert (await api.post("/v1/customers", json={"name": "A"}, headers={**a.admin, **same_key})).status_code == 201
    assert (await api.post("/v1/customers", json={"name": "A"}, headers={**b.admin, **same_key})).status_code == 201
    bad = {**a.admin, "Idempotency-Key": "bad"}
    first = await api.post("/v1/customers", json={"name": ""}, headers=bad)
    again = await api.post("/v1/customers", json={"name": ""}, headers=bad)
    assert first.status_code == again.status_code == 422 and again.headers["idempotent-replayed"] == "true"


async def test_without_a_key_each_post_creates(api):
    tenant = await create_tenant(api)
    for _ in range(2):
        assert (await api.post("/v1/customers", json={"name": "Dos"}, headers=tenant.admin)).status_code == 201
    assert len((await api.get("/v1/customers", headers=tenant.admin)).json()["items"]) == 2


async def test_the_gateways_own_creations_are_idempotent_too(api):
    from tests.support import OPERATOR, PASSWORD

    tenant = await create_tenant(api)
    user = {"email": "una@vez.example", "full_name": "Una Vez", "password": PASSWORD, "roles": ["collector"]}
    headers = {**tenant.admin, "Idempotency-Key": "user-1"}
    first, second = [await api.post("/v1/users", json=user, headers=headers) for _ in range(2)]
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    keys = [await api.post("/v1/api-keys", json={"name": "k"}, headers={**tenant.admin, "Idempotency-Key": "k"})]
    keys.append(await api.post("/v1/api-keys", json={"name": "k"}, headers={**tenant.admin, "Idempotency-Key": "k"}))
    assert keys[0].json()["key"] == keys[1].json()["key"]
    assert len((await api.get("/v1/api-keys", headers=tenant.admin)).json()["items"]) == 1
    body = {
        "slug": "idem-tenant",
        "name": "T",
        "country": "AR",
        "timezone": "UTC",
        "default_currency": "ARS",
        "admin": {"email": "a@idem.example", "full_name": "A", "password": PASSWORD},
    }
    created = [await api.post("/v1/tenants", json=body, headers={**OPERATOR, "Idempotency-Key": "t"}) for _ in "ab"]
    assert [r.status_code for r in created] == [201, 201]
    assert created[1].headers["idempotent-replayed"] == "true"
    # without the operator token nothing is stored under the operator's keys
    refused = await api.post("/v1/tenants", json={**body, "slug": "other"}, headers={"Idempotency-Key": "t2"})
    assert refused.status_code == 401
    accepted = await api.post(
        "/v1/tenants", json={**body, "slug": "other"}, headers={**OPERATOR, "Idempotency-Key": "t2"}
    )
    assert accepted.status_code == 201
