"""Point 8 of issue 10: the services run behind a real PgBouncer in transaction mode (``COBRANZA_DB_PGBOUNCER``:
no prepared statement outlives its transaction; the dunning run lock is transaction-scoped). A PgBouncer started
for the test carries a bulk ingest (receivables' COPY into per-connection staging tables), a dunning run (its
worker) and a delivery (messaging's worker, to a real SMTP server)."""

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
from sqlalchemy import text

from dunning_service.models import SCHEMA as DUNNING_SCHEMA
from dunning_service.settings import DunningSettings
from dunning_service.worker import FUNCTIONS as DUNNING_FUNCTIONS
from dunning_service.worker import HANDLERS as DUNNING_HANDLERS
from services.receivables.models import SCHEMA as RECEIVABLES_SCHEMA
from services.receivables.settings import ReceivablesSettings
from services.receivables.worker import HANDLERS as RECEIVABLES_HANDLERS
from shared.outbox import relay_once
from shared.worker import worker_settings
from tests.conftest import TEST_DATABASE
from tests.dunning.support import create_strategy
from tests.messaging.conftest import mailbox  # noqa: F401 - the SMTP server fixture
from tests.messaging.support import deliver, settings
from tests.support import create_api_key, create_stack, create_tenant, free_port, reset_state, run_worker

pytestmark = pytest.mark.timeout(300)


def pgbouncer_program() -> str:
    """The PgBouncer binary; installed from the Debian package when missing (CI runs as root)."""
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
    if found is None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "pgbouncer"]
        if subprocess.run(install, env=env, stdin=subprocess.DEVNULL, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], stdin=subprocess.DEVNULL, capture_output=True)
            subprocess.run(install, env=env, stdin=subprocess.DEVNULL, capture_output=True)
        found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
    assert found, "PgBouncer is not installed (deploy/infra.sh installs it)"
    return found


def write_config(port: int) -> tuple[Path, Path]:
    workdir = Path(tempfile.mkdtemp(prefix="cobranza-pgbouncer-"))
    workdir.chmod(0o777)  # PgBouncer refuses to run as root: it runs as postgres
    config = workdir / "pgbouncer.ini"
    config.write_text(
        f"""[databases]
{TEST_DATABASE} = host=127.0.0.1 port=5432 dbname={TEST_DATABASE} user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 8
max_client_conn = 500
admin_users = postgres
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
"""
    )
    config.chmod(0o644)
    return workdir, config


@pytest.fixture
async def pgbouncer(database: str) -> AsyncIterator[str]:
    """A PgBouncer in transaction mode on a free port in front of the test database; its URL."""
    program = pgbouncer_program()
    port = free_port()
    workdir, config = write_config(port)
    command = [program, str(config)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: ASYNC220
    try:
        for _ in range(200):  # until it listens (a generous bound, not a timing assertion)
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
                await asyncio.sleep(0.05)
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{TEST_DATABASE}"
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def served_transactions(url: str) -> int:
    """How many transactions PgBouncer carried to the test database (its admin console's SHOW STATS)."""
    port = url.split(":")[-1].split("/")[0]
    stats = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "pgbouncer", "-AtF,", "-c", "SHOW STATS"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(int(line.split(",")[1]) for line in stats.splitlines() if line.split(",")[0] == TEST_DATABASE)


def business_day_before(day: date) -> date:
    """The last Argentine business day before ``day`` (a real run refuses future dates and skips closed days)."""
    national = holidays.country_holidays("AR", years=range(day.year - 1, day.year + 1))
    day -= timedelta(days=1)
    while day.weekday() >= 5 or day in national:
        day -= timedelta(days=1)
    return day


async def test_ingest_a_dunning_run_and_a_delivery_through_pgbouncer_in_transaction_mode(
    stack,
    pgbouncer,
    mailbox,  # noqa: F811 - the fixture imported above
    monkeypatch,
):
    await reset_state(stack)
    monkeypatch.setenv("COBRANZA_DATABASE_URL", pgbouncer)
    monkeypatch.setenv("COBRANZA_DB_PGBOUNCER", "true")
    assert ReceivablesSettings().database_url == pgbouncer
    dunning_worker = worker_settings(
        DunningSettings(), schema=DUNNING_SCHEMA, handlers=DUNNING_HANDLERS, functions=DUNNING_FUNCTIONS
    )
    receivables_worker = worker_settings(
        ReceivablesSettings(), schema=RECEIVABLES_SCHEMA, handlers=RECEIVABLES_HANDLERS
    )
    through_pgbouncer = {"database_url": pgbouncer, "db_pgbouncer": True}

    async def relay_and_consume(*schemas: str) -> None:  # the relay is the test's (direct); the workers are not
        for schema in schemas:
            while await relay_once(stack.engine, stack.arq, schema):
                pass
        await run_worker(receivables_worker)
        await run_worker(dunning_worker)
        await deliver(stack, settings(smtp_port=mailbox.port, **through_pgbouncer))

    async with create_stack() as bouncer:  # every app's engine and fast pool go through PgBouncer
        api = bouncer.client
        tenant = await create_tenant(api)
        await relay_and_consume("gateway")
        body = {channel: {"quiet_hours": None, "frequency_cap": None} for channel in ("email", "sms", "whatsapp")}
        assert (await api.patch("/v1/messaging-settings", json=body, headers=tenant.admin)).status_code == 200
        await api.patch("/v1/dunning-settings", json={"automatic": False}, headers=tenant.admin)
        await create_strategy(api, tenant.admin)
        erp = await create_api_key(api, tenant)

        as_of = business_day_before(date.today())
        customers = [
            {
                "external_id": f"C-{i:03}",
                "name": f"Cliente {i}",
                "country": "AR",
                "contacts": [{"channel": "email", "address": f"c{i}@cliente.example"}],
            }
            for i in range(20)
        ]
        invoices = [
            {
                "external_id": f"F-{i:04}",
                "customer_external_id": f"C-{i % 20:03}",
                "number": f"A-{i:04}",
                "currency": "ARS",
                "amount": "100.00",
                "issue_date": (as_of - timedelta(days=45)).isoformat(),
                "due_date": (as_of - timedelta(days=15)).isoformat(),
            }
            for i in range(200)
        ]
        for what, items in (("customers", customers), ("invoices", invoices)):
            for _ in range(2):  # twice: the second batch meets staging tables left on PgBouncer's server connections
                response = await api.post(f"/v1/ingest/{what}", json={"items": items}, headers=erp)
                assert response.status_code == 200, response.text
                assert response.json()["rejected"] == []
        await relay_and_consume("receivables")

        response = await api.post("/v1/dunning-runs", json={"as_of": as_of.isoformat()}, headers=tenant.admin)
        assert response.status_code == 202, response.text
        await run_worker(dunning_worker)
        run = (await api.get(f"/v1/dunning-runs/{response.json()['id']}", headers=tenant.admin)).json()
        assert run["status"] == "completed", run
        assert run["counts"]["communications"] == 20

        await relay_and_consume("dunning")
        delivered = {m["To"].split("<")[-1].rstrip(">") for m in mailbox.messages()}
        assert delivered == {f"c{i}@cliente.example" for i in range(20)}

    assert served_transactions(pgbouncer) > 20  # it did carry the work (its counts lag a little)

    async with stack.engine.connect() as conn:
        states = dict((await conn.execute(text("SELECT state, count(*) FROM messaging.messages GROUP BY state"))).all())
    assert states == {"sent": 20}


async def test_the_pgbouncer_setting_is_what_keeps_a_prepared_statement_from_going_missing(pgbouncer):
    """A client prepares a statement in one transaction (on a server connection PgBouncer lends it), another client
    then holds that server connection, and the first client's next transaction gets another one. Without the
    setting, the first client reuses its cached prepared statement, which that server connection never saw; with
    it, nothing prepared outlives its transaction."""
    from shared.db import create_engine
    from shared.settings import ServiceSettings

    query = text("SELECT CAST(:x AS int) + 1")

    async def moved_between_server_connections(pgbouncer_mode: bool) -> BaseException | None:
        settings = ServiceSettings(database_url=pgbouncer, db_pgbouncer=pgbouncer_mode)
        first, second = create_engine(settings), create_engine(settings)
        try:
            async with first.connect() as conn:
                await conn.execute(query, {"x": 1})  # prepared on server connection S1, then S1 is let go
            async with second.connect() as holder:
                await holder.execute(text("SELECT 1"))  # S1, the one used last, is lent again and kept
                async with first.connect() as conn:
                    await conn.execute(query, {"x": 2})  # on S2
        except Exception as exc:  # what an application would see
            return exc
        finally:
            await first.dispose()
            await second.dispose()
        return None

    without = await moved_between_server_connections(False)
    assert without is not None and "prepared statement" in str(without), without
    assert await moved_between_server_connections(True) is None
