"""Routing by path prefix, and what a caller sees when a service is down or slow."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from api_gateway.main import create_app as create_gateway
from api_gateway.proxy.routing import SERVICE_RESOURCES, service_for
from api_gateway.settings import GatewaySettings
from tests.platform.test_auth import assert_problem
from tests.support import create_tenant, free_port, in_process_urls, running


def test_service_for_routes_by_first_segment():
    assert service_for("/v1/customers/123/statement") == "receivables"
    assert service_for("/v1/strategies") == "dunning"
    assert service_for("/v1/templates/x") == "messaging"
    assert service_for("/v1/alarms") == "alarms"
    assert service_for("/v1/webhook-endpoints/x/replay") == "webhooks"
    assert service_for("/v1/users") is None  # the gateway's own
    assert service_for("/v2/customers") is None
    resources = [r for rs in SERVICE_RESOURCES.values() for r in rs]
    assert len(resources) == len(set(resources)), "a resource belongs to one service"


async def test_unknown_resource_is_404_problem(api):
    tenant = await create_tenant(api)
    assert_problem(await api.get("/v1/nothing-here", headers=tenant.admin), 404)
    assert_problem(await api.get("/nothing-here"), 404)


async def test_request_id_is_kept_and_returned(api):
    tenant = await create_tenant(api)
    response = await api.get("/v1/customers", headers={**tenant.admin, "X-Request-Id": "req-abc-123"})
    assert response.status_code == 200 and response.headers["x-request-id"] == "req-abc-123"
    assert len((await api.get("/v1/customers", headers=tenant.admin)).headers["x-request-id"]) == 32
    problem = await api.get("/v1/customers/not-a-uuid", headers={**tenant.admin, "X-Request-Id": "req-xyz"})
    assert problem.json()["request_id"] == "req-xyz"


@asynccontextmanager
async def gateway_with(**settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second gateway on the same database, with its services at other addresses (real sockets)."""
    app = create_gateway(GatewaySettings(**{**in_process_urls(), **settings}))
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as client:
        yield client


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A TCP server on loopback that accepts connections and never answers."""
    connections = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.read(1 << 16)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in connections:
            writer.close()
        server.close()


async def test_a_service_that_is_down_is_502_problem(api):
    tenant = await create_tenant(api)
    async with gateway_with(receivables_url=f"http://127.0.0.1:{free_port()}") as gateway:
        body = assert_problem(await gateway.get("/v1/customers", headers=tenant.admin), 502)
    assert body["service"] == "receivables" and "unavailable" in body["detail"]


async def test_a_service_that_is_slow_is_504_problem(api):
    tenant = await create_tenant(api)
    async with (
        silent_server() as port,
        gateway_with(receivables_url=f"http://127.0.0.1:{port}", upstream_timeout_seconds=0.3) as gateway,
    ):
        body = assert_problem(await gateway.get("/v1/customers", headers=tenant.admin), 504)
    assert body["service"] == "receivables"


@pytest.mark.parametrize("service", ["dunning", "messaging", "alarms", "webhooks"])
async def test_every_service_is_reachable_through_the_gateway(api, service):
    """Each service answers the gateway: a resource of its own, or its own 404 problem."""
    tenant = await create_tenant(api)
    resource = SERVICE_RESOURCES[service][0]
    response = await api.get(f"/v1/{resource}", headers=tenant.admin)
    assert response.status_code < 500, response.text


async def test_cors_preflight_when_configured(database):
    app = create_gateway(GatewaySettings(**in_process_urls(), cors_origins=["https://desk.example"]))
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as client:
        response = await client.options(
            "/v1/customers",
            headers={"Origin": "https://desk.example", "Access-Control-Request-Method": "GET"},
        )
        other = await client.options(
            "/v1/customers", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://desk.example"
    assert "access-control-allow-origin" not in other.headers


async def test_odd_characters_in_a_path_reach_the_service_as_sent(api):
    """Found by schemathesis: a decoded path with control characters made the forwarded URL invalid (500)."""
    tenant = await create_tenant(api)
    for path in ("/v1/customers/%C2%86%C3%A4%5C%04OS", "/v1/customers/a%0Ab%0Dc", "/v1/customers/%F0%B2%B0%96"):
        response = await api.get(path, headers=tenant.admin)
        assert_problem(response, 422)
