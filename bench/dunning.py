"""Dunning run at portfolio scale: 1,000,000 open invoices of 200,000 customers in dunning's projection
(--scale small: 20,000 / 4,000), in steady state (every earlier business day already ran), then today's run.
``--fees`` (issue 19) turns late charges on: the standard strategy gets an interest rule and a fixed fee at a step,
assessed up to the previous business day first (untimed), so the timed runs assess one day's new charges.
``--plans`` (issue 19) switches payment plans on: one customer in 50 has its ARS invoices grouped in an accepted plan
(``in_plan``) and three installments (one overdue, one due in 3 days, one next month) that a strategy for payment
plans follows, each with the steps it had by the previous business day.

Printed side by side, measured in the same run on the real processes (gateway, dunning app and worker):
- baseline: the bare SQL statement selecting the invoices that a step falls due on today, grouped per
  customer (partial index on open invoices, ``due_date = ANY(dates)``);
- the dry run through the API (the whole plan computed: strategies chosen by rules, catch-up, exclusions,
  grouping per customer and channel; nothing sent), goal < 5 s at full scale;
- the real run (POST, then the worker: dispatches, steps pending on their invoices, the commands to
  messaging in the outbox naming the dispatches, in chunks), goal < 15 s; then how long the relay takes to hand
  every command to messaging's queue, and a rerun of the same day (sends nothing);
- messaging's asks: every communication of the run built by dunning as messaging's acceptance asks for them
  (``POST /internal/dispatched-communications``, one request after the other), and the CPU it took;
- the average size of a communication handed to messaging (the JSON of each one asked): every message carries
  the customer's whole open position (issue 12); the baseline is the same message with only the invoices that
  triggered it, as messages were before.

The projection is filled with set-based SQL (what the events would have built), not through 1.2 million
events: this measures the run, not the ingestion.

``--shape catch-up`` (issue 13) is the first run over a freshly loaded portfolio instead: N invoices (``--size``;
100,000 by default, 10,000 with --scale small), N/5 customers with 5 invoices each, every invoice open and overdue,
due dates spread evenly over the last 90 days, amounts 10.00-10,000.00, one strategy with overdue steps at 1, 7,
15, 30 and 60 days, email only; loaded through the PUBLIC API (the gateway's bulk ingest, receivables' relay,
dunning's consumer). Timed: the load, until dunning's projection holds every customer and invoice, the first dry run
and the first real run (the catch-up: each invoice reaching its highest due step). Baselines from the same run:
asyncpg's COPY of the same invoice rows into a bare table (load, load-to-ready), the bare SQL selecting each
invoice's highest due step (dry and real runs).
"""

import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import System, arguments, bench_line
from bench.ingest import BATCH, invoice_body, raw_copy, send_all
from bench.ingest import customers as ingest_customers
from messaging_service.delivery.dispatched import dispatched_communications
from messaging_service.settings import MessagingSettings
from shared.calendar import BusinessCalendar
from shared.contracts.messaging import SendDispatchedCommunications
from shared.internal import InternalClient

STEPS = [
    {"key": "new", "kind": "new_invoice", "channels": ["email"]},
    {"key": "pre-3", "kind": "pre_due", "days": 3, "channels": ["email", "whatsapp"]},
    {"key": "od-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email", "sms"]},
    {"key": "od-15", "kind": "overdue", "days": 15, "tone": 2, "channels": ["whatsapp", "email", "sms"]},
    {"key": "od-30", "kind": "overdue", "days": 30, "tone": 3, "channels": ["email", "sms"]},
    {"key": "legal-45", "kind": "action", "days": 45, "action": "legal", "channels": ["email", "sms"]},
]
HIGH_RISK_STEPS = [
    {"key": "pre-5", "kind": "pre_due", "days": 5, "channels": ["sms", "email"]},
    {"key": "od-1", "kind": "overdue", "days": 1, "tone": 2, "channels": ["sms", "whatsapp", "email"]},
    {"key": "od-10", "kind": "overdue", "days": 10, "tone": 3, "channels": ["whatsapp", "sms", "email"]},
    {"key": "suspend-20", "kind": "action", "days": 20, "action": "suspend_service", "channels": ["email", "sms"]},
]
TERM_DAYS = 30  # every bench invoice is issued 30 days before it is due
# --fees (issue 19): the standard strategy's late charges, an interest rule and a fixed fee at a step
FEES = [
    {"key": "late-fee", "kind": "fixed", "at_step": "od-15", "amounts": {"ARS": "500", "USD": "5"}},
    {"key": "interest", "kind": "interest", "annual_rate": "60", "grace_days": 5, "cap": {"percent": "20"}},
]
# --plans (issue 19): the strategy that follows the installments of payment plans
PLAN_STEPS = [
    {"key": "inst-pre-3", "kind": "pre_due", "days": 3, "channels": ["whatsapp", "email"]},
    {"key": "inst-od-2", "kind": "overdue", "days": 2, "tone": 2, "channels": ["email", "sms"]},
    {"key": "inst-od-10", "kind": "overdue", "days": 10, "tone": 3, "channels": ["whatsapp", "sms", "email"]},
]

CUSTOMERS_SQL = """
INSERT INTO dunning.customers (tenant_id, id, revision, external_id, name, country, language, segment, vip,
                               risk_level, tags, contacts, opted_out_channels, usable_channels, addresses, people,
                               seen_at)
SELECT $1, gen_random_uuid(), 1, 'C-' || g, 'Cliente ' || g, 'AR', 'es',
       (ARRAY['retail', 'wholesale', 'government'])[1 + g % 3], g % 50 = 0,
       (ARRAY['low', 'medium', 'medium', 'high'])[1 + g % 4], ARRAY['zone-' || g % 7],
       (CASE WHEN e THEN jsonb_build_array(jsonb_build_object('channel', 'email', 'address', 'c' || g || '@example.com',
                                                             'invalid', g % 97 = 0)) ELSE '[]'::jsonb END)
       || (CASE WHEN s THEN jsonb_build_array(jsonb_build_object('channel', 'sms', 'address', '+5491155551234',
                                                                'invalid', false)) ELSE '[]'::jsonb END)
       || (CASE WHEN w THEN jsonb_build_array(jsonb_build_object('channel', 'whatsapp', 'address', '+5491155551234',
                                                                'invalid', false)) ELSE '[]'::jsonb END),
       CASE WHEN g % 41 = 0 THEN ARRAY['email'] ELSE '{}' END,
       array_remove(array_remove(array_remove(ARRAY[
           CASE WHEN e AND g % 97 <> 0 AND g % 41 <> 0 THEN 'email' END,
           CASE WHEN s THEN 'sms' END, CASE WHEN w THEN 'whatsapp' END], NULL), NULL), NULL),
       jsonb_strip_nulls(jsonb_build_object(
           'email', CASE WHEN e AND g % 97 <> 0 AND g % 41 <> 0 THEN 'c' || g || '@example.com' END,
           'sms', CASE WHEN s THEN '+5491155551234' END, 'whatsapp', CASE WHEN w THEN '+5491155551234' END)),
       jsonb_build_object('advisor', jsonb_build_object('name', 'Asesor ' || g % 40, 'whatsapp', '+5491155550000')),
       now() - interval '2 days'
FROM (SELECT g, g % 20 <> 0 AS e, g % 5 < 2 AS s, g % 10 < 3 AS w FROM generate_series(1, $2) g) flags
"""
# The projection is stamped as seen two days ago (``seen_at``): announced before the previous business day's run,
# as in steady state; the day's own changes are ``DAY_CHANGES`` (late charges look at what changed since: issue 19).
# Five invoices per customer, due over the last 90 and the next 30 days, in the order an ERP pushes them
# (issue order), each with the steps it had by the previous business day: steady state, as if every earlier
# business day ran (an action notice stops reminders).
INVOICES_SQL = """
WITH st AS (
  SELECT * FROM unnest($5::uuid[], $6::uuid[], $7::text[], $8::int[]) AS s(strategy_id, step_id, kind, off)
),
base AS (
  SELECT c.id AS customer_id, c.external_id, k, x.*,
         CASE WHEN c.vip THEN NULL WHEN c.risk_level = 'high' THEN $9::uuid ELSE $10::uuid END AS strategy_id
  FROM dunning.customers c
  CROSS JOIN generate_series(1, $2) k
  CROSS JOIN LATERAL (
    SELECT $3::date + (floor(random() * 121)::int - 90) AS due,
           CASE WHEN random() < 0.1 THEN 'USD' ELSE 'ARS' END AS currency,
           round((50 + random() * 200000)::numeric, 2) AS amount,
           CASE WHEN r < 0.90 THEN 'normal' WHEN r < 0.94 THEN 'promise_to_pay'
                WHEN r < 0.96 THEN 'payment_reported' ELSE 'dispute' END AS status
    FROM (SELECT random() AS r, c.id AS customer, k AS nth) rr
  ) x
  WHERE c.tenant_id = $1
)
INSERT INTO dunning.invoices (tenant_id, id, customer_id, revision, number, currency, amount, open_amount,
                              issue_date, due_date, status, steps_done, stopped_by_action, seen_at)
SELECT $1, gen_random_uuid(), b.customer_id, 1, 'F-' || b.external_id || '-' || b.k, b.currency, b.amount, b.amount,
       b.due - $4::int, b.due, b.status, coalesce(h.done, '{}'), coalesce(h.stopped, false), now() - interval '2 days'
FROM base b
LEFT JOIN LATERAL (
  SELECT array_agg(st.step_id) AS done, bool_or(st.kind = 'action') AS stopped
  FROM st
  WHERE st.strategy_id = b.strategy_id
    AND (CASE WHEN st.kind = 'new_invoice' THEN b.due - $4::int ELSE b.due + st.off END) <= $11::date
) h ON true
ORDER BY b.due
"""
# One customer in 50 (not VIP) has its normal ARS invoices in an accepted payment plan, as receivables' events
# would have built it: the invoices ``in_plan``, three installments of a third each (the plan strategy's steps had by
# the previous business day recorded like the invoices').
PLANS_SQL = """
WITH st AS (SELECT * FROM unnest($2::uuid[], $3::int[], $4::text[]) AS s(step_id, off, kind)),
grouped AS (
  UPDATE dunning.invoices i SET status = 'in_plan', seen_at = now() - interval '2 days',
         plan_id = CAST(md5('plan' || CAST(i.customer_id AS text)) AS uuid)
  FROM dunning.customers c
  WHERE i.tenant_id = $1 AND c.tenant_id = $1 AND c.id = i.customer_id AND NOT c.vip
    AND i.status = 'normal' AND i.currency = 'ARS' AND abs(hashtext(CAST(c.id AS text))) % 50 = 0
  RETURNING i.customer_id, i.plan_id, i.open_amount, c.external_id
),
plans AS (
  SELECT customer_id, plan_id, external_id, sum(open_amount) AS principal FROM grouped
  GROUP BY customer_id, plan_id, external_id
)
INSERT INTO dunning.invoices (tenant_id, id, customer_id, revision, number, kind, currency, amount, open_amount,
                              issue_date, due_date, status, plan_id, steps_done, seen_at)
SELECT $1, gen_random_uuid(), p.customer_id, 1, 'PP-' || p.external_id || ' ' || n || '/3', 'installment', 'ARS',
       round(p.principal / 3, 2), round(p.principal / 3, 2), $5::date - 20, d.due, 'normal', p.plan_id,
       coalesce((SELECT array_agg(st.step_id) FROM st WHERE d.due + st.off <= $6::date), '{}'),
       now() - interval '2 days'
FROM plans p
CROSS JOIN LATERAL (VALUES (1, $5::date - 15), (2, $5::date + 3), (3, $5::date + 33)) AS d(n, due)
"""
# A day's changes since the previous run: one customer in 200 announced again by receivables (a payment, a promise),
# as its customer row and one of its invoices seen now: their customers' invoices are the incremental assessment's
# candidates, with the invoices whose fixed fee fell due since (issue 19, dunning_service/fees/watermark.py).
DAY_CHANGES_SQL = """
WITH touched AS (
  UPDATE dunning.customers SET seen_at = now()
  WHERE tenant_id = $1 AND abs(hashtext(CAST(id AS text))) % 200 = 0
  RETURNING id
)
UPDATE dunning.invoices i SET seen_at = now()
FROM (SELECT DISTINCT ON (i.customer_id) i.id FROM dunning.invoices i JOIN touched t ON t.id = i.customer_id
      WHERE i.tenant_id = $1 ORDER BY i.customer_id, i.due_date) one
WHERE i.tenant_id = $1 AND i.id = one.id
"""
BARE_SQL = """
SELECT customer_id, array_agg(id) AS invoice_ids
FROM dunning.invoices
WHERE tenant_id = $1 AND status = 'normal' AND due_date = ANY($2::date[])
GROUP BY customer_id
"""


def triggered_only(communication: dict) -> dict:
    """The message as it was before issue 12: the triggering invoices alone, their totals and oldest age."""
    old_keys = ("triggered", "demanded", "promised_date", "reported_date")
    lines = [{k: v for k, v in i.items() if k not in old_keys} for i in communication["invoices"] if i["triggered"]]
    totals: dict[str, float] = {}
    for line in lines:
        totals[line["currency"]] = totals.get(line["currency"], 0) + float(line["open_amount"])
    new_keys = ("open_totals", "credits", "overdue_count")
    return {
        **{k: v for k, v in communication.items() if k not in new_keys},
        "invoices": lines,
        "totals": [{"currency": c, "amount": f"{a:.2f}"} for c, a in sorted(totals.items())],
        "oldest_days_overdue": max((line["days_overdue"] for line in lines), default=None),
    }


def payload_sizes(communications: list[dict]) -> tuple[float, float, float]:
    """Average bytes of a communication's JSON (ours, triggered only) and invoices per message."""
    ours = baseline = lines = 0
    for communication in communications:
        ours += len(orjson.dumps(communication))
        baseline += len(orjson.dumps(triggered_only(communication)))
        lines += len(communication["invoices"])
    count = max(len(communications), 1)
    return ours / count, baseline / count, lines / count


async def asked_by_messaging(
    system: System, conn: asyncpg.Connection, tenant_id: uuid.UUID, run_id: str
) -> tuple[float, list[dict]]:
    """The run's communications as messaging's acceptance asks dunning for them (issue 13: its commands name the
    dispatches; ``POST /internal/dispatched-communications``, ``DISPATCHES_ASKED_AT_ONCE`` at a time, one request
    after the other, as one messaging worker does): seconds and the communications."""
    commands = await conn.fetch(
        "SELECT payload::text AS payload FROM dunning.outbox WHERE message_type = $1 AND payload->>'dispatch_ids' "
        "IS NOT NULL ORDER BY seq",
        SendDispatchedCommunications.message_type,
    )
    ids = [uuid.UUID(i) for row in commands for i in orjson.loads(row["payload"])["dispatch_ids"]]
    mine = {r["id"] for r in await conn.fetch("SELECT id FROM dunning.dispatches WHERE run_id = $1", uuid.UUID(run_id))}
    ids = [i for i in ids if i in mine]
    cpu_before = system.cpu_by_role()
    async with httpx.AsyncClient(timeout=600) as http:
        dunning = InternalClient(http, MessagingSettings(dunning_url=system.url("dunning")))
        started = time.perf_counter()
        built = await dispatched_communications(dunning, tenant_id, ids)
        seconds = time.perf_counter() - started
    assert len(built) == len(ids), (len(built), len(ids))
    print(
        f"messaging's asks: the run's {len(built):,} communications built by dunning in {seconds:.2f} s "
        f"({len(built) / seconds:,.0f}/s, one request after the other); cpu seconds: "
        f"{cpu_spent(cpu_before, system.cpu_by_role())}",
        flush=True,
    )
    return seconds, built


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> str:
    """Each role's CPU seconds between two samples; a role whose processes ended between them (PostgreSQL backends
    that closed) lost what they used: unknown."""
    spent = {name: seconds - before.get(name, 0) for name, seconds in sorted(after.items())}
    return ", ".join(f"{name} {s:.2f}" if s >= 0 else f"{name} unknown (processes ended)" for name, s in spent.items())


def step_rows(strategy: dict) -> list[tuple]:
    rows = []
    for step in strategy["steps"]:
        off = {"new_invoice": 0, "pre_due": -step["days"]}.get(step["kind"], step["days"])
        rows.append((uuid.UUID(strategy["id"]), uuid.UUID(step["id"]), step["kind"], off))
    return rows


async def timed(coroutine_factory, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await coroutine_factory()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


async def wait_run(client: httpx.AsyncClient, headers: dict, run_id: str) -> dict:
    while True:
        run = (await client.get(f"/v1/dunning-runs/{run_id}", headers=headers)).json()
        if run["status"] not in ("queued", "running"):
            return run
        await asyncio.sleep(0.05)


CATCH_UP_STEPS = [
    {"key": f"od-{days}", "kind": "overdue", "days": days, "tone": tone, "channels": ["email"]}
    for days, tone in ((1, 1), (7, 1), (15, 2), (30, 3), (60, 3))
]
CATCH_UP_DAYS = [step["days"] for step in CATCH_UP_STEPS]
# The baseline: each open invoice's highest due overdue step, computed by the server alone.
HIGHEST_STEP_SQL = """
SELECT i.customer_id, i.id, max(s.days) AS step_days
FROM dunning.invoices i JOIN unnest($2::int[]) AS s(days) ON i.due_date + s.days <= $3::date
WHERE i.tenant_id = $1 AND i.status = 'normal' AND i.open_amount > 0
GROUP BY i.customer_id, i.id
"""
TRYTON_NOTE = (
    "# published, not measured here: Tryton 8.2 account_dunning 'Create Dunnings' 57-66 s at 100,000 lines, "
    "~690 s at 1M (issue 13); goal: first real run < 1.4 s at 100k, < 14 s at 1M"
)


def catch_up_invoices(count: int, customer_count: int, as_of: date) -> list[tuple]:
    """(external_id, customer, number, currency, amount, open, issue, due): all open, due 1-90 days ago, evenly."""
    rng = random.Random(13)
    rows = []
    for i in range(count):
        due = as_of - timedelta(days=1 + i % 90)
        amount = Decimal(rng.randrange(1_000, 1_000_001)) / 100
        rows.append(
            (f"F-{i:08}", f"C-{i % customer_count:07}", f"A-{i:08}", "ARS", amount, amount, due - timedelta(30), due)
        )
    return rows


async def configure_tenant(client: httpx.AsyncClient, admin: dict) -> None:
    """Manual runs and no tolerance (every overdue invoice is dunned, as the peer does), once the tenant has
    reached dunning through the gateway's outbox."""
    for _ in range(200):
        settings = await client.patch(
            "/v1/dunning-settings", json={"automatic": False, "tolerances": {}}, headers=admin
        )
        settings.raise_for_status()
        if settings.json()["country"] == "AR":
            return
        await asyncio.sleep(0.1)
    raise SystemExit("the tenant did not reach dunning")


async def dry_run(client: httpx.AsyncClient, admin: dict, as_of: date) -> dict:
    """The plan without sending; polled when the API answers with a run id (issue 13's point 6)."""
    response = await client.post(
        "/v1/dunning-runs", params={"plan_limit": 0}, json={"as_of": as_of.isoformat(), "dry_run": True}, headers=admin
    )
    response.raise_for_status()
    body = response.json()
    if "counts" in body and body.get("status") not in ("queued", "running"):
        return body
    return await wait_run(client, admin, body["id"])


async def catch_up(args) -> None:
    """The first run over a freshly loaded, wholly overdue portfolio (issue 13's shape)."""
    invoice_count = args.size or (10_000 if args.scale == "small" else 100_000)
    customer_count = invoice_count // 5
    calendar = BusinessCalendar(country="AR")
    today = datetime.now(ZoneInfo("America/Argentina/Buenos_Aires")).date()
    as_of = today if calendar.is_business_day(today) else calendar.previous_business_day(today)
    rows = catch_up_invoices(invoice_count, customer_count, as_of)
    customer_bodies = [
        orjson.dumps({"items": batch})
        for batch in (ingest_customers(customer_count)[s : s + BATCH] for s in range(0, customer_count, BATCH))
    ]
    invoice_bodies = [invoice_body(rows[s : s + BATCH]) for s in range(0, invoice_count, BATCH)]
    async with dunning_system("dunning_catchup", args, receivables=True) as system:
        tenant = await system.tenant_api_key()
        tenant_id = uuid.UUID(tenant["tenant_id"])
        admin = tenant["admin"]
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=600) as client:
            await configure_tenant(client, admin)
            strategy = await client.post(
                "/v1/strategies",
                headers=admin,
                json={"name": "Catch-up", "is_default": True, "steps": CATCH_UP_STEPS},
            )
            strategy.raise_for_status()
            conn = await asyncpg.connect(system.dsn)
            try:
                cpu_before = system.cpu_by_role()
                started = time.perf_counter()
                await send_all(client, "/v1/ingest/customers", tenant["api_key"], customer_bodies)
                loaded = await send_all(client, "/v1/ingest/invoices", tenant["api_key"], invoice_bodies)
                load_seconds = time.perf_counter() - started
                if loaded["created"] != invoice_count:
                    raise SystemExit(f"expected {invoice_count} invoices, got {loaded}")
                print(
                    f"load: {customer_count:,} customers and {invoice_count:,} invoices through the gateway's bulk "
                    f"API in {load_seconds:.2f} s",
                    flush=True,
                )
                # every customer too: a customers' batch committed after the last invoices' once left the
                # customers unmeasured by the ANALYZE below (their statistics said none)
                held = (0, 0)
                limit = max(600.0, invoice_count / 1000)
                while held != (invoice_count, customer_count):
                    if time.perf_counter() - started > limit:
                        raise SystemExit(f"dunning's projection holds {held} of {invoice_count:,} invoices")
                    await asyncio.sleep(0.2)
                    held = tuple(
                        await conn.fetchrow(
                            "SELECT (SELECT count(*) FROM dunning.invoices WHERE tenant_id = $1), "
                            "(SELECT count(*) FROM dunning.customers WHERE tenant_id = $1)",
                            tenant_id,
                        )
                    )
                ready_seconds = time.perf_counter() - started
                print(
                    f"load-to-ready: dunning's projection holds every customer and invoice {ready_seconds:.2f} s after "
                    f"the first bulk request; cpu seconds until then ({ready_seconds:.2f} s x {os.cpu_count()} cores): "
                    f"{cpu_spent(cpu_before, system.cpu_by_role())}",
                    flush=True,
                )
                await conn.execute("VACUUM ANALYZE dunning.customers")  # what autovacuum does on its own later
                await conn.execute("VACUUM ANALYZE dunning.invoices")

                bare, selected = await timed(
                    lambda: conn.fetch(HIGHEST_STEP_SQL, tenant_id, CATCH_UP_DAYS, as_of), repeat=3
                )
                counted = f"SELECT count(*) FROM ({HIGHEST_STEP_SQL}) selection"
                server, _ = await timed(lambda: conn.fetchval(counted, tenant_id, CATCH_UP_DAYS, as_of), repeat=3)
                print(
                    f"bare SQL, each invoice's highest due step: {bare * 1000:.1f} ms with the rows fetched, "
                    f"{server * 1000:.1f} ms in the server ({len(selected):,} invoices)",
                    flush=True,
                )
                dry_started = time.perf_counter()
                plan = await dry_run(client, admin, as_of)
                dry_seconds = time.perf_counter() - dry_started
                counts = plan["counts"]
                print(
                    f"first dry run: {dry_seconds:.2f} s: {counts['communications']:,} communications for "
                    f"{counts['customers']:,} customers, {counts['invoices']:,} invoices",
                    flush=True,
                )
                real_started = time.perf_counter()
                response = await client.post("/v1/dunning-runs", json={"as_of": as_of.isoformat()}, headers=admin)
                response.raise_for_status()
                run = await wait_run(client, admin, response.json()["id"])
                real_seconds = time.perf_counter() - real_started
                assert run["status"] == "completed", run
                execution = (
                    datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
                ).total_seconds()
                seconds = run["counts"].get("seconds", {})
                print(
                    f"first real run: {real_seconds:.2f} s from the POST to completed ({execution:.2f} s in the "
                    f"worker: plan {seconds.get('plan')} s, hand-over {seconds.get('hand_over')} s): "
                    f"{run['counts']['communications']:,} communications, steps pending on "
                    f"{run['counts']['invoices']:,} invoices",
                    flush=True,
                )
                asked_seconds, _ = await asked_by_messaging(system, conn, tenant_id, run["id"])
                raw_rate = await raw_copy(system.dsn, rows)
                raw_seconds = invoice_count / raw_rate
                print(f"raw asyncpg COPY of the same invoice rows into a bare table: {raw_seconds:.2f} s", flush=True)
            finally:
                await conn.close()
    print(TRYTON_NOTE)
    print(bench_line("dunning_catchup_load", load_seconds, raw_seconds, "s"))
    print(bench_line("dunning_catchup_load_to_ready", ready_seconds, raw_seconds, "s"))
    print(bench_line("dunning_catchup_dry_run", dry_seconds * 1000, bare * 1000, "ms"))
    print(bench_line("dunning_catchup_real_run", real_seconds * 1000, bare * 1000, "ms"))
    print(bench_line("dunning_catchup_contents", asked_seconds * 1000, bare * 1000, "ms"))


def shape_options(parser) -> None:
    parser.add_argument("--shape", choices=("steady", "catch-up"), default="steady")
    parser.add_argument("--size", type=int, default=0, help="invoices of the catch-up shape")
    parser.add_argument(
        "--fees",
        action="store_true",
        help="steady shape: late charges on (an interest rule and a fixed fee at od-15), already assessed up to "
        "the previous business day",
    )
    parser.add_argument(
        "--plans",
        action="store_true",
        help="steady shape: payment plans on (one customer in 50 with an accepted plan of 3 installments that a "
        "strategy for payment plans follows)",
    )
    parser.add_argument(
        "--dunning-workers", type=int, default=2, help="dunning worker processes (a run's parts spread over them)"
    )


@asynccontextmanager
async def dunning_system(name: str, args, receivables: bool = False) -> AsyncIterator[System]:
    """The real processes of a dunning bench (receivables too when the portfolio is loaded through its API), with
    ``--dunning-workers`` workers: a run's parts are handed over by every worker there is."""
    redis_db = os.environ.get("COBRANZA_BENCH_REDIS_DB")  # default: the harness's database for this bench
    services = ("receivables", "dunning") if receivables else ("dunning",)
    async with System(
        name + os.environ.get("COBRANZA_BENCH_SUFFIX", ""),  # a database of its own beside another checkout's
        services=services,
        workers=("gateway", *services),
        port_base=args.port_base,
        redis_db=int(redis_db) if redis_db else None,
    ) as system:
        for n in range(1, args.dunning_workers):
            system.start_worker("dunning", f"dunning-worker-{n + 1}")
        yield system


async def main() -> None:
    args = arguments(__doc__, shape_options)
    if args.shape == "catch-up":
        await catch_up(args)
        return
    customers = 200_000 if args.scale == "full" else 4_000
    per_customer = 5
    async with dunning_system("dunning", args) as system:
        tenant = await system.tenant_api_key()
        tenant_id = uuid.UUID(tenant["tenant_id"])
        admin = tenant["admin"]
        calendar = BusinessCalendar(country="AR")
        today = datetime.now(ZoneInfo("America/Argentina/Buenos_Aires")).date()
        as_of = today if calendar.is_business_day(today) else calendar.previous_business_day(today)
        previous = calendar.previous_business_day(as_of)
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=600) as client:
            for _ in range(200):  # the tenant reaches dunning through the gateway's outbox
                settings = await client.patch(
                    "/v1/dunning-settings",
                    json={"automatic": False, "tolerances": {"ARS": "100", "USD": "5"}},
                    headers=admin,
                )
                settings.raise_for_status()
                if settings.json()["country"] == "AR":
                    break
                await asyncio.sleep(0.1)
            fees = {"fees": FEES} if args.fees else {}
            standard = await client.post(
                "/v1/strategies", headers=admin, json={"name": "Standard", "is_default": True, "steps": STEPS, **fees}
            )
            high = await client.post(
                "/v1/strategies",
                headers=admin,
                json={
                    "name": "High risk",
                    "priority": 10,
                    "match": {"risk_levels": ["high"]},
                    "steps": HIGH_RISK_STEPS,
                },
            )
            vip = await client.post(
                "/v1/strategies",
                headers=admin,
                json={"name": "VIP", "priority": 1, "match": {"vip": True}, "manual_only": True},
            )
            for response in (standard, high, vip):
                response.raise_for_status()
            standard, high = standard.json(), high.json()
            if args.plans:
                plan_strategy = await client.post(
                    "/v1/strategies",
                    headers=admin,
                    json={"name": "Payment plans", "priority": 0, "for_payment_plans": True, "steps": PLAN_STEPS},
                )
                plan_strategy.raise_for_status()

            conn = await asyncpg.connect(system.dsn)
            try:
                started = time.perf_counter()
                await conn.execute(CUSTOMERS_SQL, tenant_id, customers)
                rows = step_rows(standard) + step_rows(high)
                await conn.execute(
                    INVOICES_SQL,
                    tenant_id,
                    per_customer,
                    as_of,
                    TERM_DAYS,
                    [r[0] for r in rows],
                    [r[1] for r in rows],
                    [r[2] for r in rows],
                    [r[3] for r in rows],
                    uuid.UUID(high["id"]),
                    uuid.UUID(standard["id"]),
                    previous,
                )
                if args.plans:
                    plan_rows = step_rows(plan_strategy.json())
                    await conn.execute(
                        PLANS_SQL,
                        tenant_id,
                        [r[1] for r in plan_rows],
                        [r[3] for r in plan_rows],
                        [r[2] for r in plan_rows],
                        as_of,
                        previous,
                    )
                    in_plans = await conn.fetchval(
                        "SELECT count(*) FROM dunning.invoices WHERE tenant_id = $1 AND kind = 'installment'", tenant_id
                    )
                    print(f"plans: {in_plans // 3:,} customers' ARS invoices in an accepted plan of 3 installments")
                await conn.execute(
                    "INSERT INTO dunning.action_items (id, tenant_id, customer_id, invoice_ids, action, status, "
                    "source, created_on) SELECT gen_random_uuid(), tenant_id, customer_id, ARRAY[id], 'call', "
                    "'open', 'manual', $2 FROM dunning.invoices WHERE tenant_id = $1 LIMIT $3",
                    tenant_id,
                    as_of,
                    customers // 200,
                )
                await conn.execute("VACUUM ANALYZE dunning.customers")
                await conn.execute("VACUUM ANALYZE dunning.invoices")
                invoices = await conn.fetchval("SELECT count(*) FROM dunning.invoices")
                print(
                    f"projection: {invoices:,} open invoices, {customers:,} customers, built in "
                    f"{time.perf_counter() - started:.1f} s; as of {as_of} (previous business day {previous})"
                )

                if args.fees:  # steady state: every charge due by the previous business day already assessed
                    response = await client.post(
                        "/v1/dunning-runs", json={"as_of": previous.isoformat()}, headers=admin
                    )
                    response.raise_for_status()
                    before = await wait_run(client, admin, response.json()["id"])
                    assert before["status"] == "completed", before
                    await conn.execute("VACUUM ANALYZE dunning.charges")
                    # the kept open charges too (142,000 lists written by that run): unanalyzed, each message's look-up
                    # by key was planned as a bitmap scan, 3-10x a plain index scan
                    await conn.execute("VACUUM ANALYZE dunning.open_charges")
                    print(f"fees: {before['counts'].get('charges')} assessed up to {previous} (not timed)")
                    await conn.execute(DAY_CHANGES_SQL, tenant_id)
                # the set-up's writes settled before anything is timed: its announcements relayed (the assessment's
                # 1.2 million charges are ~120 messages of 4 MB), its dirty pages written by a checkpoint
                while await conn.fetchval("SELECT count(*) FROM dunning.outbox WHERE published_at IS NULL"):  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
                await conn.execute("CHECKPOINT")

                # the days a step can fall on today: (previous business day, as_of]
                window = [previous + timedelta(days=n) for n in range(1, (as_of - previous).days + 1)]
                offsets = {r[3] for r in rows} | {-TERM_DAYS}  # the new-invoice notice: issue = due - 30
                dates = sorted({d - timedelta(days=off) for d in window for off in offsets})
                bare, selected = await timed(lambda: conn.fetch(BARE_SQL, tenant_id, dates), repeat=5)
                selected_invoices = sum(len(r["invoice_ids"]) for r in selected)
                counted = f"SELECT count(*) FROM ({BARE_SQL}) selection"
                server, _ = await timed(lambda: conn.fetchval(counted, tenant_id, dates), repeat=5)
                print(
                    f"bare selection: {bare * 1000:.1f} ms with the rows fetched, {server * 1000:.1f} ms in the "
                    f"server ({selected_invoices:,} invoices of {len(selected):,} customers whose due date puts a "
                    f"step on {', '.join(map(str, window))})"
                )

                dry_seconds, plan = await timed(lambda: dry_run(client, admin, as_of), repeat=3)
                counts = plan["counts"]
                print(
                    f"dry run: {dry_seconds:.2f} s: {counts['communications']:,} communications and "
                    f"{counts['tasks']:,} tasks for {counts['customers']:,} customers, {counts['invoices']:,} "
                    f"invoices; by channel {counts['by_channel']}, by tone {counts['by_tone']}"
                )

                async def real() -> dict:
                    response = await client.post("/v1/dunning-runs", json={"as_of": as_of.isoformat()}, headers=admin)
                    response.raise_for_status()
                    return await wait_run(client, admin, response.json()["id"])

                cpu_before = system.cpu_by_role()
                real_seconds, run = await timed(real)
                cpu_after = system.cpu_by_role()
                assert run["status"] == "completed", run
                if args.plans:  # the installments went out by the plans' strategy
                    followed = {c["step_key"]: c["invoices"] for c in run["counts"]["by_step"]}
                    installments = {k: n for k, n in followed.items() if k.startswith("inst-")}
                    assert installments, followed
                    print(f"plans: installments reminded by the payment plans' strategy today: {installments}")
                assert run["counts"]["communications"] == counts["communications"], (run["counts"], counts)
                commands = await conn.fetchval(
                    "SELECT count(*) FROM dunning.outbox WHERE message_type = $1",
                    SendDispatchedCommunications.message_type,
                )
                execution = (
                    datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
                ).total_seconds()
                print(
                    f"real run: {real_seconds:.2f} s from the POST to completed ({execution:.2f} s in the worker): "
                    f"{run['counts']['communications']:,} communications in "
                    f"{commands:,} send_dispatched_communications commands, steps pending on "
                    f"{run['counts']['invoices']:,} invoices; charges {run['counts'].get('charges')}"
                )
                seconds = run["counts"].get("seconds", {})
                print(
                    f"real run: plan {seconds.get('plan')} s, hand-over {seconds.get('hand_over')} s; cpu seconds "
                    f"during it ({real_seconds:.2f} s x {os.cpu_count()} cores): {cpu_spent(cpu_before, cpu_after)}"
                )
                relay_start = time.perf_counter()
                while await conn.fetchval("SELECT count(*) FROM dunning.outbox WHERE published_at IS NULL"):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                print(f"relay: every command on messaging's queue {time.perf_counter() - relay_start:.2f} s later")
                asked_seconds, built = await asked_by_messaging(system, conn, tenant_id, run["id"])
                ours_bytes, baseline_bytes, per_message = payload_sizes(built)
                print(
                    f"payload: {ours_bytes:,.0f} bytes per communication on average ({per_message:.1f} invoices of "
                    f"the customer's position each); {baseline_bytes:,.0f} bytes with only the triggering invoices"
                )
                rerun_seconds, rerun = await timed(real)
                sent_again = rerun["counts"]["communications"]
                print(f"rerun of the same day: {rerun_seconds:.2f} s, {sent_again} communications")
            finally:
                await conn.close()
    suffix = ("_fees" if args.fees else "") + ("_plans" if args.plans else "")
    print(bench_line(f"dunning_dry_run{suffix}", dry_seconds * 1000, bare * 1000, "ms"))
    print(bench_line(f"dunning_real_run{suffix}", real_seconds * 1000, bare * 1000, "ms"))
    print(bench_line(f"dunning_contents{suffix}", asked_seconds * 1000, bare * 1000, "ms"))
    print(bench_line("dunning_payload_bytes", ours_bytes, baseline_bytes, "bytes"))


if __name__ == "__main__":
    asyncio.run(main())
