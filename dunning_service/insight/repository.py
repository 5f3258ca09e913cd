"""Insight queries: the forecast's one statement over the portfolio (SQL built from the compiled strategies)."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.runs import pending, selection
from shared.db import row_as


@dataclass(frozen=True, slots=True)
class ForecastRow:
    """One grouping-set row: per (day, step) when ``by_channel`` is 0, per (day, channel) when 1; per (day, call
    step, customer) when 2: one call task to come, ``customer_id`` and ``customer_name`` set.

    ``channel`` is None on a by-channel row for steps no usable channel can carry (they become tasks), ``call`` for
    call steps (issue 18: a task with a script, no channel).
    """

    day: date
    step_id: uuid.UUID | None
    channel: str | None
    by_channel: int
    invoices: int
    customers: int
    customer_id: uuid.UUID | None = None
    customer_name: str | None = None


def forecast_query(compiled: selection.CompiledStrategies) -> str:
    return f"""{selection.with_clause(compiled, ", c.usable_channels AS usable, c.replied_on", steps=True)},
fsteps AS (
  SELECT * FROM unnest(CAST(:f_step AS uuid[]), CAST(:f_next_off AS int[]), CAST(:f_ch1 AS text[]),
                       CAST(:f_ch2 AS text[]), CAST(:f_ch3 AS text[])) AS f(step_id, next_off, ch1, ch2, ch3)
),
cal AS (SELECT * FROM unnest(CAST(:cal_day AS date[]), CAST(:cal_next AS date[])) AS c(day, next_bd)),
cand AS (
  SELECT i.id, i.customer_id, i.issue_date, i.due_date, i.steps_done, p.step_id AS pending_step_id,
         {compiled.k_sql} AS k, cu.usable, cu.replied_on, {compiled.per_k("ids")} AS ids
  FROM dunning.invoices i
  JOIN cust cu ON cu.id = i.customer_id
  LEFT JOIN tol ON tol.currency = i.currency
  {pending.JOIN}
  WHERE {selection.CANDIDATE_FILTER}
),
expanded AS (
  SELECT cand.customer_id, cand.usable, cand.due_date, cand.steps_done, cand.pending_step_id, cand.ids,
         s.step_id, s.idx, s.kind, f.ch1, f.ch2, f.ch3,
         greatest(CASE WHEN s.kind = 'new_invoice' THEN cand.issue_date ELSE cand.due_date + s.off END,
                  cand.issue_date, CAST(:start AS date),
                  cand.replied_on + CAST(:reply_pause_days AS int)) AS eff_from,
         cand.due_date + f.next_off AS next_sched
  FROM cand
  JOIN steps s ON s.k = cand.k
  JOIN fsteps f ON f.step_id = s.step_id
  WHERE cand.ids IS NOT NULL
    AND CASE WHEN s.kind = 'new_invoice' THEN cand.issue_date ELSE cand.due_date + s.off END <= CAST(:end AS date)
),
sent AS (
  SELECT e.customer_id, e.step_id, cal.next_bd AS day,
         CASE WHEN e.kind = 'call' THEN 'call'
              WHEN e.ch1 = ANY(e.usable) THEN e.ch1 WHEN e.ch2 = ANY(e.usable) THEN e.ch2
              WHEN e.ch3 = ANY(e.usable) THEN e.ch3 END AS channel
  FROM expanded e JOIN cal ON cal.day = e.eff_from
  WHERE cal.next_bd IS NOT NULL
    AND (e.kind NOT IN ('new_invoice', 'pre_due') OR cal.next_bd <= e.due_date)
    AND (e.next_sched IS NULL OR e.next_sched > cal.next_bd)
    AND NOT (e.steps_done && e.ids[e.idx + 1:])
    AND NOT (e.pending_step_id IS NOT NULL AND e.pending_step_id = ANY(e.ids[e.idx + 1:]))
)
SELECT day, step_id, channel, GROUPING(step_id) AS by_channel, count(*) AS invoices,
       count(DISTINCT customer_id) AS customers, NULL::uuid AS customer_id, NULL::text AS customer_name
FROM sent
GROUP BY GROUPING SETS ((day, step_id), (day, channel))
UNION ALL  -- the call tasks to come: one per day, call step and customer (as a run groups them)
SELECT s.day, s.step_id, s.channel, 2, count(*), 1, s.customer_id, min(c.name)
FROM sent s JOIN dunning.customers c ON c.tenant_id = :tenant_id AND c.id = s.customer_id
WHERE s.channel = 'call'
GROUP BY s.day, s.step_id, s.channel, s.customer_id"""


async def forecast_rows(
    session: AsyncSession, compiled: selection.CompiledStrategies, params: dict[str, Any]
) -> list[ForecastRow]:
    """Run the forecast statement; ``params`` are the selection's base parameters plus the forecast's own."""
    result = await session.execute(text(forecast_query(compiled)), params)
    return [row_as(ForecastRow, row) for row in result.mappings()]
