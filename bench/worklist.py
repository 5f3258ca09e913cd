"""The collector's worklist at portfolio scale (issue 18): a tenant with 1,000,000 invoices of 200,000 customers and
50 collectors (--scale small: 20,000 / 4,000), on the real processes (gateway and receivables, apps and workers).

The portfolio is written into receivables' tables with set-based SQL (what the API would have stored), not through
a million requests: this measures the worklist, not the ingestion. Its facts, per customer: 5 invoices (ARS, 10 %
USD) due from 120 days ago to 60 days ahead, 93 % normal; a personal contact in the last 60 days for half of them
(1 % today); 2 % with a promise broken in the last 30 days, 1 % with one due today or tomorrow; 5 % with an open
task due; 1 % with a reply after the last contact, 3 messages each on the timeline; 5 % with warning signs, 2 % with a
bounced contact.

Printed side by side, measured in the same run:
- one collector's worklist (4,000 customers at full size), the first page of 50, as that collector through the
  gateway, against the bare SQL of its heaviest part (that collector's overdue invoices summed per customer and
  currency, fetched); goal under 300 ms;
- the 50-collector team's worklist (``team=mine`` as their supervisor: the whole portfolio), first page, against
  the same bare SQL over the team;
- the supervisor's view of the 50 collectors (``GET /v1/supervision/collectors``, today), against the same;
- the warning signs' refresh over the same portfolio through the API (posted, then polled until the worker
  completed it), the first (every customer's computed risk is new) and a daily one, against the bare SQL of its
  heaviest part (every invoice payment's days late per customer); goal under 30 s.
"""

import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import System, arguments, bench_line

COLLECTORS = 50
PER_CUSTOMER = 5
PASSWORD = "bench-password-123"
ZONE = ZoneInfo("America/Argentina/Buenos_Aires")

CUSTOMERS_SQL = """
INSERT INTO receivables.customers (tenant_id, id, external_id, name, collector_id, contacts, opted_out_channels)
SELECT $1, gen_random_uuid(), 'C-' || g, 'Cliente ' || g, ($3::uuid[])[1 + g % array_length($3::uuid[], 1)],
       jsonb_build_array(
           jsonb_build_object('channel', 'email', 'address', 'c' || g || '@bench.example', 'invalid', g % 50 = 0),
           jsonb_build_object('channel', 'sms', 'address', '+54911' || lpad(g::text, 8, '0'), 'invalid', false)),
       CASE WHEN g % 20 = 0 THEN ARRAY['sms'] ELSE '{}' END
FROM generate_series(1, $2) g
"""
INVOICES_SQL = """
INSERT INTO receivables.invoices (tenant_id, id, customer_id, number, currency, amount, open_amount, issue_date,
                                  due_date, status, closed_on)
SELECT $1, gen_random_uuid(), c.id, 'F-' || c.external_id || '-' || k, x.currency, x.amount,
       CASE WHEN x.status = 'paid' THEN 0 ELSE x.amount END, x.due - 30, x.due, x.status,
       CASE WHEN x.status = 'paid' THEN x.due END
FROM receivables.customers c
CROSS JOIN generate_series(1, $2) k
CROSS JOIN LATERAL (
    SELECT CASE WHEN random() < 0.1 THEN 'USD' ELSE 'ARS' END AS currency,
           round((50 + random() * 200000)::numeric, 2) AS amount,
           $3::date - 120 + (random() * 180)::int AS due,
           CASE WHEN r < 0.65 THEN 'normal' WHEN r < 0.67 THEN 'promise_to_pay' WHEN r < 0.68 THEN 'payment_reported'
                WHEN r < 0.69 THEN 'dispute' ELSE 'paid' END AS status
    FROM (SELECT random() AS r, c.id AS customer, k AS nth) rr
) x
WHERE c.tenant_id = $1
"""
OUTCOMES_SQL = """
INSERT INTO receivables.outcomes (tenant_id, id, customer_id, kind, channel, excuse, recorded_by, recorded_by_user_id,
                                  collector_id, occurred_at)
SELECT c.tenant_id, gen_random_uuid(), c.id, 'no_commitment', 'phone',
       (ARRAY['forgetting', 'inability_to_pay', 'dissatisfaction', NULL])[1 + (random() * 3)::int],
       'user:' || c.collector_id, c.collector_id, c.collector_id,
       CASE WHEN random() < 0.02 THEN now() ELSE now() - random() * interval '60 days' END
FROM receivables.customers c WHERE c.tenant_id = $1 AND random() < 0.5
"""
PROMISES_SQL = """
INSERT INTO receivables.promises (tenant_id, id, customer_id, invoice_id, promised_date, currency, amount, collector_id,
                                  status, resolved_on, created_by, occurred_at)
SELECT i.tenant_id, gen_random_uuid(), i.customer_id, i.id, x.promised, i.currency, i.open_amount, c.collector_id,
       x.status, CASE WHEN x.status = 'broken' THEN x.promised + 1 END, 'user:' || c.collector_id,
       now() - interval '40 days'
FROM (SELECT DISTINCT ON (customer_id) * FROM receivables.invoices
      WHERE tenant_id = $1 AND status = 'normal' ORDER BY customer_id, due_date) i
JOIN receivables.customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
CROSS JOIN LATERAL (SELECT random() AS r) rr
CROSS JOIN LATERAL (
    SELECT CASE WHEN rr.r < 0.02 THEN 'broken' ELSE 'open' END AS status,
           CASE WHEN rr.r < 0.02 THEN $2::date - 2 - (rr.r * 1000)::int ELSE $2::date + (rr.r * 100)::int % 2 END
               AS promised
) x
WHERE rr.r < 0.03
"""
TASKS_SQL = """
INSERT INTO receivables.tasks (tenant_id, id, customer_id, title, assignee_id, due_date, created_by)
SELECT c.tenant_id, gen_random_uuid(), c.id, 'Llamar de nuevo', c.collector_id, $2::date - (random() * 10)::int,
       'user:' || c.collector_id
FROM receivables.customers c WHERE c.tenant_id = $1 AND random() < 0.05
"""
TIMELINE_SQL = """
INSERT INTO receivables.timeline_entries (tenant_id, id, customer_id, occurred_at, kind, summary, data, actor)
SELECT c.tenant_id, gen_random_uuid(), c.id, now() - random() * interval '90 days', 'message', 'Recordatorio enviado',
       '{}', 'service:messaging'
FROM receivables.customers c CROSS JOIN generate_series(1, 3) WHERE c.tenant_id = $1
UNION ALL
SELECT c.tenant_id, gen_random_uuid(), c.id, now() - interval '1 hour', 'reply_received', 'sms replied',
       jsonb_build_object('channel', 'sms', 'text', 'Ya pagué', 'opt_out', false), 'service:messaging'
FROM receivables.customers c WHERE c.tenant_id = $1 AND random() < 0.01
"""
SIGNS_SQL = """
INSERT INTO receivables.warning_signs (tenant_id, customer_id, sign, evidence, first_seen_on, refreshed_on)
SELECT c.tenant_id, c.id, s, '{}', $2::date, $2::date
FROM receivables.customers c CROSS JOIN unnest(ARRAY['days_late_trend', 'growing_overdue']) s
WHERE c.tenant_id = $1 AND random() < 0.05
"""
# The paid invoices' payments (a third of the portfolio), from 5 days early to 35 days late: the history the warning
# signs read (days late, small invoices paid before larger ones).
PAYMENTS_SQL = """
WITH paid AS (
    SELECT i.tenant_id, i.id AS invoice_id, i.customer_id, i.currency, i.amount, gen_random_uuid() AS payment_id,
           least($2::date, i.due_date - 5 + (random() * 40)::int) AS paid_on
    FROM receivables.invoices i WHERE i.tenant_id = $1 AND i.status = 'paid'
), closed AS (
    UPDATE receivables.invoices i SET closed_on = paid.paid_on
    FROM paid WHERE i.tenant_id = paid.tenant_id AND i.id = paid.invoice_id
), payments AS (
    INSERT INTO receivables.payments (tenant_id, id, customer_id, currency, amount, unapplied_amount, payment_date)
    SELECT tenant_id, payment_id, customer_id, currency, amount, 0, paid_on FROM paid
)
INSERT INTO receivables.payment_allocations (tenant_id, payment_id, invoice_id, amount, payment_date)
SELECT tenant_id, payment_id, invoice_id, amount, paid_on FROM paid
"""
# The warning signs' heaviest part, bare: every customer's invoice payments and their days late.
BARE_SIGNS_SQL = """
SELECT i.customer_id, count(*), avg(greatest(pa.payment_date - i.due_date, 0))
FROM receivables.payment_allocations pa
JOIN receivables.invoices i ON i.tenant_id = pa.tenant_id AND i.id = pa.invoice_id
WHERE pa.tenant_id = $1 AND pa.reversed_at IS NULL
GROUP BY 1
"""
# The worklist's heaviest part, bare: the collectors' overdue invoices summed per customer and currency.
BARE_SQL = """
SELECT i.customer_id, i.currency, sum(i.open_amount), count(*), max($3::date - i.due_date)
FROM receivables.invoices i JOIN receivables.customers c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
WHERE i.tenant_id = $1 AND c.collector_id = ANY($2::uuid[]) AND i.status = 'normal' AND i.open_amount > 0
      AND i.due_date < $3
GROUP BY 1, 2
"""


async def timed(factory: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, Any]:
    """The median of ``repeat`` calls, in seconds, and the last answer."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await factory()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait while the gateway's events are on their way to receivables."""
    for _ in range(600):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("receivables never caught up with the gateway's users")


async def login(client: httpx.AsyncClient, slug: str, email: str) -> dict[str, str]:
    token = await client.post("/v1/auth/token", data={"tenant": slug, "username": email, "password": PASSWORD})
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def people(client: httpx.AsyncClient, admin: dict[str, str]) -> tuple[list[uuid.UUID], str, str]:
    """50 collectors and their supervisor, as users of the tenant and as people of receivables (the team)."""
    slug = (await client.get("/v1/tenant", headers=admin)).json()["slug"]
    ids = []
    for n in range(COLLECTORS + 1):
        role, email = ("supervisor", "jefa@bench.example") if n == COLLECTORS else ("collector", f"c{n}@bench.example")
        body = {"email": email, "full_name": f"{role} {n}", "password": PASSWORD, "roles": [role]}
        created = await client.post("/v1/users", headers=admin, json=body)
        created.raise_for_status()
        ids.append(uuid.UUID(created.json()["id"]))

    async def announced() -> bool:
        listed = await client.get("/v1/people/collectors", headers=admin, params={"limit": 500})
        return listed.status_code == 200 and len(listed.json()["items"]) == COLLECTORS

    await until(announced)
    boss = await client.post(
        "/v1/people", headers=admin, json={"kind": "supervisor", "name": "Jefa", "user_id": str(ids[-1])}
    )
    boss.raise_for_status()
    for n, user_id in enumerate(ids[:-1]):
        body = {"kind": "staff", "name": f"Cobrador {n}", "user_id": str(user_id), "supervisor_id": boss.json()["id"]}
        (await client.post("/v1/people", headers=admin, json=body)).raise_for_status()
    return ids[:-1], slug, "jefa@bench.example"


async def build(conn: asyncpg.Connection, tenant_id: uuid.UUID, collectors: list[uuid.UUID], customers: int) -> None:
    today = datetime.now(ZONE).date()
    started = time.perf_counter()
    await conn.execute(CUSTOMERS_SQL, tenant_id, customers, collectors)
    await conn.execute(INVOICES_SQL, tenant_id, PER_CUSTOMER, today)
    await conn.execute(PAYMENTS_SQL, tenant_id, today)
    await conn.execute(OUTCOMES_SQL, tenant_id)
    await conn.execute(PROMISES_SQL, tenant_id, today)
    await conn.execute(TASKS_SQL, tenant_id, today)
    await conn.execute(TIMELINE_SQL, tenant_id)
    await conn.execute(SIGNS_SQL, tenant_id, today)
    tables = ("customers", "invoices", "payments", "payment_allocations", "outcomes", "promises", "tasks")
    for table in (*tables, "timeline_entries", "warning_signs"):
        await conn.execute(f"VACUUM ANALYZE receivables.{table}")
    invoices = await conn.fetchval("SELECT count(*) FROM receivables.invoices WHERE tenant_id = $1", tenant_id)
    print(f"portfolio: {invoices:,} invoices, {customers:,} customers, built in {time.perf_counter() - started:.1f} s")


async def warning_signs_refresh(
    client: httpx.AsyncClient, conn: asyncpg.Connection, tenant_id: uuid.UUID, manager: dict[str, str]
) -> tuple[float, float, float]:
    """The warning signs' refresh of the whole portfolio through the API, what the daily job runs: posted
    (``POST /v1/warning-signs/refresh``, computed by receivables' worker) and, past the service's wait (202), polled
    until completed; the first (every customer's computed risk is new) and the next day's kind (little changes), in
    seconds from the post to the completion, beside the bare SQL of its heaviest part (goal under 30 s at full
    size). The post's own answer time is printed too: it never comes near the gateway's upstream timeout."""

    async def refresh() -> Any:
        started = time.perf_counter()
        answer = await client.post("/v1/warning-signs/refresh", headers=manager)
        answer.raise_for_status()
        print(f"  POST answered {answer.status_code} in {time.perf_counter() - started:.2f} s")
        body = answer.json()
        while body["status"] in ("queued", "running"):
            await asyncio.sleep(0.25)
            polled = await client.get(answer.headers["location"], headers=manager)
            polled.raise_for_status()
            body = polled.json()
        if body["status"] != "completed":
            raise RuntimeError(f"the refresh ended {body['status']}: {body['error']}")
        return {k: body[k] for k in ("day", "customers", "changed", "risk_changed", "signs")}

    first, counts = await timed(refresh, 1)
    print(f"warning signs, first refresh: {counts}")
    steady, counts = await timed(refresh, 1)
    print(f"warning signs, next refresh: {counts}")
    bare, _ = await timed(lambda: conn.fetch(BARE_SIGNS_SQL, tenant_id), 3)
    return first, steady, bare


async def main() -> None:
    args = arguments(__doc__)
    customers = 200_000 if args.scale == "full" else 4_000
    repeat = 5
    async with System(
        "worklist" + os.environ.get("COBRANZA_BENCH_SUFFIX", ""),  # a database of its own beside another checkout's
        services=("receivables",),
        workers=("gateway", "receivables"),
        port_base=args.port_base,
        redis_db=int(os.environ.get("COBRANZA_BENCH_REDIS_DB", "13")),
    ) as system:
        tenant = await system.tenant_api_key()
        tenant_id = uuid.UUID(tenant["tenant_id"])
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=600) as client:
            collectors, slug, boss_email = await people(client, tenant["admin"])
            collector = await login(client, slug, "c0@bench.example")
            boss = await login(client, slug, boss_email)
            conn = await asyncpg.connect(system.dsn)
            try:
                await build(conn, tenant_id, collectors, customers)
                today = datetime.now(ZONE).date()
                figures = await measure(client, conn, tenant_id, collectors, today, collector, boss, repeat)
                signs = await warning_signs_refresh(client, conn, tenant_id, tenant["admin"])
            finally:
                await conn.close()
    (one, bare_one), (team, bare_team), supervision = figures
    print(bench_line("worklist_one_collector", one * 1000, bare_one * 1000, "ms"))
    print(bench_line("worklist_team_50", team * 1000, bare_team * 1000, "ms"))
    print(bench_line("supervision_team_50", supervision * 1000, bare_team * 1000, "ms"))
    first, steady, bare_signs = signs
    print(bench_line("warning_signs_first_refresh", first, bare_signs, "s"))
    print(bench_line("warning_signs_daily_refresh", steady, bare_signs, "s"))


async def measure(
    client: httpx.AsyncClient,
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    collectors: list[uuid.UUID],
    today: date,
    collector: dict[str, str],
    boss: dict[str, str],
    repeat: int,
) -> tuple[tuple[float, float], tuple[float, float], float]:
    async def get(path: str, headers: dict[str, str], **params: str) -> Any:
        response = await client.get(path, headers=headers, params=params)
        response.raise_for_status()
        return response.json()

    async def bare(ids: list[uuid.UUID]) -> int:
        return len(await conn.fetch(BARE_SQL, tenant_id, ids, today))

    bare_one, rows_one = await timed(lambda: bare(collectors[:1]), repeat)
    one, page = await timed(lambda: get("/v1/worklist", collector, limit="50"), repeat)
    size = sum(1 for _ in page["items"])
    print(
        f"one collector: worklist {one * 1000:.1f} ms (first page of {size}; top score {page['items'][0]['score']}); "
        f"bare SQL {bare_one * 1000:.1f} ms ({rows_one:,} rows)"
    )
    bare_team, rows_team = await timed(lambda: bare(collectors), 3)
    team, _ = await timed(lambda: get("/v1/worklist", boss, limit="50", team="mine"), 3)
    print(f"team of 50: worklist {team * 1000:.1f} ms; bare SQL {bare_team * 1000:.1f} ms ({rows_team:,} rows)")
    supervision, answer = await timed(lambda: get("/v1/supervision/collectors", boss), 3)
    lists = sum(row["worklist_size"] for row in answer["collectors"])
    print(f"supervision of 50: {supervision * 1000:.1f} ms ({lists:,} customers on today's lists)")
    return (one, bare_one), (team, bare_team), supervision


if __name__ == "__main__":
    asyncio.run(main())
