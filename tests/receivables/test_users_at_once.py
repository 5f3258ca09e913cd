"""A user created a moment ago is usable at once (issue 11, point 2): receivables asks the gateway about a user its
projection has not heard of yet, stores the answer through the same newest-wins write as the events, and still
refuses unknown users and other tenants' users."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from services.receivables.people.repository import store_users, user_row
from services.receivables.settings import ReceivablesSettings
from shared.contracts.gateway import UserChanged
from shared.identity import SERVICE, identity_headers
from shared.internal import InternalClient
from shared.settings import ServiceSettings
from shared.tenant_users import TenantUsers, tenant_users
from tests.platform.test_auth import assert_problem
from tests.receivables.helpers import rows, sync
from tests.support import create_tenant, create_user


async def test_a_user_created_a_moment_ago_is_usable_at_once(rc):
    user, _ = await create_user(rc.api, rc.tenant, "collector")  # its event has not reached receivables
    person = await rc.api.post(
        "/v1/people", json={"kind": "staff", "name": "Cobradora nueva", "user_id": user["id"]}, headers=rc.admin
    )
    assert person.status_code == 201, person.text
    customer = await rc.api.post(
        "/v1/customers", json={"name": "Cliente", "collector_id": user["id"]}, headers=rc.admin
    )
    assert customer.status_code == 201, customer.text
    stored = await rows(rc.stack, "SELECT * FROM receivables.users WHERE user_id = :id", id=uuid.UUID(user["id"]))
    assert [(r["email"], r["roles"], r["announced_at"]) for r in stored] == [(user["email"], ["collector"], None)]

    await sync(rc.stack)  # the event arrives later and replaces the looked-up row
    stored = await rows(rc.stack, "SELECT * FROM receivables.users WHERE user_id = :id", id=uuid.UUID(user["id"]))
    assert stored[0]["announced_at"] is not None and stored[0]["roles"] == ["collector"]


async def test_an_unknown_user_and_another_tenants_user_are_still_refused(rc):
    unknown = await rc.api.post(
        "/v1/people", json={"kind": "staff", "name": "Nadie", "user_id": str(uuid.uuid4())}, headers=rc.admin
    )
    assert assert_problem(unknown, 422)["errors"][0]["field"] == "user_id"

    other = await create_tenant(rc.api)
    stranger, _ = await create_user(rc.api, other, "collector")
    for path, body, field in (
        ("/v1/people", {"kind": "staff", "name": "Ajena", "user_id": stranger["id"]}, "user_id"),
        ("/v1/customers", {"name": "Cliente", "collector_id": stranger["id"]}, "collector_id"),
        ("/v1/tasks", {"title": "Llamar", "assignee_id": stranger["id"]}, "assignee_id"),
    ):
        refused = assert_problem(await rc.api.post(path, json=body, headers=rc.admin), 422)
        assert refused["errors"][0]["field"] == field and "not a user of this tenant" in refused["errors"][0]["message"]
    learned = await rows(rc.stack, "SELECT 1 FROM receivables.users WHERE user_id = :id", id=uuid.UUID(stranger["id"]))
    assert learned == []

    # a user of the tenant without the role a field needs is refused for that, not as unknown
    manager, _ = await create_user(rc.api, rc.tenant, "manager")
    wrong_role = await rc.api.post(
        "/v1/customers", json={"name": "Cliente", "collector_id": manager["id"]}, headers=rc.admin
    )
    assert "collector role" in assert_problem(wrong_role, 422)["errors"][0]["message"]


async def test_the_gateway_out_of_reach_is_a_503_not_a_false_422(rc):
    user, _ = await create_user(rc.api, rc.tenant, "collector")
    app = rc.stack.services["receivables"]
    routed = app.dependency_overrides[tenant_users]
    async with httpx.AsyncClient() as http:
        down = TenantUsers(InternalClient(http, ReceivablesSettings(gateway_url="http://127.0.0.1:1")))

        async def unreachable() -> TenantUsers:
            return down

        app.dependency_overrides[tenant_users] = unreachable
        try:
            response = await rc.api.post(
                "/v1/people", json={"kind": "staff", "name": "Nueva", "user_id": user["id"]}, headers=rc.admin
            )
        finally:
            app.dependency_overrides[tenant_users] = routed
    assert assert_problem(response, 503)["type"].endswith("/gateway-unavailable")


async def test_newest_wins_between_events_and_look_ups(rc):
    """Events are ordered by when the gateway announced them; a looked-up row (no time) never replaces an
    announced one, and any event replaces it."""
    tenant_id, user_id = rc.tenant_id, uuid.uuid4()
    now = datetime.now(UTC)

    def row(name: str, at: datetime | None) -> dict:
        changed = UserChanged(user_id=user_id, email="c@x.example", full_name=name, roles=["collector"])
        return user_row(tenant_id, changed, at)

    async def stored_name(*batch: dict) -> str:
        async with rc.stack.services["receivables"].state.sessionmaker.begin() as session:
            await store_users(session, list(batch))
        found = await rows(rc.stack, "SELECT full_name FROM receivables.users WHERE user_id = :id", id=user_id)
        return found[0]["full_name"]

    assert await stored_name(row("looked up", None)) == "looked up"
    assert await stored_name(row("older event", now - timedelta(seconds=5))) == "older event"  # replaces the look-up
    assert await stored_name(row("newer event", now)) == "newer event"
    assert await stored_name(row("late older event", now - timedelta(seconds=1))) == "newer event"
    assert await stored_name(row("look-up", None)) == "newer event"
    # in one batch, the newest of a user wins whatever the order
    assert await stored_name(row("b", now + timedelta(seconds=2)), row("a", now + timedelta(seconds=1))) == "b"


async def test_the_internal_look_up_answers_only_signed_services_and_is_not_public(rc):
    path = "/internal/users"
    params = {"user_id": str(rc.collector_id)}
    assert_problem(await rc.api.get(path, params=params), 401)
    assert_problem(await rc.api.get(path, params=params, headers=rc.admin), 401)  # a person's token is not enough
    secret = ServiceSettings().internal_secret
    as_admin = identity_headers(secret, rc.tenant_id, "user:x", ["admin"])
    assert_problem(await rc.api.get(path, params=params, headers=as_admin), 403)
    forged = identity_headers("not-the-secret", rc.tenant_id, "service:receivables", [SERVICE])
    assert_problem(await rc.api.get(path, params=params, headers=forged), 401)

    as_service = identity_headers(secret, rc.tenant_id, "service:receivables", [SERVICE])
    found = await rc.api.get(path, params={**params, "email": "NOBODY@x.example"}, headers=as_service)
    assert found.status_code == 200 and [u["user_id"] for u in found.json()] == [str(rc.collector_id)]
    too_many = {"user_id": [str(uuid.uuid4()) for _ in range(101)]}
    assert_problem(await rc.api.get(path, params=too_many, headers=as_service), 422)
    assert not any(p.startswith("/internal") for p in (await rc.api.get("/openapi.json")).json()["paths"])


async def test_bulk_ingest_names_collectors_created_a_moment_ago(rc):
    by_id, _ = await create_user(rc.api, rc.tenant, "collector")
    by_email, _ = await create_user(rc.api, rc.tenant, "collector")
    in_file, _ = await create_user(rc.api, rc.tenant, "collector")
    items = [
        {"external_id": "C-1", "name": "Uno", "collector_id": by_id["id"]},
        {"external_id": "C-2", "name": "Dos", "collector_email": by_email["email"].upper()},
        {"external_id": "C-3", "name": "Tres", "collector_id": str(uuid.uuid4())},
        {"external_id": "C-4", "name": "Cuatro", "collector_email": "nadie@x.example"},
    ]
    result = (await rc.api.post("/v1/ingest/customers", json={"items": items}, headers=rc.erp)).json()
    assert result["created"] == 2, result
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [(2, "collector_id"), (3, "collector_email")]
    csv = f"external_id;name;collector_email\nC-5;Cinco;{in_file['email']}\n".encode()
    result = (
        await rc.api.post("/v1/ingest/customers.csv", content=csv, headers={**rc.erp, "Content-Type": "text/csv"})
    ).json()
    assert result["created"] == 1 and result["rejected"] == [], result
    assigned = await rows(rc.stack, "SELECT external_id, collector_id FROM receivables.customers ORDER BY external_id")
    assert [(r["external_id"], str(r["collector_id"])) for r in assigned] == [
        ("C-1", by_id["id"]),
        ("C-2", by_email["id"]),
        ("C-5", in_file["id"]),
    ]
