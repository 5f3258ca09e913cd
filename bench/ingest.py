"""ERP ingestion: invoices/s through the gateway's bulk endpoint, beside raw asyncpg COPY into a bare table.

Full scale loads 200,000 customers and 1,000,000 invoices (5 per customer, 10,000 rows a request, a few requests
in flight) through the gateway into receivables, then times each KPI query on that portfolio. The baseline is
asyncpg's binary COPY of the same 1,000,000 rows into an unindexed table of the same database, in the same run.
A second baseline is the design the issue names as the simple one: the same rows COPYed into a staging table and
moved by one INSERT ... ON CONFLICT (customer looked up, nothing else) into a copy of the invoices table with its
indexes, as many in flight as ours. Goals (issue 3): ours at least a third of raw COPY; each KPI under 1 s.
Workers are not started during the load; afterwards the receivables worker relays the announcements, and the time
it takes to put them on the consumers' queues (one InvoicesChanged per 10,000-row batch) is printed too.

Load-to-ready (issue 13): a second tenant loads the same rows with every worker running, timed from its first bulk
request until dunning's projection holds every invoice (alarms' too, printed), beside the raw COPY of the same
invoice rows.
"""

import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import System, arguments, bench_line
from shared.outbox import queue_name

BATCH = 10_000
IN_FLIGHT = 3
CONSUMERS = ("dunning", "alarms")  # the projections a bulk load must reach
KPIS = ("aging", "dso", "cei", "promises", "excuses", "contacts", "workload")
SCALES = {"small": (10_000, 50_000), "full": (200_000, 1_000_000)}
TODAY = date(2026, 11, 20)


def customers(count: int) -> list[dict]:
    segments = ("retail", "wholesale", "export", "government")
    return [
        {
            "external_id": f"C-{i:07}",
            "name": f"Cliente {i}",
            "tax_id": f"30-{i:08}-1",
            "country": "AR",
            "segment": segments[i % len(segments)],
            "tags": ["norte"] if i % 3 == 0 else [],
            "contacts": [{"channel": "email", "address": f"pagos{i}@cliente{i % 97}.example"}],
        }
        for i in range(count)
    ]


def invoices(count: int, customer_count: int, rng: random.Random) -> list[tuple]:
    """(external_id, customer_external_id, number, currency, amount, open, issue, due): 60% open, 40% paid."""
    rows = []
    for i in range(count):
        issue = TODAY - timedelta(days=rng.randrange(0, 540))
        amount = Decimal(rng.randrange(1_000, 5_000_000)) / 100
        open_amount = amount if rng.random() < 0.6 else Decimal("0.00")
        rows.append(
            (
                f"F-{i:08}",
                f"C-{i % customer_count:07}",
                f"A-{i:08}",
                "USD" if i % 10 == 0 else "ARS",
                amount,
                open_amount,
                issue,
                issue + timedelta(days=30),
            )
        )
    return rows


def invoice_body(rows: list[tuple]) -> bytes:
    return orjson.dumps(
        {
            "items": [
                {
                    "external_id": r[0],
                    "customer_external_id": r[1],
                    "number": r[2],
                    "currency": r[3],
                    "amount": str(r[4]),
                    "open_amount": str(r[5]),
                    "issue_date": r[6].isoformat(),
                    "due_date": r[7].isoformat(),
                    "version": 1,
                }
                for r in rows
            ]
        }
    )


async def send_all(client: httpx.AsyncClient, path: str, headers: dict, bodies: list[bytes]) -> dict:
    """POST every body, ``IN_FLIGHT`` at a time; every row must be accepted."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    totals = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}

    async def sender() -> None:
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.text[:500]}")
            result = response.json()
            for key in ("created", "updated", "unchanged"):
                totals[key] += result[key]
            totals["rejected"] += len(result["rejected"])
            if result["rejected"]:
                raise SystemExit(f"rows rejected: {result['rejected'][:3]}")

    await asyncio.gather(*(sender() for _ in range(IN_FLIGHT)))
    return totals


def print_cpu_per_batch(before: dict[str, float], after: dict[str, float], elapsed: float, batches: int) -> None:
    """Where the cores went during the load: CPU milliseconds of each process per batch, beside the wall time a
    batch took on all the machine's cores."""
    used = ", ".join(f"{name} {(after[name] - before.get(name, 0)) / batches * 1000:,.0f}" for name in sorted(after))
    wall = f"wall {elapsed / batches * 1000:,.0f} ms x {os.cpu_count()} cores"
    print(f"cpu ms per {BATCH:,}-row batch: {used}; {wall}", flush=True)


async def raw_copy(dsn: str, rows: list[tuple]) -> float:
    """The baseline: binary COPY of the same rows into a bare, unindexed table; rows/s."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "DROP TABLE IF EXISTS public.bench_raw_invoices; CREATE TABLE public.bench_raw_invoices "
            "(external_id text, customer_external_id text, number text, currency text, amount numeric, "
            "open_amount numeric, issue_date date, due_date date)"
        )
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            await conn.copy_records_to_table("bench_raw_invoices", records=rows[start : start + BATCH])
        elapsed = time.perf_counter() - started
        await conn.execute("DROP TABLE public.bench_raw_invoices")
    finally:
        await conn.close()
    return len(rows) / elapsed


REFERENCE_UPSERT = """
    INSERT INTO public.bench_reference_invoices (id, tenant_id, customer_id, external_id, number, currency, amount,
                                                 open_amount, issue_date, due_date, status)
    SELECT receivables.uuid7(), $1, c.id, s.external_id, s.number, s.currency, s.amount, s.open_amount, s.issue_date,
           s.due_date, 'normal'
    FROM bench_staging s JOIN receivables.customers c ON c.tenant_id = $1 AND c.external_id = s.customer_external_id
    ON CONFLICT (tenant_id, external_id) DO NOTHING"""


async def staged_upsert_reference(dsn: str, tenant_id: str, rows: list[tuple]) -> float:
    """The simple design: COPY each batch into a staging table, one INSERT ... ON CONFLICT into a table with the
    invoices' columns and indexes; ``IN_FLIGHT`` connections; rows/s."""
    setup = await asyncpg.connect(dsn)
    await setup.execute(
        "DROP TABLE IF EXISTS public.bench_reference_invoices; "
        "CREATE TABLE public.bench_reference_invoices (LIKE receivables.invoices INCLUDING ALL)"
    )
    connections = [await asyncpg.connect(dsn) for _ in range(IN_FLIGHT)]
    batches = [rows[start : start + BATCH] for start in range(0, len(rows), BATCH)]

    async def load(conn: asyncpg.Connection) -> None:
        while batches:
            batch = batches.pop()
            async with conn.transaction():
                await conn.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS bench_staging (external_id text, customer_external_id text, "
                    "number text, currency text, amount numeric, open_amount numeric, issue_date date, due_date date) "
                    "ON COMMIT DELETE ROWS"
                )
                await conn.copy_records_to_table("bench_staging", records=batch)
                await conn.execute(REFERENCE_UPSERT, uuid.UUID(tenant_id))

    try:
        started = time.perf_counter()
        await asyncio.gather(*(load(conn) for conn in connections))
        elapsed = time.perf_counter() - started
        loaded = await setup.fetchval("SELECT count(*) FROM public.bench_reference_invoices")
        if loaded != len(rows):
            raise SystemExit(f"reference loaded {loaded} rows of {len(rows)}")
        await setup.execute("DROP TABLE public.bench_reference_invoices")
    finally:
        for conn in (setup, *connections):
            await conn.close()
    return len(rows) / elapsed


async def relay_announcements(system: System, dsn: str, batches: int) -> float:
    """Start the receivables worker; seconds until its relay has sent every announcement (at least a job per
    invoice batch on the dunning queue)."""
    from redis.asyncio import Redis

    redis = Redis.from_url(system.redis_url)
    conn = await asyncpg.connect(dsn)
    started = time.perf_counter()
    system.start_worker("receivables")
    try:
        while await conn.fetchval("SELECT count(*) FROM receivables.outbox WHERE published_at IS NULL"):
            if time.perf_counter() - started > 600:
                raise SystemExit("the relay did not finish in 10 minutes")
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
        jobs = await redis.zcard(queue_name("dunning"))
        if jobs < batches:
            raise SystemExit(f"only {jobs} jobs on the dunning queue for {batches} batches of invoices")
    finally:
        await conn.close()
        await redis.aclose()
    return elapsed


async def drop_queued(system: System, services: tuple[str, ...]) -> None:
    """Take the jobs waiting for ``services`` out of Redis (the first tenant's announcements: the load-to-ready
    tenant's consumers must not work through them)."""
    from redis.asyncio import Redis

    redis = Redis.from_url(system.redis_url)
    try:
        for service in services:
            job_ids = await redis.zrange(queue_name(service), 0, -1)
            for start in range(0, len(job_ids), 1000):
                await redis.delete(*(b"arq:job:" + job_id for job_id in job_ids[start : start + 1000]))
            await redis.delete(queue_name(service))
    finally:
        await redis.aclose()


async def wait_workers(system: System, services: tuple[str, ...], seconds: float = 60) -> None:
    """Until each service's worker has started (arq records its health on start)."""
    from redis.asyncio import Redis

    redis = Redis.from_url(system.redis_url)
    deadline = time.perf_counter() + seconds
    try:
        while not all([await redis.exists(f"{queue_name(s)}:health-check") for s in services]):
            if time.perf_counter() > deadline:
                raise SystemExit(f"the workers of {services} did not start (see {system.log_dir})")
            await asyncio.sleep(0.2)
    finally:
        await redis.aclose()


async def load_to_ready(
    system: System, customer_bodies: list[bytes], invoice_bodies: list[bytes], invoice_count: int
) -> tuple[float, float, float]:
    """A fresh tenant's load with every worker running: seconds from its first bulk request until the load is
    accepted, until dunning's projection holds every invoice, and until alarms' does."""
    await drop_queued(system, CONSUMERS)
    for service in ("gateway", *CONSUMERS):
        system.start_worker(service, f"{service}-worker")
    await wait_workers(system, ("receivables", *CONSUMERS))
    tenant = await system.tenant_api_key()
    tenant_id = uuid.UUID(tenant["tenant_id"])
    conn = await asyncpg.connect(system.dsn)
    ready: dict[str, float] = {}
    try:
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=300) as client:
            cpu_before, started = system.cpu_by_role(), time.perf_counter()
            await send_all(client, "/v1/ingest/customers", tenant["api_key"], customer_bodies)
            loaded = await send_all(client, "/v1/ingest/invoices", tenant["api_key"], invoice_bodies)
            load_seconds = time.perf_counter() - started
        if loaded["created"] != invoice_count:
            raise SystemExit(f"expected {invoice_count} invoices, got {loaded}")
        while len(ready) < len(CONSUMERS):
            for service in CONSUMERS:
                if service not in ready:
                    sql = f"SELECT count(*) FROM {service}.invoices WHERE tenant_id = $1"
                    if await conn.fetchval(sql, tenant_id) == invoice_count:
                        ready[service] = time.perf_counter() - started
            if time.perf_counter() - started > max(600.0, invoice_count / 1000):
                raise SystemExit(f"the projections are not ready: {ready}")
            await asyncio.sleep(0.1)
        elapsed, cpu_after = time.perf_counter() - started, system.cpu_by_role()
    finally:
        await conn.close()
    used = ", ".join(f"{name} {after - cpu_before.get(name, 0):,.1f}" for name, after in sorted(cpu_after.items()))
    print(f"cpu seconds from the first request to ready ({elapsed:.1f} s x {os.cpu_count()} cores): {used}")
    return load_seconds, ready["dunning"], ready["alarms"]


async def time_kpis(client: httpx.AsyncClient, headers: dict) -> dict[str, float]:
    """Median of three calls of each KPI endpoint through the gateway, in seconds."""
    params = {"as_of": TODAY.isoformat(), "from": (TODAY - timedelta(days=29)).isoformat(), "to": TODAY.isoformat()}
    timings = {}
    for kpi in KPIS:
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            response = await client.get(f"/v1/kpis/{kpi}", params=params, headers=headers)
            samples.append(time.perf_counter() - started)
            response.raise_for_status()
        timings[kpi] = statistics.median(samples)
    return timings


async def main() -> None:
    args = arguments(__doc__)
    customer_count, invoice_count = SCALES[args.scale]
    rng = random.Random(42)
    rows = invoices(invoice_count, customer_count, rng)
    customer_bodies = [
        orjson.dumps({"items": batch})
        for batch in (customers(customer_count)[s : s + BATCH] for s in range(0, customer_count, BATCH))
    ]
    invoice_bodies = [invoice_body(rows[s : s + BATCH]) for s in range(0, invoice_count, BATCH)]
    async with System("ingest", services=("receivables",), port_base=args.port_base) as system:
        tenant = await system.tenant_api_key()
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=300) as client:
            started = time.perf_counter()
            result = await send_all(client, "/v1/ingest/customers", tenant["api_key"], customer_bodies)
            customer_rate = customer_count / (time.perf_counter() - started)
            print(f"customers: {result['created']} created, {customer_rate:,.0f} customers/s", flush=True)

            cpu_before, started = system.cpu_by_role(), time.perf_counter()
            result = await send_all(client, "/v1/ingest/invoices", tenant["api_key"], invoice_bodies)
            elapsed, cpu_after = time.perf_counter() - started, system.cpu_by_role()
            ours = invoice_count / elapsed
            print(f"invoices: {result['created']} created, {ours:,.0f} invoices/s through the gateway", flush=True)
            print_cpu_per_batch(cpu_before, cpu_after, elapsed, len(invoice_bodies))
            if result["created"] != invoice_count:
                raise SystemExit(f"expected {invoice_count} invoices, got {result}")

            started = time.perf_counter()
            again = await send_all(client, "/v1/ingest/invoices", tenant["api_key"], invoice_bodies[:5])
            rate = 5 * BATCH / (time.perf_counter() - started)
            print(f"same batches again: {again['unchanged']} unchanged, {rate:,.0f} invoices/s", flush=True)

            conn = await asyncpg.connect(system.dsn)
            try:  # what autovacuum does on its own a little later
                await conn.execute("VACUUM ANALYZE receivables.invoices")
                await conn.execute("VACUUM ANALYZE receivables.customers")
            finally:
                await conn.close()
            kpis = await time_kpis(client, tenant["api_key"])
            for kpi, seconds in kpis.items():
                verdict = "ok" if seconds < 1 else "SLOW"
                print(f"kpi {kpi}: {seconds * 1000:,.0f} ms at {invoice_count:,} invoices ({verdict})", flush=True)

        seconds = await relay_announcements(system, system.dsn, len(invoice_bodies))
        announced = f"{customer_count:,} customers, {invoice_count:,} invoices"
        print(f"relay: every announcement ({announced}) on the consumers' queues in {seconds:.1f} s", flush=True)
        load_seconds, dunning_ready, alarms_ready = await load_to_ready(
            system, customer_bodies, invoice_bodies, invoice_count
        )
        print(
            f"load-to-ready, a second tenant with every worker running: load {load_seconds:.1f} s, dunning's "
            f"projection holds every invoice {dunning_ready:.1f} s and alarms' {alarms_ready:.1f} s after the first "
            "bulk request",
            flush=True,
        )
        system.stop()
        reference = await staged_upsert_reference(system.dsn, tenant["tenant_id"], rows)
        print(f"staging COPY + one INSERT ... ON CONFLICT into the indexed table: {reference:,.0f} rows/s", flush=True)
        baseline = await raw_copy(system.dsn, rows)
        print(f"raw asyncpg COPY into a bare table: {baseline:,.0f} rows/s", flush=True)
    print(bench_line("ingest", ours, baseline, "rows/s"))
    print(bench_line("ingest_vs_staged_upsert", ours, reference, "rows/s"))
    print(bench_line("ingest_load_to_ready", dunning_ready, invoice_count / baseline, "s"))


if __name__ == "__main__":
    asyncio.run(main())
