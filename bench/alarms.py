"""Alarms at portfolio scale: a tenant with 1,000,000 invoices of 200,000 customers and 50 collectors in alarms'
projection (--scale small: 20,000 / 4,000), then every alarm at once, on the real processes (gateway, receivables
and alarms apps and workers). Two mixes, one after the other:
- usual: 1 % of the invoices with a payment reported, 1 % in dispute (five areas), 5,000 broken promises over the
  last 40 days, 1,000 open action items (about 20,000 rows in the digests);
- heavy: 3 % reported, 2 % in dispute, 20,000 broken promises, 5,000 open action items (about 80,000 rows).
The cost follows the rows the digests carry, not the size of the portfolio (the partial index reads only the
statuses the alarms look at).

Printed side by side, measured in the same run:
- baseline: the bare SQL reads of the rows the four alarms look at (the invoices with a payment reported or in
  dispute, the broken promises of the look-back, the open action items), fetched, nothing else;
- the dry run through the API: every digest computed (selection, recipients, totals, sorted rows, texts) and
  answered, goal well under a second;
- the real run: the same, plus the digests stored and their commands written to the outbox; and a rerun of the
  same day (sends nothing);
- the manager's alarms of issue 18 as a dry run (customers without collector, workload, overdue threshold read
  every overdue invoice of the portfolio; the projection has no tasks, contacts or signs here).

Beside each run's time, the CPU it took: the bench database's server processes and the services' (gateway,
receivables, alarms), from /proc when PostgreSQL runs on this machine. On a shared machine the times follow the
load; the CPU a run takes hardly does.

The projection is filled with set-based SQL (what the events would have built), not through a million events:
this measures the alarms, not the ingestion.
"""

import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import System, arguments, bench_line, cpu_seconds

COLLECTORS = 50
MANAGER_ALARMS = ["tasks_overdue", "unassigned_customers", "workload", "overdue_threshold", "contact_rate"]
# About 1 % of the customers reach it: the threshold digests carry some rows.
THRESHOLDS = {"overdue_threshold": {"thresholds": {"ARS": "600000", "USD": "600000"}}}
USERS_SQL = """
INSERT INTO alarms.users (tenant_id, user_id, email, full_name, roles, active, announced_at)
SELECT $1, gen_random_uuid(), 'cobrador' || g || '@bench.example', 'Cobrador ' || g, ARRAY['collector'], true, now()
FROM generate_series(1, $2) g
"""
CUSTOMERS_SQL = """
INSERT INTO alarms.customers (tenant_id, id, revision, external_id, name, collector_id, deleted)
SELECT $1, gen_random_uuid(), 1, 'C-' || g, 'Cliente ' || g,
       (SELECT array_agg(user_id ORDER BY user_id) FROM alarms.users WHERE tenant_id = $1)[1 + g % $3], false
FROM generate_series(1, $2) g
"""
INVOICES_SQL = """
INSERT INTO alarms.invoices (tenant_id, id, customer_id, revision, number, currency, amount, open_amount, due_date,
                             status, promised_date, reported_date, dispute_area_id, status_since)
SELECT $1, gen_random_uuid(), c.id, 1, 'F-' || c.external_id || '-' || k, x.currency, x.amount,
       CASE WHEN x.status = 'paid' THEN 0 ELSE x.amount END, $3::date - (random() * 120)::int, x.status,
       CASE WHEN x.status = 'promise_to_pay' THEN $3::date + 5 END,
       CASE WHEN x.status = 'payment_reported' THEN $3::date - (random() * 30)::int END,
       CASE WHEN x.status = 'dispute' THEN ($4::uuid[])[1 + (random() * 5)::int] END,
       now() - random() * interval '90 days'
FROM alarms.customers c
CROSS JOIN generate_series(1, $2) k
CROSS JOIN LATERAL (
  SELECT CASE WHEN random() < 0.1 THEN 'USD' ELSE 'ARS' END AS currency,
         round((50 + random() * 200000)::numeric, 2) AS amount,
         CASE WHEN r < 0.93 THEN 'normal' WHEN r < 0.96 THEN 'promise_to_pay' WHEN r < 0.97 THEN 'payment_reported'
              WHEN r < 0.98 THEN 'dispute' ELSE 'paid' END AS status
  FROM (SELECT random() AS r, c.id AS customer, k AS nth) rr
) x
WHERE c.tenant_id = $1
"""
PROMISES_SQL = """
INSERT INTO alarms.broken_promises (tenant_id, promise_id, invoice_id, customer_id, collector_id, promised_date,
                                    broken_on, currency, open_amount)
SELECT i.tenant_id, gen_random_uuid(), i.id, i.customer_id, NULL, d - 2, d, i.currency, i.open_amount
FROM (SELECT *, $3::date - (random() * 40)::int AS d FROM alarms.invoices
      WHERE tenant_id = $1 AND status = 'normal' AND NOT EXISTS (
          SELECT 1 FROM alarms.broken_promises b WHERE b.tenant_id = $1 AND b.invoice_id = invoices.id)
      ORDER BY id LIMIT $2) i
"""
ITEMS_SQL = """
INSERT INTO alarms.action_items (tenant_id, id, customer_id, invoice_ids, action, status, assignee_id, created_on,
                                 changed_at)
SELECT i.tenant_id, gen_random_uuid(), i.customer_id, ARRAY[i.id],
       (ARRAY['suspend_service', 'legal', 'write_off', 'call'])[1 + (random() * 3)::int], 'open', NULL,
       $3::date - (random() * 20)::int, now()
FROM (SELECT * FROM alarms.invoices WHERE tenant_id = $1 AND status = 'normal' ORDER BY id DESC OFFSET $4 LIMIT $2) i
"""
# The heavy mix: two more percent of the invoices with a payment reported, one more in dispute.
HEAVIER_SQL = """
UPDATE alarms.invoices i SET
    status = x.status,
    reported_date = CASE WHEN x.status = 'payment_reported' THEN $2::date - (random() * 30)::int END,
    dispute_area_id = CASE WHEN x.status = 'dispute' THEN ($3::uuid[])[1 + (random() * 5)::int] END
FROM (SELECT id, CASE WHEN random() < 2.0 / 3 THEN 'payment_reported' ELSE 'dispute' END AS status
      FROM alarms.invoices WHERE tenant_id = $1 AND status = 'normal' AND random() < 0.0325) x
WHERE i.tenant_id = $1 AND i.id = x.id
"""
BARE_SQL = [
    """SELECT i.id, i.number, i.customer_id, i.currency, i.open_amount, i.reported_date, i.dispute_area_id,
              i.status_since FROM alarms.invoices i
       WHERE i.tenant_id = $1 AND i.status IN ('payment_reported', 'dispute') AND i.open_amount > 0""",
    """SELECT b.* FROM alarms.broken_promises b WHERE b.tenant_id = $1 AND b.broken_on >= $2::date - 30""",
    """SELECT a.* FROM alarms.action_items a WHERE a.tenant_id = $1 AND a.status = 'open'""",
]


async def timed(factory, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await factory()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def redis_db() -> int | None:
    """The bench's Redis database: ``COBRANZA_BENCH_REDIS_DB``, else the one of ``COBRANZA_REDIS_URL``."""
    if os.environ.get("COBRANZA_BENCH_REDIS_DB"):
        return int(os.environ["COBRANZA_BENCH_REDIS_DB"])
    path = urlparse(os.environ.get("COBRANZA_REDIS_URL", "")).path.strip("/")
    return int(path) if path.isdigit() else 12


async def until_ok(client: httpx.AsyncClient, method: str, path: str, headers: dict, ok, **kwargs) -> dict:
    """Retry while the tenant's events are still on their way to the services."""
    for _ in range(300):
        response = await client.request(method, path, headers=headers, **kwargs)
        if response.status_code < 300 and ok(response.json()):
            return response.json()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")


async def main() -> None:
    args = arguments(__doc__)
    customers = 200_000 if args.scale == "full" else 4_000
    per_customer = 5
    async with System(
        "alarms",
        services=("receivables", "alarms"),
        workers=("gateway", "receivables", "alarms"),
        port_base=args.port_base,
        redis_db=redis_db(),
    ) as system:
        tenant = await system.tenant_api_key()
        tenant_id = uuid.UUID(tenant["tenant_id"])
        admin = tenant["admin"]
        as_of = datetime.now(ZoneInfo("America/Argentina/Buenos_Aires")).date()
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=600) as client:
            await until_ok(client, "GET", "/v1/alarm-settings", admin, lambda s: s["timezone"] is not None)
            owner = (
                await client.post(
                    "/v1/users",
                    headers=admin,
                    json={
                        "email": "duena@bench.example",
                        "full_name": "Dueña de las acciones",
                        "password": "bench-password-123",
                        "roles": ["manager"],
                    },
                )
            ).json()
            await until_ok(
                client,
                "PATCH",
                "/v1/receivables-settings",
                admin,
                lambda s: True,
                json={"action_owner_id": owner["id"]},
            )
            areas = []
            for n in range(5):
                person = (
                    await client.post(
                        "/v1/people",
                        headers=admin,
                        json={
                            "kind": "supervisor",
                            "name": f"Responsable {n}",
                            "email": f"area{n}@bench.example",
                        },
                    )
                ).json()
                area = await client.post(
                    "/v1/dispute-areas", headers=admin, json={"name": f"Área {n}", "responsible_id": person["id"]}
                )
                areas.append(uuid.UUID(area.json()["id"]))
            await until_ok(client, "PATCH", "/v1/alarm-settings", admin, lambda s: True, json=THRESHOLDS)

            conn = await asyncpg.connect(system.dsn)
            try:
                started = time.perf_counter()
                await conn.execute(USERS_SQL, tenant_id, COLLECTORS)
                await conn.execute("ANALYZE alarms.users")
                await conn.execute(CUSTOMERS_SQL, tenant_id, customers, COLLECTORS)
                await conn.execute(INVOICES_SQL, tenant_id, per_customer, as_of, areas)
                await conn.execute(PROMISES_SQL, tenant_id, customers // 40, as_of)
                await conn.execute(ITEMS_SQL, tenant_id, customers // 200, as_of, 0)
                await analyze(conn)
                invoices = await conn.fetchval("SELECT count(*) FROM alarms.invoices")
                print(
                    f"projection: {invoices:,} invoices, {customers:,} customers, {COLLECTORS} collectors, built in "
                    f"{time.perf_counter() - started:.1f} s; as of {as_of}"
                )
                usual = await measure(system, conn, client, admin, tenant_id, as_of, "usual")
                await conn.execute("DELETE FROM alarms.digests")
                await conn.execute(HEAVIER_SQL, tenant_id, as_of, areas)
                await conn.execute(PROMISES_SQL, tenant_id, customers // 10 - customers // 40, as_of)
                await conn.execute(ITEMS_SQL, tenant_id, customers // 40 - customers // 200, as_of, customers // 200)
                await analyze(conn)
                heavy = await measure(system, conn, client, admin, tenant_id, as_of, "heavy")
            finally:
                await conn.close()
    for mix, (bare, dry, real, manager) in (("", usual), ("_heavy", heavy)):
        print(bench_line(f"alarms_dry_run{mix}", dry * 1000, bare * 1000, "ms"))
        print(bench_line(f"alarms_real_run{mix}", real * 1000, bare * 1000, "ms"))
        print(bench_line(f"alarms_manager_dry_run{mix}", manager * 1000, bare * 1000, "ms"))


async def analyze(conn: asyncpg.Connection) -> None:
    for table in ("customers", "invoices", "broken_promises", "action_items"):
        await conn.execute(f"VACUUM ANALYZE alarms.{table}")


async def measure(
    system: System,
    conn: asyncpg.Connection,
    client: httpx.AsyncClient,
    admin: dict,
    tenant_id: uuid.UUID,
    as_of: date,
    mix: str,
) -> tuple[float, float, float, float]:
    """The bare reads, a dry run, a real run, a rerun of the same day and a dry run of the manager's alarms;
    answers all but the rerun, in seconds."""
    database = await conn.fetchval("SELECT current_database()")

    async def cpu() -> dict[int, float]:
        """CPU seconds used so far by each of the bench database's server processes and of the services."""
        backends = [r["pid"] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database)]
        services = [p.pid for p in system.processes if system.roles[p.pid] in ("gateway", "receivables", "alarms")]
        return {pid: cpu_seconds(pid) for pid in [*backends, *services]}

    async def timed_cpu(factory, repeat: int = 1) -> tuple[float, object, float]:
        """``timed``, and the CPU seconds a call took (a process started meanwhile counts whole)."""
        before = await cpu()
        seconds, result = await timed(factory, repeat)
        after = await cpu()
        return seconds, result, sum(used - before.get(pid, 0.0) for pid, used in after.items()) / repeat

    async def bare() -> int:
        fetched = 0
        for sql in BARE_SQL:
            fetched += len(await conn.fetch(sql, *((tenant_id, as_of) if "$2" in sql else (tenant_id,))))
        return fetched

    bare_seconds, fetched = await timed(bare, repeat=5)
    print(f"{mix}: bare reads {bare_seconds * 1000:.1f} ms for {fetched:,} rows")

    async def post(dry_run: bool, alarms: list[str] | None = None) -> dict:
        body = {"as_of": as_of.isoformat(), "dry_run": dry_run, **({"alarms": alarms} if alarms else {})}
        response = await client.post("/v1/alarms/runs", json=body, headers=admin)
        response.raise_for_status()
        return response.json()

    dry_seconds, dry, dry_cpu = await timed_cpu(lambda: post(True), repeat=3)
    counts = dry["counts"]
    print(
        f"{mix}: dry run {dry_seconds * 1000:.0f} ms (CPU {dry_cpu * 1000:.0f} ms): {counts['digests']} digests, "
        f"{counts['rows']:,} rows; "
        f"unrouted {[(u['alarm'], u['audience'], u['reason'], u['rows']) for u in dry['unrouted']]}"
    )
    real_seconds, real, real_cpu = await timed_cpu(lambda: post(False))
    stored = await conn.fetchval("SELECT count(*) FROM alarms.digests")
    print(
        f"{mix}: real run {real_seconds * 1000:.0f} ms (CPU {real_cpu * 1000:.0f} ms): "
        f"{real['counts']['digests']} digests stored ({stored})"
    )
    rerun_seconds, rerun, rerun_cpu = await timed_cpu(lambda: post(False))
    print(
        f"{mix}: rerun of the same day {rerun_seconds * 1000:.0f} ms (CPU {rerun_cpu * 1000:.0f} ms), "
        f"{rerun['counts']['digests']} digests sent, "
        f"{rerun['counts']['already_sent']} already sent"
    )
    manager_seconds, manager, manager_cpu = await timed_cpu(lambda: post(True, MANAGER_ALARMS), repeat=3)
    print(
        f"{mix}: manager's alarms dry run {manager_seconds * 1000:.0f} ms (CPU {manager_cpu * 1000:.0f} ms): "
        f"{manager['counts']['digests']} digests, {manager['counts']['rows']:,} rows"
    )
    return bare_seconds, dry_seconds, real_seconds, manager_seconds


if __name__ == "__main__":
    asyncio.run(main())
