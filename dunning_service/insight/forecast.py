"""Forecast: the communications the strategies will produce over the next days, per day, step and channel,
for capacity planning and for reviewing a strategy before switching it on.

Assumes nothing changes: no payment, no new invoice, no reply, every communication sent the day it goes out.
One SQL statement over the portfolio: each (invoice, step) not yet had goes out on the first business day
on or after its day (or on the first forecast day, catching up; or once the pause of a customer who replied is
over), unless a later step of the invoice has also come by then (the highest step wins, as in a run).
"""

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.runs import selection
from dunning_service.runs.context import TenantContext
from dunning_service.strategies.rules import Step, Strategy


def _forecast_query(compiled: selection.CompiledStrategies) -> str:
    return f"""{selection.with_clause(compiled, ", c.usable_channels AS usable, c.replied_on", steps=True)},
fsteps AS (
  SELECT * FROM unnest(CAST(:f_step AS uuid[]), CAST(:f_next_off AS int[]), CAST(:f_ch1 AS text[]),
                       CAST(:f_ch2 AS text[]), CAST(:f_ch3 AS text[])) AS f(step_id, next_off, ch1, ch2, ch3)
),
cal AS (SELECT * FROM unnest(CAST(:cal_day AS date[]), CAST(:cal_next AS date[])) AS c(day, next_bd)),
cand AS (
  SELECT i.id, i.customer_id, i.issue_date, i.due_date, i.steps_done, i.pending_step_id,
         cu.k, cu.usable, cu.replied_on, {compiled.ids_sql} AS ids
  FROM dunning.invoices i
  JOIN cust cu ON cu.id = i.customer_id
  LEFT JOIN tol ON tol.currency = i.currency
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
         CASE WHEN e.ch1 = ANY(e.usable) THEN e.ch1 WHEN e.ch2 = ANY(e.usable) THEN e.ch2
              WHEN e.ch3 = ANY(e.usable) THEN e.ch3 END AS channel
  FROM expanded e JOIN cal ON cal.day = e.eff_from
  WHERE cal.next_bd IS NOT NULL
    AND (e.kind NOT IN ('new_invoice', 'pre_due') OR cal.next_bd <= e.due_date)
    AND (e.next_sched IS NULL OR e.next_sched > cal.next_bd)
    AND NOT (e.steps_done && e.ids[e.idx + 1:])
    AND NOT (e.pending_step_id IS NOT NULL AND e.pending_step_id = ANY(e.ids[e.idx + 1:]))
)
SELECT day, step_id, channel, GROUPING(step_id) AS by_channel, count(*) AS invoices,
       count(DISTINCT customer_id) AS customers
FROM sent
GROUP BY GROUPING SETS ((day, step_id), (day, channel))"""


def _forecast_params(compiled: selection.CompiledStrategies, strategies: list[Strategy]) -> dict[str, Any]:
    steps, next_offs, ch1, ch2, ch3 = [], [], [], [], []
    for strategy in compiled.by_id.values():
        if strategy.manual_only:
            continue
        for idx, step in enumerate(strategy.steps):
            following = strategy.steps[idx + 1] if idx + 1 < len(strategy.steps) else None
            steps.append(step.id)
            next_offs.append(following.offset if following else None)
            channels = [c.value for c in step.channels] + [None, None, None]
            ch1.append(channels[0])
            ch2.append(channels[1])
            ch3.append(channels[2])
    return {"f_step": steps, "f_next_off": next_offs, "f_ch1": ch1, "f_ch2": ch2, "f_ch3": ch3}


async def forecast(
    session: AsyncSession,
    tenant: TenantContext,
    strategies: list[Strategy],
    start: date,
    days: int,
    pending_cutoff: Any,
) -> dict[str, Any]:
    end = start + timedelta(days=days - 1)
    window = [start + timedelta(days=n) for n in range(days)]
    calendar = tenant.calendar
    next_bd = [calendar.next_business_day(d) for d in window]
    compiled = selection.compile_strategies(strategies)
    rows: list[Any] = []
    if compiled.by_id and any(not s.manual_only for s in compiled.by_id.values()):
        params = {
            **selection.base_params(
                tenant.tenant_id, start, compiled, tenant.tolerances, pending_cutoff, tenant.reply_pause_days
            ),
            **_forecast_params(compiled, strategies),
            "start": start,
            "end": end,
            "cal_day": window,
            "cal_next": [d if d <= end else None for d in next_bd],
        }
        rows = list((await session.execute(text(_forecast_query(compiled)), params)).mappings())
    steps: dict[uuid.UUID, tuple[Strategy, Step]] = {
        step.id: (s, step) for s in compiled.by_id.values() for step in s.steps
    }
    per_day: dict[date, dict[str, Any]] = {
        d: {
            "date": d,
            "business_day": calendar.is_business_day(d),
            "closed_reason": calendar.closed_reason(d),
            "communications": 0,
            "tasks": 0,
            "invoices": 0,
            "by_channel": {},
            "by_step": [],
        }
        for d in window
    }
    by_step: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        day = per_day[row["day"]]
        if row["by_channel"]:
            if row["channel"] is None:
                day["tasks"] += row["customers"]
                day["by_channel"]["task"] = row["customers"]
            else:
                day["communications"] += row["customers"]
                day["by_channel"][row["channel"]] = row["customers"]
        else:
            strategy, step = steps[row["step_id"]]
            day["invoices"] += row["invoices"]
            by_step[row["day"]].append(
                {
                    "strategy_id": strategy.id,
                    "strategy": strategy.name,
                    "step_key": step.key,
                    "kind": step.kind,
                    "tone": step.tone,
                    "invoices": row["invoices"],
                }
            )
    for d, entries in by_step.items():
        per_day[d]["by_step"] = sorted(entries, key=lambda e: (e["strategy"], e["step_key"]))
    for day in per_day.values():
        day["by_channel"] = dict(sorted(day["by_channel"].items()))
    out_days = [per_day[d] for d in window]
    return {
        "from": start,
        "to": end,
        "days": out_days,
        "totals": {
            "communications": sum(d["communications"] for d in out_days),
            "tasks": sum(d["tasks"] for d in out_days),
            "invoices": sum(d["invoices"] for d in out_days),
        },
    }
