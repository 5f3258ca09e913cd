"""Forecast: the communications the strategies will produce over the next days, per day, step and channel, and
the call steps' tasks to come (issue 18: per day, customer and call step), for capacity planning and for reviewing
a strategy before switching it on.

Assumes nothing changes: no payment, no new invoice, no reply, every communication sent the day it goes out.
One SQL statement over the portfolio: each (invoice, step) not yet had goes out on the first business day
on or after its day (or on the first forecast day, catching up; or once the pause of a customer who replied is
over), unless a later step of the invoice has also come by then (the highest step wins, as in a run).
"""

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.experiments import service as experiments
from dunning_service.insight.repository import ForecastRow, forecast_rows
from dunning_service.runs import selection
from dunning_service.runs.context import TenantContext
from dunning_service.strategies.rules import Step, Strategy


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


CALL_ROW = 2  # ``ForecastRow.by_channel`` of a call task to come
CALLS_LISTED = 200  # call tasks listed per day (``calls`` counts them all)


def _add_call(day: dict[str, Any], row: ForecastRow, steps: dict[uuid.UUID, tuple[Strategy, Step]]) -> None:
    """One call task to come (a customer, a call step, a day): counted, and listed with its invoices."""
    _, step = steps[row.step_id] if row.step_id else (None, None)
    day["calls"] += 1
    day["call_tasks"].append(
        {
            "customer_id": row.customer_id,
            "customer_name": row.customer_name or "",
            "step_key": step.key if step else "",
            "invoices": row.invoices,
        }
    )


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
    compiled = await experiments.steered(session, tenant.tenant_id, strategies, start)  # the variants (issue 19)
    rows: list[ForecastRow] = []
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
        rows = await forecast_rows(session, compiled, params)
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
            "calls": 0,
            "call_tasks": [],
            "invoices": 0,
            "by_channel": {},
            "by_step": [],
        }
        for d in window
    }
    by_step: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        day = per_day[row.day]
        if row.by_channel == CALL_ROW:
            _add_call(day, row, steps)
        elif row.by_channel:
            if row.channel == "call":
                day["by_channel"]["call"] = row.customers
            elif row.channel is None:
                day["tasks"] += row.customers
                day["by_channel"]["task"] = row.customers
            else:
                day["communications"] += row.customers
                day["by_channel"][row.channel] = row.customers
        elif row.step_id is not None:  # a (day, step) row always names its step
            strategy, step = steps[row.step_id]
            day["invoices"] += row.invoices
            by_step[row.day].append(
                {
                    "strategy_id": strategy.id,
                    "strategy": strategy.name,
                    "step_key": step.key,
                    "kind": step.kind,
                    "tone": step.tone,
                    "invoices": row.invoices,
                }
            )
    for d, entries in by_step.items():
        per_day[d]["by_step"] = sorted(entries, key=lambda e: (e["strategy"], e["step_key"]))
    for day in per_day.values():
        day["by_channel"] = dict(sorted(day["by_channel"].items()))
        day["call_tasks"] = sorted(day["call_tasks"], key=lambda c: (c["customer_name"], c["step_key"]))[:CALLS_LISTED]
    out_days = [per_day[d] for d in window]
    return {
        "from": start,
        "to": end,
        "days": out_days,
        "totals": {
            "communications": sum(d["communications"] for d in out_days),
            "tasks": sum(d["tasks"] for d in out_days),
            "calls": sum(d["calls"] for d in out_days),
            "invoices": sum(d["invoices"] for d in out_days),
        },
    }
