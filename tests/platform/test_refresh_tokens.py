"""Refresh tokens: rotated on each use, a reuse revokes the whole login, revocable (logout), refused for a
deactivated user or tenant, revoked by a password change or a deactivation, refused once expired."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from api_gateway.tokens.rules import StoredToken, refusal
from api_gateway.tokens.service import purge_expired
from tests.platform.test_auth import assert_problem
from tests.support import PASSWORD, create_tenant, create_user

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


def test_why_a_token_that_cannot_be_spent_is_refused():
    assert refusal(None, NOW) == ("The refresh token is not valid", False)
    assert refusal(StoredToken(None, NOW, LATER), NOW)[1] is False  # revoked: nothing more to revoke
    detail, reused = refusal(StoredToken(NOW, None, LATER), NOW)
    assert reused and "already used" in detail
    assert refusal(StoredToken(NOW, NOW, LATER), NOW)[1] is False  # spent, but its family is already revoked
    assert "expired" in refusal(StoredToken(None, None, NOW), NOW)[0]


async def password_grant(api, slug, email, password=PASSWORD) -> dict:
    response = await api.post("/v1/auth/token", data={"tenant": slug, "username": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(api, token):
    return await api.post("/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": token})


def bearer(answer: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {answer['access_token']}"}


async def admin_login(api) -> tuple:
    tenant = await create_tenant(api)
    return tenant, await password_grant(api, tenant.slug, f"admin@{tenant.slug}.example")


async def test_the_password_grant_answers_a_refresh_token_stored_only_as_a_hash(api, stack):
    _, answer = await admin_login(api)
    assert answer["token_type"] == "bearer" and answer["refresh_token"].startswith("cbzr_")
    assert answer["refresh_expires_in"] == stack.gateway.state.settings.refresh_token_ttl_seconds
    async with stack.engine.connect() as conn:
        hashes = (await conn.execute(text("SELECT token_hash FROM gateway.refresh_tokens"))).scalars().all()
    assert len(hashes) == 2 and answer["refresh_token"] not in hashes  # create_tenant logged in once too
    assert all(len(h) == 64 for h in hashes)


async def test_a_refresh_rotates_and_the_new_access_token_works(api):
    tenant, first = await admin_login(api)
    response = await refresh(api, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    me = (await api.get("/v1/auth/me", headers=bearer(second))).json()
    assert me["tenant_id"] == str(tenant.id) and me["roles"] == ["admin"]
    third = await refresh(api, second["refresh_token"])
    assert third.status_code == 200, third.text


async def test_reusing_a_spent_token_revokes_the_whole_login(api):
    _, first = await admin_login(api)
    second = (await refresh(api, first["refresh_token"])).json()
    body = assert_problem(await refresh(api, first["refresh_token"]), 401)  # the thief's (or a stale) copy
    assert "already used" in body["detail"]
    # the legitimate holder's newer token is revoked too: they must log in again
    assert "revoked" in assert_problem(await refresh(api, second["refresh_token"]), 401)["detail"]


async def test_two_parallel_refreshes_with_one_token_cannot_both_succeed(api):
    _, first = await admin_login(api)
    responses = await asyncio.gather(*(refresh(api, first["refresh_token"]) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 401, 401, 401]


async def test_revoke_logs_out_and_answers_200_for_anything(api):
    _, first = await admin_login(api)
    second = (await refresh(api, first["refresh_token"])).json()
    for token in (first["refresh_token"], "cbzr_unknown", "not-even-a-token"):
        response = await api.post("/v1/auth/revoke", data={"token": token})
        assert response.status_code == 200 and response.content == b""
    assert_problem(await refresh(api, second["refresh_token"]), 401)  # the family of the revoked token
    assert_problem(await api.post("/v1/auth/revoke", data={}), 422)
    spec = (await api.get("/openapi.json")).json()["paths"]["/v1/auth/revoke"]["post"]
    assert {"200", "422"} <= set(spec["responses"]) and spec["security"] == []


async def test_a_password_change_or_a_deactivation_revokes_the_users_tokens(api):
    tenant = await create_tenant(api)
    user, _ = await create_user(api, tenant, "collector")
    other, _ = await create_user(api, tenant, "collector")
    session = await password_grant(api, tenant.slug, user["email"])
    kept = await password_grant(api, tenant.slug, other["email"])
    new_password = {"password": "another-good-password"}
    assert (await api.patch(f"/v1/users/{user['id']}", json=new_password, headers=tenant.admin)).status_code == 200
    assert_problem(await refresh(api, session["refresh_token"]), 401)
    assert (await refresh(api, kept["refresh_token"])).status_code == 200  # another user's login is untouched

    session = await password_grant(api, tenant.slug, user["email"], new_password["password"])
    renamed = {"full_name": "Renamed", "roles": ["supervisor"]}  # not a reason to log out
    assert (await api.patch(f"/v1/users/{user['id']}", json=renamed, headers=tenant.admin)).status_code == 200
    session = (await refresh(api, session["refresh_token"])).json()
    me = (await api.get("/v1/auth/me", headers=bearer(session))).json()
    assert me["roles"] == ["supervisor"]  # the roles of now
    assert (await api.patch(f"/v1/users/{user['id']}", json={"active": False}, headers=tenant.admin)).status_code == 200
    assert_problem(await refresh(api, session["refresh_token"]), 401)


async def test_a_deactivated_tenant_or_user_gets_no_new_access_token(api, stack):
    tenant, answer = await admin_login(api)
    async with stack.engine.begin() as conn:  # no public route deactivates a tenant: the operator does it
        await conn.execute(text("UPDATE gateway.tenants SET active = false WHERE id = :id"), {"id": tenant.id})
    body = assert_problem(await refresh(api, answer["refresh_token"]), 401)
    assert "no longer active" in body["detail"]
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE gateway.tenants SET active = true WHERE id = :id"), {"id": tenant.id})
    assert_problem(await refresh(api, answer["refresh_token"]), 401)  # and that login stays revoked


async def test_an_expired_refresh_token_is_refused(api, stack):
    _, answer = await admin_login(api)
    async with stack.engine.begin() as conn:
        await conn.execute(text("UPDATE gateway.refresh_tokens SET expires_at = now() - interval '1 second'"))
    assert "expired" in assert_problem(await refresh(api, answer["refresh_token"]), 401)["detail"]


async def test_bad_refresh_requests_name_the_field(api):
    body = assert_problem(await api.post("/v1/auth/token", data={"grant_type": "refresh_token"}), 422)
    assert body["errors"][0]["field"] == "refresh_token"
    body = assert_problem(await api.post("/v1/auth/token", data={"grant_type": "client_credentials"}), 422)
    assert body["errors"][0]["field"] == "grant_type"
    body = assert_problem(await api.post("/v1/auth/token", data={"tenant": "acme", "username": "a@b.example"}), 422)
    assert body["errors"][0]["field"] == "password"
    assert_problem(await refresh(api, "cbzr_never-issued"), 401)


async def test_tokens_expired_over_a_day_ago_are_purged(api, stack):
    _, answer = await admin_login(api)
    assert (await refresh(api, answer["refresh_token"])).status_code == 200
    async with stack.engine.begin() as conn:
        await conn.execute(
            text("UPDATE gateway.refresh_tokens SET expires_at = now() - interval '2 days' WHERE spent_at IS NOT NULL")
        )
    assert await purge_expired(stack.engine) == 1
    async with stack.engine.connect() as conn:
        left = (await conn.execute(text("SELECT count(*) FROM gateway.refresh_tokens"))).scalar()
    assert left == 2  # create_tenant's login and the live token of this one
