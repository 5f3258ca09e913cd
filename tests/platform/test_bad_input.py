"""Bad input is a 4xx problem naming what is wrong, never a 500 (cases found by schemathesis)."""

import uuid

import pytest

from shared.text_guard import nul_paths
from tests.platform.test_auth import assert_problem
from tests.support import create_tenant


def test_nul_paths_name_the_fields():
    body = {"items": [{"name": "ok"}, {"name": "a\x00b", "tags": ["x", "\x00"]}], "k\x00": 1}
    assert list(nul_paths(body)) == ["items[1].name", "items[1].tags[1]", "k\x00"]


async def test_nul_characters_are_refused_naming_the_field(api):
    tenant = await create_tenant(api)
    problem = assert_problem(await api.post("/v1/customers", json={"name": "A\x00B"}, headers=tenant.admin), 422)
    assert problem["errors"][0]["field"] == "name"
    problem = assert_problem(await api.get("/v1/customers?segment=x%00", headers=tenant.admin), 422)
    assert problem["errors"][0]["field"] == "segment"
    body = {"items": [{"external_id": "C-1", "name": "Bien"}, {"external_id": "C-2", "name": "Mal\x00"}]}
    problem = assert_problem(await api.post("/v1/ingest/customers", json=body, headers=tenant.admin), 422)
    assert problem["errors"][0]["field"] == "items[1].name"
    # nothing was stored
    assert (await api.get("/v1/customers", headers=tenant.admin)).json()["items"] == []


async def test_a_unique_constraint_the_service_did_not_check_is_a_409(api, stack):
    """The database's own constraint is the last line: a conflict, not a crash."""
    from fastapi import APIRouter
    from sqlalchemy import text

    from shared.db import SessionDep

    router = APIRouter()

    @router.post("/v1/customers-duplicate-probe")
    async def duplicate(session: SessionDep) -> dict:
        tenant = uuid.uuid4()
        for _ in range(2):
            await session.execute(
                text(
                    "INSERT INTO receivables.customers (id, tenant_id, name, external_id) "
                    "VALUES (gen_random_uuid(), :t, 'x', 'same')"
                ),
                {"t": tenant},
            )
        return {}

    app = stack.services["receivables"]
    app.include_router(router)
    try:
        import httpx

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://r") as client:
            response = await client.post("/v1/customers-duplicate-probe")
    finally:
        app.router.routes.pop()
    problem = assert_problem(response, 409)
    assert problem["constraint"] == "uq_customers_tenant_external_id"


async def test_customer_files_with_old_mac_line_endings_are_read(api):
    tenant = await create_tenant(api)
    body = b"external_id;name\rC-1;Uno\rC-2;Dos\r"
    response = await api.post(
        "/v1/ingest/customers.csv", content=body, headers={**tenant.admin, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2


async def test_a_csv_line_the_csv_module_cannot_read_is_a_422_naming_the_line(api):
    tenant = await create_tenant(api)
    body = b"external_id;name\nC-1;Uno\nC-2;" + b"x" * 200_000 + b"\n"  # a cell past the csv module's limit
    response = await api.post(
        "/v1/ingest/customers.csv", content=body, headers={**tenant.admin, "Content-Type": "text/csv"}
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "body"
    assert "line 3" in problem["detail"]


async def test_the_customer_file_holds_the_json_routes_row_limit(api):
    """Issue 11: the CSV took 10,001 rows where the JSON route refuses them."""
    tenant = await create_tenant(api)
    rows = "".join(f"C-{n};Cliente {n}\n" for n in range(10_001))
    response = await api.post(
        "/v1/ingest/customers.csv",
        content=f"external_id;name\n{rows}".encode(),
        headers={**tenant.admin, "Content-Type": "text/csv"},
    )
    problem = assert_problem(response, 422)
    assert "at most 10000 rows" in problem["errors"][0]["message"]


async def test_a_byte_that_is_not_of_the_files_charset_is_a_422_naming_its_line(api):
    tenant = await create_tenant(api)
    body = "external_id;name\nC-1;Uno\nC-2;Peña\n".encode("cp1252")  # ñ in Windows-1252: not UTF-8
    undeclared = await api.post(
        "/v1/ingest/customers.csv", content=body, headers={**tenant.admin, "Content-Type": "text/csv"}
    )
    problem = assert_problem(undeclared, 422)
    assert problem["errors"][0]["field"] == "body"
    assert "line 3" in problem["detail"]
    declared = await api.post(
        "/v1/ingest/customers.csv",
        content=body,
        headers={**tenant.admin, "Content-Type": "text/csv; charset=windows-1252"},
    )
    assert declared.status_code == 200, declared.text
    customers = (await api.get("/v1/customers", headers=tenant.admin)).json()["items"]
    assert "Peña" in {c["name"] for c in customers}


@pytest.mark.parametrize("code", ["XXX", "XTS", "XAU"])
async def test_a_currency_nobody_owes_is_refused(api, code):
    """ISO 4217's 'no currency', testing code and metals are codes, not money a customer can owe."""
    tenant = await create_tenant(api)
    customer = await api.post("/v1/customers", json={"name": "Uno", "external_id": "C-1"}, headers=tenant.admin)
    assert customer.status_code == 201, customer.text
    response = await api.post(
        "/v1/invoices",
        json={
            "customer_id": customer.json()["id"],
            "external_id": "F-1",
            "number": "F-1",
            "currency": code,
            "amount": "10.00",
            "issue_date": "2026-11-01",
            "due_date": "2026-11-30",
        },
        headers=tenant.admin,
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "currency"


async def test_a_body_over_the_routes_limit_is_a_413_and_bulk_routes_have_more_room(api):
    """Issue 11: a 20 MB JSON body was parsed. One record's route takes 1 MB; bulk ingest 50 MB."""
    tenant = await create_tenant(api)
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    refused = await api.post("/v1/customers", content=big, headers={**tenant.admin, "Content-Type": "application/json"})
    assert_problem(refused, 413)
    rows = [{"external_id": f"C-{n}", "name": "Cliente " + "x" * 200} for n in range(9_000)]  # about 2 MB
    bulk = await api.post("/v1/ingest/customers", json={"items": rows}, headers=tenant.admin)
    assert bulk.status_code == 200, bulk.text[:500]


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/templates", "/v1/strategies", "/v1/ingest/customers"])
async def test_a_body_that_is_not_json_is_the_same_422_naming_the_body_everywhere(api, path):
    tenant = await create_tenant(api)
    response = await api.post(
        path, content=b'{"name": "Uno",', headers={**tenant.admin, "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "body"
    assert "not valid JSON" in problem["errors"][0]["message"]
