"""A run's plan: the SQL selection of due invoices, then the rules group them per customer and channel.

Python only sees the invoices that are due today (tens of thousands at a million invoices), never the
portfolio. Each message states the customer's whole position (issue 12): the plan only needs its age (one
aggregate per customer, for the tone); a real run reads the open invoices chunk by chunk as it writes
(``load_positions``), a dry run only for the communications it shows.
"""

import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dunning_service import rules
from dunning_service.projection.views import customer_view
from dunning_service.runs import selection
from dunning_service.runs.context import TenantContext
from shared.contracts.common import InvoiceKind, InvoiceStatus

_STATUS = {s.value: s for s in InvoiceStatus}
_KIND = {k.value: k for k in InvoiceKind}


@dataclass
class Plan:
    as_of: date
    closed_reason: str | None = None  # set when as_of is not a business day: nothing goes out
    next_business_day: date | None = None
    customers: list[rules.CustomerPlan] = field(default_factory=list)
    strategies: dict[uuid.UUID, rules.Strategy] = field(default_factory=dict)

    @property
    def communications(self) -> list[rules.PlannedCommunication]:
        return [c for p in self.customers for c in p.communications]

    @property
    def tasks(self) -> list[rules.PlannedTask]:
        return [t for p in self.customers for t in p.tasks]

    def strategy_versions(self) -> dict[str, int]:
        return {str(s.id): s.version for s in self.strategies.values()}


def counts(plan_customers: list[rules.CustomerPlan], strategies: dict[uuid.UUID, rules.Strategy]) -> dict[str, Any]:
    """Counts per step (invoices), per channel, tone and kind (communications), for the run's record."""
    by_step: Counter[tuple[uuid.UUID, str]] = Counter()
    by_channel: Counter[str] = Counter()
    by_tone: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    invoices = 0
    action_notices = 0
    for customer in plan_customers:
        for item in customer.items:
            by_step[(item.strategy_id, item.step.key)] += 1
            invoices += 1
        for c in customer.communications:
            by_channel[c.channel.value] += 1
            by_tone[str(c.tone)] += 1
            by_kind[rules.COMMUNICATION_KIND[c.kind].value] += 1
            action_notices += c.action is not None
        for _ in customer.tasks:
            by_channel["task"] += 1
    steps = step_counts(by_step, strategies)
    return {
        "customers": len(plan_customers),
        "invoices": invoices,
        "communications": sum(by_channel.values()) - by_channel.get("task", 0),
        "tasks": by_channel.get("task", 0),
        "action_notices": action_notices,
        "by_step": steps,
        "by_channel": dict(sorted(by_channel.items())),
        "by_tone": dict(sorted(by_tone.items())),
        "by_kind": dict(sorted(by_kind.items())),
    }


def step_counts(
    counts: Mapping[tuple[uuid.UUID, str], int], strategies: Mapping[uuid.UUID, rules.Strategy]
) -> list[dict[str, Any]]:
    """Invoices per (strategy, step key), named and described from the strategies, in a stable order."""
    steps = []
    for (strategy_id, key), n in sorted(counts.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        strategy = strategies.get(strategy_id)
        step = next((s for s in strategy.steps if s.key == key), None) if strategy else None
        steps.append(
            {
                "strategy_id": str(strategy_id),
                "strategy": strategy.name if strategy else None,
                "step_key": key,
                "kind": step.kind.value if step else None,
                "tone": step.tone if step else None,
                "invoices": n,
            }
        )
    return steps


_DISPATCH_COUNTS = text(
    """
SELECT 'channel' AS dim, coalesce(channel, 'task') AS key, NULL::uuid AS strategy_id, count(*) AS n
  FROM dunning.dispatches WHERE run_id = :run_id GROUP BY 2
UNION ALL
SELECT 'tone', tone::text, NULL, count(*) FROM dunning.dispatches
  WHERE run_id = :run_id AND channel IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'kind', kind, NULL, count(*) FROM dunning.dispatches WHERE run_id = :run_id AND channel IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'step', key, strategy_id, count(*) FROM dunning.dispatches, unnest(step_keys) AS key
  WHERE run_id = :run_id GROUP BY 2, 3
UNION ALL
SELECT 'customers', NULL, NULL, count(DISTINCT customer_id) FROM dunning.dispatches WHERE run_id = :run_id
UNION ALL
SELECT 'notices', NULL, NULL, count(*) FROM dunning.dispatches
  WHERE run_id = :run_id AND channel IS NOT NULL AND action IS NOT NULL
"""
)


async def dispatch_counts(
    conn: AsyncConnection, run_id: uuid.UUID, strategies: dict[uuid.UUID, rules.Strategy]
) -> dict[str, Any]:
    """A real run's counts from everything it handed over, including chunks written before a crash."""
    by: dict[str, dict[Any, int]] = defaultdict(dict)
    for dim, key, strategy_id, n in (await conn.execute(_DISPATCH_COUNTS, {"run_id": run_id})).all():
        by[dim][(strategy_id, key) if dim == "step" else key] = n
    steps = step_counts(by["step"], strategies)
    channels = by["channel"]
    return {
        "customers": by["customers"].get(None, 0),
        "invoices": sum(by["step"].values()),
        "communications": sum(n for c, n in channels.items() if c != "task"),
        "tasks": channels.get("task", 0),
        "action_notices": by["notices"].get(None, 0),
        "by_step": steps,
        "by_channel": dict(sorted(channels.items())),
        "by_tone": dict(sorted(by["tone"].items())),
        "by_kind": {rules.COMMUNICATION_KIND[rules.StepKind(kind)].value: n for kind, n in sorted(by["kind"].items())},
    }


async def load_customers(conn: AsyncConnection, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    rows = (
        (
            await conn.execute(
                text(
                    "SELECT id, name, vip, segment, risk_level, tags, country, language, "
                    "CAST(contacts AS text) AS contacts, opted_out_channels, deleted, external_id, tax_id, timezone, "
                    "collector_id, CAST(people AS text) AS people, CAST(credits AS text) AS credits, replied_on "
                    "FROM dunning.customers WHERE tenant_id = :tenant_id AND id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"tenant_id": tenant_id, "ids": ids},
            )
        )
        .mappings()
        .all()
    )
    return {row["id"]: row for row in rows}


# An invoice owed and listed by receivables, not a credit note: ``rules.in_position`` but its status, in SQL.
_OWED = "kind <> 'credit_note' AND NOT missing_upstream AND open_amount > 0"
# The customer's open position (``rules.in_position``): open, owed, not a credit note, listed by receivables.
# Run on the driver's connection: a run reads some 180,000 rows at a million invoices.
_POSITIONS = f"""
SELECT id, customer_id, number, kind, currency, amount, open_amount, issue_date, due_date, status,
       promised_date, reported_date, document_url
FROM dunning.invoices
WHERE tenant_id = $1 AND customer_id = ANY($2::uuid[])
  AND status IN ('normal', 'promise_to_pay', 'payment_reported', 'dispute') AND {_OWED}"""
POSITION_BATCH = 5_000
# ``Position.oldest_days_overdue`` in SQL: the oldest overdue invoice still demanded (normal: not paused).
_DEBT_AGES = text(
    f"""
SELECT customer_id, CAST(:as_of AS date) - min(due_date)
FROM dunning.invoices
WHERE tenant_id = :tenant_id AND customer_id = ANY(CAST(:ids AS uuid[])) AND status = 'normal'
  AND {_OWED} AND due_date < CAST(:as_of AS date)
GROUP BY customer_id"""
)


async def load_debt_ages(
    conn: AsyncConnection, tenant_id: uuid.UUID, ids: list[uuid.UUID], as_of: date
) -> dict[uuid.UUID, int]:
    """Days overdue of each customer's oldest overdue demanded invoice (the tone's age), for customers with one."""
    out: dict[uuid.UUID, int] = {}
    for start in range(0, len(ids), POSITION_BATCH):
        params = {"tenant_id": tenant_id, "ids": ids[start : start + POSITION_BATCH], "as_of": as_of}
        out.update((customer_id, age) for customer_id, age in (await conn.execute(_DEBT_AGES, params)).all())
    return out


async def load_positions(
    conn: AsyncConnection | AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID], batch: int = POSITION_BATCH
) -> dict[uuid.UUID, list[rules.InvoiceView]]:
    """Every open invoice of the customers ``ids``, per customer: one query per ``batch`` customers."""
    out: dict[uuid.UUID, list[rules.InvoiceView]] = defaultdict(list)
    if not ids:
        return out
    if isinstance(conn, AsyncSession):
        conn = await conn.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    for start in range(0, len(ids), batch):
        for row in await driver.fetch(_POSITIONS, tenant_id, ids[start : start + batch]):  # type: ignore[union-attr]
            invoice_id, customer_id, number, kind, currency, amount, open_amount = row[:7]
            issue_date, due_date, status, promised_date, reported_date, document_url = row[7:]
            out[customer_id].append(
                rules.InvoiceView(
                    id=invoice_id,
                    customer_id=customer_id,
                    number=number,
                    currency=currency,
                    amount=amount,
                    open_amount=open_amount,
                    issue_date=issue_date,
                    due_date=due_date,
                    status=_STATUS[status],
                    kind=_KIND[kind],
                    promised_date=promised_date,
                    reported_date=reported_date,
                    extra={"document_url": document_url},
                )
            )
    return out


async def compute_plan(
    conn: AsyncConnection,
    tenant: TenantContext,
    as_of: date,
    strategies: list[rules.Strategy],
    pending_cutoff: datetime,
) -> Plan:
    closed = tenant.calendar.closed_reason(as_of)
    if closed:
        return Plan(as_of, closed, tenant.calendar.next_business_day(as_of))
    compiled = selection.compile_strategies(strategies)
    plan = Plan(as_of, strategies=compiled.by_id)
    rows = await selection.select_due(
        conn, tenant.tenant_id, as_of, compiled, tenant.tolerances, pending_cutoff, tenant.reply_pause_days
    )
    if not rows:
        return plan
    by_customer: dict[uuid.UUID, list[rules.DueItem]] = defaultdict(list)
    for row in rows:  # positional: tens of thousands of rows, no mapping look-ups
        invoice_id, customer_id, external_id, number, kind, currency, amount, open_amount = row[:8]
        issue_date, due_date, status, document_url, k, step_index = row[8:]
        strategy = compiled.by_k[k]
        invoice = rules.InvoiceView(
            id=invoice_id,
            customer_id=customer_id,
            number=number,
            currency=currency,
            amount=amount,
            open_amount=open_amount,
            issue_date=issue_date,
            due_date=due_date,
            status=_STATUS[status],
            kind=_KIND[kind],
            extra={"external_id": external_id, "document_url": document_url},
        )
        by_customer[customer_id].append(rules.DueItem(invoice, strategy.steps[step_index], strategy.id))
    customers = await load_customers(conn, tenant.tenant_id, list(by_customer))
    ages = await load_debt_ages(conn, tenant.tenant_id, list(by_customer), as_of)
    for customer_id, items in by_customer.items():
        customer = customer_view(customers[customer_id])
        plan.customers.append(rules.plan_customer(customer, items, as_of, debt_age=ages.get(customer_id)))
    return plan
