"""Helpers for tests: databases, the in-process stack of apps, factories, burst workers."""

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from graphlib import CycleError, TopologicalSorter
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import uvicorn
from alembic import command
from alembic.config import Config
from arq import create_pool
from arq.connections import ArqRedis
from arq.worker import Worker
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api_gateway.main import create_app as create_gateway
from api_gateway.settings import GatewaySettings
from shared.internal import InternalClient
from shared.outbox import HANDLE_MESSAGES, queue_name
from shared.settings import ServiceSettings
from shared.worker import JOB_CODEC, deserialize_job, redis_settings

SCHEMAS = ("gateway", "receivables", "dunning", "messaging", "alarms", "webhooks", "portal")
OPERATOR = {"X-Operator-Token": GatewaySettings().operator_token}
PASSWORD = "correct-horse-battery"


def free_port() -> int:
    """A TCP port nobody listens on right now (for servers and peers a test starts on loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def serve_on_loopback(app: Any, port: int) -> AsyncIterator[str]:
    """``app`` (ASGI) served by a real uvicorn server on ``127.0.0.1:port`` inside the test's event loop, for a
    peer our code calls over HTTP; yields its base URL. At the block's end it stops, giving a request still in
    flight one second."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    server.config.timeout_graceful_shutdown = 1
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def recreate_database(server: str, name: str) -> None:
    """An empty database whose commits do not wait for the WAL to reach the disk (``synchronous_commit = off``):
    what a transaction sees is the same, only a crash of the server could lose the last commits, which a test
    database can afford; a suite that commits after nearly every request stops waiting on fsync."""
    conn = await asyncpg.connect(f"postgresql://{server}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()


def alembic_config(url: str) -> Config:
    config = Config("alembic.ini")
    config.cmd_opts = type("Opts", (), {"x": [f"url={url}"]})()
    return config


async def migrate(url: str, target: str, down: bool = False) -> None:
    config = alembic_config(url)
    run = command.downgrade if down else command.upgrade
    await asyncio.to_thread(run, config, target)


@dataclass(frozen=True)
class ScratchDatabase:
    """A migration test's database of its own, beside its worker's: moved to any revision and back while the test
    reads and writes through ``conn``."""

    url: str
    conn: asyncpg.Connection

    async def migrate(self, target: str, down: bool = False) -> None:
        await migrate(self.url, target, down)


@asynccontextmanager
async def scratch_database(server: str, name: str, revision: str) -> AsyncIterator[ScratchDatabase]:
    """The database ``name`` on ``server`` created empty and migrated to ``revision``, with a connection (closed
    after the block)."""
    await recreate_database(server, name)
    url = f"postgresql+asyncpg://{server}/{name}"
    await migrate(url, revision)
    conn = await asyncpg.connect(f"postgresql://{server}/{name}")
    try:
        yield ScratchDatabase(url, conn)
    finally:
        await conn.close()


class RoutingTransport(httpx.AsyncBaseTransport):
    """Sends each request to the in-process app of its host (``http://receivables.test`` -> receivables)."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self.transports = {f"{name}.test": httpx.ASGITransport(app) for name, app in apps.items()}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.transports.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(f"no in-process app at {request.url.host}", request=request)
        return await transport.handle_async_request(request)


def service_apps() -> dict[str, FastAPI]:
    from alarms_service.main import create_app as alarms
    from dunning_service.main import create_app as dunning
    from messaging_service.main import create_app as messaging
    from services.portal.main import create_app as portal
    from services.receivables.main import create_app as receivables
    from services.webhooks.main import create_app as webhooks

    return {
        "receivables": receivables(),
        "dunning": dunning(),
        "messaging": messaging(),
        "alarms": alarms(),
        "webhooks": webhooks(),
        "portal": portal(),
    }


def in_process_urls() -> dict[str, str]:
    return {
        f"{name}_url": f"http://{name}.test"
        for name in ("receivables", "dunning", "messaging", "alarms", "webhooks", "portal")
    }


@dataclass
class Stack:
    gateway: FastAPI
    services: dict[str, FastAPI]
    client: httpx.AsyncClient
    arq: ArqRedis
    redis: Redis
    engine: Any
    tables: list[str] = field(default_factory=list)
    written_tables_query: str = "SELECT NULL WHERE false"  # see written_tables_query()
    sequences: dict[str, str | None] = field(default_factory=dict)  # table -> its identity sequence
    deletable: bool = True  # tables in an order DELETE can empty them in (see owned_tables)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def ask_gateway_in_process(services: dict[str, FastAPI], gateway: FastAPI) -> AsyncIterator[None]:
    """The services' look-ups of users (``GET /internal/users``: receivables', dunning's) go to the in-process
    gateway."""
    from dunning_service.settings import DunningSettings
    from services.receivables.settings import ReceivablesSettings
    from shared.tenant_users import TenantUsers, tenant_users

    def answering(users: TenantUsers) -> Callable[[], Awaitable[TenantUsers]]:
        async def routed() -> TenantUsers:
            return users

        return routed

    asking = {"receivables": ReceivablesSettings, "dunning": DunningSettings}
    async with httpx.AsyncClient(transport=RoutingTransport({"gateway": gateway})) as http:
        for name, settings in asking.items():
            users = TenantUsers(InternalClient(http, settings(gateway_url="http://gateway.test")))
            services[name].dependency_overrides[tenant_users] = answering(users)
        try:
            yield
        finally:
            for name in asking:
                services[name].dependency_overrides.pop(tenant_users, None)


@asynccontextmanager
async def ask_receivables_in_process(services: dict[str, FastAPI]) -> AsyncIterator[None]:
    """Messaging's look-up of the ERP's ids (``POST /internal/external-ids``) goes to the in-process receivables."""
    from messaging_service.settings import MessagingSettings
    from shared.external_ids import ExternalIdLookUp, external_id_look_up

    async with httpx.AsyncClient(transport=RoutingTransport({"receivables": services["receivables"]})) as http:
        look_up = ExternalIdLookUp(InternalClient(http, MessagingSettings(receivables_url="http://receivables.test")))

        async def routed() -> ExternalIdLookUp:
            return look_up

        services["messaging"].dependency_overrides[external_id_look_up] = routed
        try:
            yield
        finally:
            services["messaging"].dependency_overrides.pop(external_id_look_up, None)


@asynccontextmanager
async def dunning_asks_messaging_in_process(services: dict[str, FastAPI]) -> AsyncIterator[None]:
    """Dunning's check of a call step's script (``POST /internal/script-checks``) goes to the in-process messaging."""
    from dunning_service.settings import DunningSettings
    from dunning_service.strategies.scripts import ScriptChecks, script_checks

    async with httpx.AsyncClient(transport=RoutingTransport({"messaging": services["messaging"]})) as http:
        checks = ScriptChecks(InternalClient(http, DunningSettings(messaging_url="http://messaging.test")))

        async def routed() -> ScriptChecks:
            return checks

        services["dunning"].dependency_overrides[script_checks] = routed
        try:
            yield
        finally:
            services["dunning"].dependency_overrides.pop(script_checks, None)


@asynccontextmanager
async def dunning_asks_receivables_in_process(services: dict[str, FastAPI]) -> AsyncIterator[None]:
    """Dunning's ask for an experiment's facts (``POST /internal/experiment-facts``) goes to the in-process
    receivables (issue 19)."""
    from dunning_service.experiments.router import internal_client
    from dunning_service.settings import DunningSettings

    async with httpx.AsyncClient(transport=RoutingTransport({"receivables": services["receivables"]})) as http:
        client = InternalClient(http, DunningSettings(receivables_url="http://receivables.test"))

        async def routed() -> InternalClient:
            return client

        services["dunning"].dependency_overrides[internal_client] = routed
        try:
            yield
        finally:
            services["dunning"].dependency_overrides.pop(internal_client, None)


@asynccontextmanager
async def portal_asks_in_process(services: dict[str, FastAPI]) -> AsyncIterator[None]:
    """The portal's calls to receivables and messaging (``services.portal.upstream``) go to the in-process apps."""
    from services.portal.settings import PortalSettings
    from services.portal.upstream import Upstream, upstream

    async with httpx.AsyncClient(transport=RoutingTransport(services)) as http:
        routed_upstream = Upstream(http, PortalSettings(**in_process_urls()))

        async def routed() -> Upstream:
            return routed_upstream

        services["portal"].dependency_overrides[upstream] = routed
        try:
            yield
        finally:
            services["portal"].dependency_overrides.pop(upstream, None)


@asynccontextmanager
async def create_stack(**gateway_overrides: Any) -> AsyncIterator[Stack]:
    services = service_apps()
    gateway = create_gateway(
        GatewaySettings(**in_process_urls(), **gateway_overrides),
        upstream_transport=RoutingTransport(services),
    )
    settings = ServiceSettings()
    async with AsyncExitStack() as stack:
        for app in (*services.values(), gateway):
            await stack.enter_async_context(running(app))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(gateway), base_url="http://gateway.test")
        )
        await stack.enter_async_context(ask_gateway_in_process(services, gateway))
        await stack.enter_async_context(ask_receivables_in_process(services))
        await stack.enter_async_context(portal_asks_in_process(services))
        await stack.enter_async_context(dunning_asks_messaging_in_process(services))
        await stack.enter_async_context(dunning_asks_receivables_in_process(services))
        arq = await create_pool(redis_settings(settings.redis_url), **JOB_CODEC)
        redis = Redis.from_url(settings.redis_url)
        engine = create_async_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        stack.push_async_callback(redis.aclose)
        stack.push_async_callback(arq.aclose)
        async with engine.connect() as conn:
            try:
                tables, deletable = await owned_tables(conn), True
            except CycleError:  # foreign keys in a cycle: no table can be emptied first, reset_state truncates
                tables, deletable = {name: None for name in await all_tables(conn)}, False
        query = written_tables_query(tables)
        yield Stack(gateway, services, client, arq, redis, engine, list(tables), query, tables, deletable)


async def owned_tables(conn: Any) -> dict[str, str | None]:
    """Every table of the services' schemas, with the identity sequence it owns (None when it has none), children
    before the tables their foreign keys point at: the order rows can be deleted in (``CycleError`` when foreign
    keys make a cycle: no such order)."""
    rows = await conn.execute(
        text(
            "SELECT n.nspname || '.' || t.relname AS name, "
            "(SELECT sn.nspname || '.' || s.relname FROM pg_depend d "
            " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
            " JOIN pg_namespace sn ON sn.oid = s.relnamespace "
            " WHERE d.refobjid = t.oid AND d.deptype IN ('a', 'i') LIMIT 1) AS sequence "
            "FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE t.relkind IN ('r', 'p') AND n.nspname = ANY(:schemas) ORDER BY 1"
        ),
        {"schemas": list(SCHEMAS)},
    )
    sequences = {row.name: row.sequence for row in rows}
    keys = await conn.execute(
        text(
            "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c "
            "JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = ANY(:schemas)"
        ),
        {"schemas": list(SCHEMAS)},
    )
    children: dict[str, set[str]] = {name: set() for name in sequences}
    for key in keys:
        if key.child != key.parent:
            children.setdefault(key.parent, set()).add(key.child)
    order = TopologicalSorter(children).static_order()  # a table comes after every table pointing at it
    return {name: sequences[name] for name in order if name in sequences}


async def all_tables(conn: Any) -> list[str]:
    rows = await conn.execute(
        text("SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname = ANY(:schemas) ORDER BY 1"),
        {"schemas": list(SCHEMAS)},
    )
    return list(rows.scalars().all())


def written_tables_query(tables: dict[str, str | None]) -> str:
    """One query naming the tables a test left rows in, or whose identity sequence it moved on, in ``tables``'
    order."""
    probes = [
        f"SELECT {rank} AS rank, '{name}' AS name WHERE EXISTS (SELECT FROM {name})"
        + (f" OR (SELECT is_called FROM {sequence})" if sequence else "")
        for rank, (name, sequence) in enumerate(tables.items())
    ]
    return f"SELECT name FROM ({' UNION ALL '.join(probes)}) AS written ORDER BY rank"


async def reset_state(stack: Stack) -> None:
    """Every table empty and every identity restarted, as after ``TRUNCATE`` of them all, but only the tables the
    last test wrote are emptied, and by ``DELETE`` (children first). TRUNCATE gives each table and index a new file
    and makes every pooled connection reload its cache of them: of all 76 tables it took 0.5 s on a busy 2-core
    machine before each of 1,100 tests, of the 8 a tenant's creation writes 70 ms, their DELETE 12 ms. What a
    DELETE could leave behind (a row a trigger wrote) is truncated, and so is everything written when foreign keys
    make a cycle (no order to delete in)."""
    async with stack.engine.begin() as conn:
        written = (await conn.execute(text(stack.written_tables_query))).scalars().all()
        for name in written if stack.deletable else []:
            await conn.execute(text(f"DELETE FROM {name}"))
            if stack.sequences.get(name):
                await conn.execute(text(f"ALTER SEQUENCE {stack.sequences[name]} RESTART"))
        left = (await conn.execute(text(stack.written_tables_query))).scalars().all() if written else []
        left = left if stack.deletable else written
        if left:
            await conn.execute(text(f"TRUNCATE {', '.join(left)} RESTART IDENTITY CASCADE"))
    await stack.redis.flushdb()
    stack.gateway.state.authenticator.forget()
    stack.client.cookies.clear()  # the portal's form cookie: each test is a new browser


@dataclass
class TenantCtx:
    id: uuid.UUID
    slug: str
    admin_id: uuid.UUID
    admin: dict[str, str]  # headers of the admin


async def login(client: httpx.AsyncClient, slug: str, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/v1/auth/token", data={"tenant": slug, "username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


TENANT_TIMEZONE = "America/Argentina/Buenos_Aires"  # create_tenant's


def tenant_today() -> date:
    """Today on the test tenants' calendar (Buenos Aires): between 21:00 and 24:00 there it is still yesterday in
    UTC's terms, and a run or a check for "today" must use the tenant's."""
    return datetime.now(ZoneInfo(TENANT_TIMEZONE)).date()


async def create_tenant(client: httpx.AsyncClient, slug: str | None = None, **overrides: Any) -> TenantCtx:
    slug = slug or f"t-{uuid.uuid4().hex[:10]}"
    body = {
        "slug": slug,
        "name": f"Empresa {slug}",
        "country": "AR",
        "timezone": TENANT_TIMEZONE,
        "default_currency": "ARS",
        "language": "es",
        "admin": {"email": f"admin@{slug}.example", "full_name": "Ana Admin", "password": PASSWORD},
        **overrides,
    }
    response = await client.post("/v1/tenants", json=body, headers=OPERATOR)
    assert response.status_code == 201, response.text
    created = response.json()
    headers = await login(client, slug, body["admin"]["email"])
    return TenantCtx(uuid.UUID(created["tenant"]["id"]), slug, uuid.UUID(created["admin"]["id"]), headers)


async def create_user(client: httpx.AsyncClient, tenant: TenantCtx, *roles: str) -> tuple[dict, dict[str, str]]:
    email = f"{'-'.join(roles)}-{uuid.uuid4().hex[:8]}@{tenant.slug}.example"
    response = await client.post(
        "/v1/users",
        json={"email": email, "full_name": f"Persona {email}", "password": PASSWORD, "roles": list(roles)},
        headers=tenant.admin,
    )
    assert response.status_code == 201, response.text
    return response.json(), await login(client, tenant.slug, email)


async def create_api_key(client: httpx.AsyncClient, tenant: TenantCtx, **body: Any) -> dict[str, str]:
    response = await client.post("/v1/api-keys", json={"name": "ERP", **body}, headers=tenant.admin)
    assert response.status_code == 201, response.text
    return {"X-API-Key": response.json()["key"]}


WORKER_OPTIONS = (
    "functions",
    "queue_name",
    "redis_settings",
    "on_startup",
    "on_shutdown",
    "job_serializer",
    "job_deserializer",
    "max_jobs",
)


def worker_options(worker_settings: type, **overrides: Any) -> dict[str, Any]:
    """A service's arq ``WorkerSettings`` as ``Worker`` arguments (its crons left out by the callers)."""
    return {**{name: getattr(worker_settings, name) for name in WORKER_OPTIONS}, **overrides}


def with_client(worker_settings: type, key: str, client: Callable[[], InternalClient]) -> dict[str, Any]:
    """``run_worker`` options that put ``client()`` (a client of another service's API, routed in-process) in the
    worker's context as ``ctx[key]`` before its own start-up (which keeps one given) and close it at shutdown."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx[key] = client()
        await worker_settings.on_startup(ctx)

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx[key].http.aclose()
        await worker_settings.on_shutdown(ctx)

    return {"on_startup": startup, "on_shutdown": shutdown}


async def run_worker(worker_settings: type, **overrides: Any) -> None:
    """Run a service's arq worker until its queue is empty (``burst``), as the arq docs test jobs."""
    options = worker_options(worker_settings, **overrides)
    worker = Worker(**options, burst=True, poll_delay=0, handle_signals=False, cron_jobs=[])
    try:
        await worker.main()
    finally:
        await worker.close()


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs (the transaction is never committed)."""


class DiesAfterEnqueue:
    """Redis that takes the relay's first job (for ``queue``, when given), then the relay process dies: no other
    job is enqueued and the rows are not marked published. The relay enqueues concurrently: every call waits until
    that one job is in Redis before dying, so what was sent never depends on timing."""

    def __init__(self, arq, queue: str | None = None) -> None:
        self.arq, self.queue = arq, queue
        self.first: asyncio.Task | None = None
        self.taken = asyncio.Event()

    async def enqueue_job(self, *args, **kwargs):
        if self.first is None and self.queue in (None, kwargs.get("_queue_name")):
            self.first = asyncio.create_task(self.arq.enqueue_job(*args, **kwargs))
            self.taken.set()
        await self.taken.wait()
        await self.first
        raise Killed


async def queued_envelopes(stack: Stack, service: str) -> list[dict[str, Any]]:
    """The envelopes waiting in a service's queue (what the relay handed it)."""
    envelopes = []
    for job_id in await stack.redis.zrange(queue_name(service), 0, -1):
        raw = await stack.redis.get(b"arq:job:" + job_id)
        if raw:
            job = deserialize_job(raw)
            if job["f"] == HANDLE_MESSAGES:
                envelopes.extend(job["a"][0])
    return envelopes


async def two_pages(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    limit: int,
    identity: Callable[[dict[str, Any]], Any] = lambda item: item,
    **params: Any,
) -> list[dict[str, Any]]:
    """Every item of a cursor-paginated list read ``limit`` at a time, checked against one page of it all: the
    first page is full, the pages hold the whole list once each (no duplicates, none left out), in the same
    deterministic order, and the last one says there is no next. ``identity`` says what makes two items the same
    (the whole item unless the list computes fresh ids each time)."""
    everything = await client.get(path, params={**params, "limit": 500}, headers=headers)
    assert everything.status_code == 200, everything.text
    assert everything.json()["next_cursor"] is None
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        response = await client.get(
            path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})}, headers=headers
        )
        assert response.status_code == 200, response.text
        pages.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
        assert len(pages[-1]) == limit
    assert len(pages) >= 2, "the list fits one page: give it more items than the limit"
    paged = [identity(item) for page in pages for item in page]
    assert paged == [identity(item) for item in everything.json()["items"]]
    assert len(paged) == len(set(map(repr, paged)))
    return everything.json()["items"]
