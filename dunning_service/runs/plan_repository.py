"""A run's plan in the database: ``statements.plan_select`` written into a temporary table (a dry run's plan, with
its final tones) and, for a real run, its tasks copied into the dispatches and its messages into the planned
messages that its parts hand over; its parts recorded, its tasks with an action found, its counts read
back. Every function runs in the caller's session and transaction (the ``SET LOCAL``s and the temporary tables live
there)."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.models import PlannedMessage
from dunning_service.runs import selection
from dunning_service.runs.statements import (
    DISPATCH_COLUMNS,
    DISPATCHES,
    PLAN_COLUMNS,
    PLANNED_MESSAGES,
    RUN_TASKS,
    RUN_WORK_MEM,
    plan_select,
    with_ages,
)
from shared.db import planner_settings, set_local

DRY_PLAN = "dry_plan"  # a dry run's plan: a temporary table like the dispatches, dropped with its transaction
PLANNED = "planned"  # a real run's plan before it is copied where it goes (a temporary table, likewise)
# the plan's columns with the planned messages' types, whatever the expressions computing them: every plan table
# has the same row type (a prepared statement over it stays valid from one transaction to the next)
_DIALECT = PGDialect()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves dialects' __init__ untyped
_TYPED = ", ".join(
    f"CAST({c} AS {PlannedMessage.__table__.c[c].type.compile(dialect=_DIALECT)}) AS {c}"
    for c in PLAN_COLUMNS.split(", ")
)
_EMPTY_PLAN = f"SELECT {DISPATCH_COLUMNS}, true AS aged FROM {DISPATCHES} WHERE false"


@dataclass(frozen=True, slots=True)
class CountRow:
    """One count of a run's dispatches: ``dim`` is channel, tone, kind, step, customers or notices; ``key`` the
    value counted (a step's key with its ``strategy_id`` and ``step_id``), None for the totals. A message can carry
    steps of two strategies (the customer's and the payment plans', issue 19): the step's id names its own."""

    dim: str
    key: str | None
    strategy_id: uuid.UUID | None
    n: int
    step_id: uuid.UUID | None = None


async def plan_table(
    session: AsyncSession,
    table: str,
    compiled: selection.CompiledStrategies,
    params: dict[str, Any] | None,
    final_tones: bool = False,
) -> None:
    """The plan of the day as a new temporary table ``table`` (``PLAN_COLUMNS``), dropped when the session's
    transaction ends; empty when no strategy sends automatic messages (or on a closed day: ``params`` None).
    ``final_tones``: the messages' tones raised by their customers' oldest debt here (a dry run: ``with_ages``);
    a real run's parts do it as they hand them over."""
    if params is None or not compiled.params.get("st_k"):
        await session.execute(text(f"CREATE TEMP TABLE {table} ON COMMIT DROP AS {_EMPTY_PLAN}"))
        return
    # JIT: compiling costs more than it saves on these statements. The planner cannot estimate the CTEs' sizes (the
    # due items, their customers): it guesses a few hundred rows and loops over an index per customer, 4x slower at
    # 100,000 invoices than hashing one scan of the table. ``CREATE TABLE AS``: the due selection's scan may use a
    # parallel worker (on the core a run's plan otherwise leaves idle), which ``INSERT ... SELECT`` never does.
    await set_local(session, jit="off", work_mem=RUN_WORK_MEM)
    plan = f"SELECT * FROM ({plan_select(compiled)}) AS p({PLAN_COLUMNS})"
    plan = f"SELECT {_TYPED} FROM ({with_ages(plan) if final_tones else plan}) AS p"
    async with planner_settings(session, enable_nestloop="off"):
        await session.execute(text(f"CREATE TEMP TABLE {table} ON COMMIT DROP AS {plan}"), params)


async def plan_into(session: AsyncSession, compiled: selection.CompiledStrategies, params: dict[str, Any]) -> None:
    """A real run's plan: its tasks written into the dispatches, skipping the keys already there (a rerun of the
    day), its messages into the planned messages (their parts write their dispatches, in parallel: copying 40,000
    rows into the dispatches' seven indexes took the serial plan 0.6 s at 1M)."""
    await plan_table(session, PLANNED, compiled, params)
    await session.execute(
        text(
            f"INSERT INTO {DISPATCHES} ({DISPATCH_COLUMNS}) SELECT {DISPATCH_COLUMNS} FROM {PLANNED} "
            "WHERE channel IS NULL ON CONFLICT (tenant_id, idempotency_key) DO NOTHING"
        )
    )
    await session.execute(
        text(
            f"INSERT INTO {PLANNED_MESSAGES} ({PLAN_COLUMNS}) SELECT {PLAN_COLUMNS} FROM {PLANNED} "
            "WHERE channel IS NOT NULL"
        )
    )


async def record_parts(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """One row per part of the run that has communications to hand over (planned: a key handed over already by an
    earlier run of the day is skipped when its part writes its dispatches)."""
    await session.execute(
        text(
            f"""
INSERT INTO dunning.run_parts (tenant_id, run_id, part, communications)
SELECT CAST(:tenant_id AS uuid), CAST(:run_id AS uuid), part, count(*)
FROM {PLANNED_MESSAGES} WHERE tenant_id = :tenant_id AND run_id = :run_id GROUP BY part
ON CONFLICT DO NOTHING"""
        ),
        {"tenant_id": tenant_id, "run_id": run_id},
    )


async def planned_task_actions(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> list[uuid.UUID]:
    """The run's tasks that carry an action step (each opens its action item)."""
    query = f"SELECT id FROM ({RUN_TASKS}) t WHERE cardinality(action_invoice_ids) > 0"
    return list((await session.execute(text(query), {"tenant_id": tenant_id, "run_id": run_id})).scalars())


def _dispatch_counts(table: str) -> str:
    """Every count of a run from one read of its dispatches (``d``); its steps counted per distinct list of steps
    (``lists``) before the lists are unnested: unnesting every dispatch's took 0.66 s of the 1.1 s that six reads
    of a 1M catch-up's 200,000 dispatches took."""
    return f"""
WITH d AS MATERIALIZED (
  SELECT channel, kind, tone, action, customer_id, strategy_id, step_keys, step_ids FROM {table} WHERE run_id = :run_id
),
lists AS (SELECT strategy_id, step_keys, step_ids, count(*) AS n FROM d GROUP BY strategy_id, step_keys, step_ids)
SELECT 'channel' AS dim, coalesce(channel, CASE kind WHEN 'call' THEN 'call' ELSE 'task' END) AS key,
       NULL::uuid AS strategy_id, count(*) AS n, NULL::uuid AS step_id
  FROM d GROUP BY 2
UNION ALL
SELECT 'tone', tone::text, NULL, count(*), NULL FROM d WHERE channel IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'kind', kind, NULL, count(*), NULL FROM d WHERE channel IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'step', u.key, l.strategy_id, CAST(sum(l.n) AS bigint), u.step_id
  FROM lists l, unnest(l.step_keys, l.step_ids) AS u(key, step_id) GROUP BY 2, 3, 5
UNION ALL
SELECT 'customers', NULL, NULL, count(*), NULL FROM (SELECT DISTINCT customer_id FROM d) c
UNION ALL
SELECT 'notices', NULL, NULL, count(*), NULL FROM d WHERE channel IS NOT NULL AND action IS NOT NULL
"""


async def count_rows(session: AsyncSession, run_id: uuid.UUID, table: str = DISPATCHES) -> list[CountRow]:
    """A run's counts from its dispatches (a real run: everything it handed over; a dry run: its plan's table),
    summed up by ``counts.dispatch_counts``."""
    result = await session.execute(text(_dispatch_counts(table)), {"run_id": run_id})
    return [CountRow(dim, key, strategy_id, n, step_id) for dim, key, strategy_id, n, step_id in result.all()]
