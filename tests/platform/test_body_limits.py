"""Request body limits per route (issue 11, point 4): one table in the gateway's settings, the longest matching
path prefix wins, the default for the rest; 413 problem+json beyond, counted also when no length is declared."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from api_gateway.limits.rules import body_limit
from api_gateway.main import create_app as create_gateway
from api_gateway.settings import GatewaySettings
from tests.platform.test_auth import assert_problem
from tests.support import RoutingTransport, create_tenant, in_process_urls, running

MB = 1024 * 1024


def test_the_longest_matching_prefix_gives_the_limit():
    limits = {"/v1/ingest/": 50 * MB, "/v1/ingest/customers/file": 5 * MB, "/webhooks/": MB}
    assert body_limit("/v1/ingest/invoices", limits, 1000) == 50 * MB
    assert body_limit("/v1/ingest/customers/file", limits, 1000) == 5 * MB
    assert body_limit("/v1/customers", limits, 1000) == 1000
    assert body_limit("/v1/ingest", limits, 1000) == 1000  # a prefix, not a path segment match
    assert body_limit("/v1/anything", {}, 7) == 7


def test_the_table_is_set_from_the_environment_as_json(monkeypatch):
    assert GatewaySettings().body_limits == {"/v1/ingest/": 50 * MB, "/webhooks/": MB, "/portal/": 6 * MB}  # defaults
    assert GatewaySettings().max_body_bytes == MB
    monkeypatch.setenv("GATEWAY_BODY_LIMITS", '{"/v1/notes": 300, "/v1/ingest/": 1000000}')
    monkeypatch.setenv("GATEWAY_MAX_BODY_BYTES", "5000")
    settings = GatewaySettings()
    assert settings.body_limits == {"/v1/notes": 300, "/v1/ingest/": 1_000_000}
    assert settings.max_body_bytes == 5000


@asynccontextmanager
async def gateway(stack, **overrides) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(**in_process_urls(), **overrides)
    app = create_gateway(settings, upstream_transport=RoutingTransport(stack.services))
    async with running(app), httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw.test") as c:
        yield c


def note_body(size: int) -> bytes:
    """A JSON body of exactly ``size`` bytes."""
    head = b'{"customer_id": "00000000-0000-0000-0000-000000000000", "text": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


async def chunked(body: bytes, pieces: int = 4) -> AsyncIterator[bytes]:
    step = len(body) // pieces + 1
    for start in range(0, len(body), step):
        yield body[start : start + step]


async def test_a_route_with_its_own_limit_and_the_default_for_the_rest(api, stack):
    tenant = await create_tenant(api)
    json_headers = {**tenant.admin, "Content-Type": "application/json"}
    async with gateway(stack, body_limits={"/v1/notes": 300}, max_body_bytes=5000) as gw:
        # the note route: its own limit
        problem = assert_problem(await gw.post("/v1/notes", content=note_body(301), headers=json_headers), 413)
        assert problem["type"].endswith("/payload-too-large") and "300 bytes" in problem["detail"]
        below = await gw.post("/v1/notes", content=note_body(300), headers=json_headers)
        assert below.status_code != 413 and below.status_code < 500, below.text  # read and answered by the service
        # every other route: the default
        assert (await gw.post("/v1/customers", content=note_body(4000), headers=json_headers)).status_code != 413
        assert_problem(await gw.post("/v1/customers", content=note_body(5001), headers=json_headers), 413)
        # the gateway's own routes too
        assert_problem(await gw.post("/v1/users", content=note_body(5001), headers=json_headers), 413)


async def test_a_body_without_a_length_is_counted_as_it_arrives(api, stack):
    tenant = await create_tenant(api)
    json_headers = {**tenant.admin, "Content-Type": "application/json"}
    async with gateway(stack, body_limits={"/v1/notes": 300}) as gw:
        request = gw.build_request("POST", "/v1/notes", content=chunked(note_body(1000)), headers=json_headers)
        assert "content-length" not in request.headers
        assert_problem(await gw.send(request), 413)
        request = gw.build_request("POST", "/v1/notes", content=chunked(note_body(300)), headers=json_headers)
        assert (await gw.send(request)).status_code != 413
        # a Content-Length that lies about a larger body
        lying = {**json_headers, "Content-Length": "100"}
        request = gw.build_request("POST", "/v1/notes", content=chunked(note_body(1000)), headers=lying)
        assert_problem(await gw.send(request), 413)


async def test_the_limit_holds_before_the_idempotency_key_reads_the_body(api, stack):
    tenant = await create_tenant(api)
    headers = {**tenant.admin, "Content-Type": "application/json", "Idempotency-Key": "k-1"}
    async with gateway(stack, body_limits={"/v1/notes": 300}) as gw:
        assert_problem(await gw.post("/v1/notes", content=note_body(301), headers=headers), 413)
        # nothing was claimed: the same key with a body within the limit is a first request
        response = await gw.post("/v1/notes", content=note_body(300), headers=headers)
        assert response.status_code != 413 and response.headers.get("idempotent-replayed") is None
