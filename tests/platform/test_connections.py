"""Point 8 of issue 10: a request that cannot get a database connection (the pool is exhausted, the server
refuses more connections, or it is down) answers 503 problem+json with ``Retry-After``, never 500; once
connections are to be had again, the same request succeeds."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
from sqlalchemy import text

from api_gateway.main import create_app as create_gateway
from api_gateway.settings import GatewaySettings
from services.receivables.main import create_app as create_receivables
from services.receivables.settings import ReceivablesSettings
from shared.problems import PROBLEM_BASE
from tests.conftest import TEST_DATABASE, TEST_SERVER
from tests.support import RoutingTransport, create_tenant, free_port, in_process_urls, running

ONE_CONNECTION = {"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_seconds": 0.5}
LIMITED_ROLE = "cobranza_h3_no_connections"


@asynccontextmanager
async def system_with(stack, receivables_settings: ReceivablesSettings) -> AsyncIterator[tuple]:
    """A gateway with a one-connection pool in front of a receivables app built from ``receivables_settings``
    (the other services are the stack's)."""
    receivables = create_receivables(receivables_settings)
    gateway = create_gateway(
        GatewaySettings(**in_process_urls(), **ONE_CONNECTION),
        upstream_transport=RoutingTransport({**stack.services, "receivables": receivables}),
    )
    async with running(receivables), running(gateway):
        transport = httpx.ASGITransport(gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            yield client, gateway, receivables


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["type"] == PROBLEM_BASE + "database-unavailable"


async def test_an_exhausted_pool_answers_503_with_retry_after_then_recovers(api, stack):
    tenant = await create_tenant(api)
    async with system_with(stack, ReceivablesSettings(**ONE_CONNECTION)) as (client, gateway, receivables):
        assert (await client.get("/v1/customers", headers=tenant.admin)).status_code == 200

        async with receivables.state.engine.connect() as held:  # receivables' only connection
            await held.execute(text("SELECT 1"))
            assert_unavailable(await client.get("/v1/customers", headers=tenant.admin))
        assert (await client.get("/v1/customers", headers=tenant.admin)).status_code == 200

        async with gateway.state.engine.connect() as held:  # the gateway's own (its users, its API keys)
            await held.execute(text("SELECT 1"))
            assert_unavailable(await client.get("/v1/users", headers=tenant.admin))
            # an Idempotency-Key is stored by a middleware before any route runs: a 503 there too
            headers = {**tenant.admin, "Idempotency-Key": "k-1"}
            assert_unavailable(await client.post("/v1/customers", json={}, headers=headers))
        assert (await client.get("/v1/users", headers=tenant.admin)).status_code == 200


async def test_a_database_that_refuses_connections_answers_503(api, stack):
    tenant = await create_tenant(api)
    nobody = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/{TEST_DATABASE}"
    async with system_with(stack, ReceivablesSettings(database_url=nobody)) as (client, _, _):
        assert_unavailable(await client.get("/v1/customers", headers=tenant.admin))
        assert (await client.get("/v1/users", headers=tenant.admin)).status_code == 200


async def test_too_many_connections_answers_503(api, stack):
    """The server's own refusal (SQLSTATE 53300), here for a role allowed no connection at all."""
    admin = await asyncpg.connect(f"postgresql://{TEST_SERVER}/postgres")
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", LIMITED_ROLE)
        if not exists:
            await admin.execute(f"CREATE ROLE {LIMITED_ROLE} LOGIN CONNECTION LIMIT 0")
    finally:
        await admin.close()
    tenant = await create_tenant(api)
    host = TEST_SERVER.split("@", 1)[-1]
    limited = f"postgresql+asyncpg://{LIMITED_ROLE}@{host}/{TEST_DATABASE}"
    async with system_with(stack, ReceivablesSettings(database_url=limited)) as (client, _, _):
        assert_unavailable(await client.get("/v1/customers", headers=tenant.admin))


async def test_a_deadlock_is_told_apart_as_a_conflict_to_run_again(stack):
    """Two transactions locking two rows in opposite orders: PostgreSQL breaks the cycle with SQLSTATE 40P01, which
    ``transient_conflict`` recognises (delivery results are then written again, not given up)."""
    import asyncio

    from sqlalchemy import text

    from shared.db import connection_unavailable, transient_conflict

    async with stack.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS public.lock_order (id int PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO public.lock_order VALUES (1), (2) ON CONFLICT DO NOTHING"))
    both_hold_one = asyncio.Barrier(2)

    async def lock(first: int, second: int) -> None:
        async with stack.engine.begin() as conn:
            await conn.execute(text("SELECT 1 FROM public.lock_order WHERE id = :i FOR UPDATE"), {"i": first})
            await both_hold_one.wait()
            await conn.execute(text("SELECT 1 FROM public.lock_order WHERE id = :i FOR UPDATE"), {"i": second})

    try:
        outcomes = await asyncio.gather(lock(1, 2), lock(2, 1), return_exceptions=True)
    finally:
        async with stack.engine.begin() as conn:
            await conn.execute(text("DROP TABLE public.lock_order"))
    (failure,) = [o for o in outcomes if isinstance(o, Exception)]
    assert transient_conflict(failure)
    assert not connection_unavailable(failure)
