"""A run's counts: per channel, tone, kind and step, read from its dispatches (a real run: everything it handed
over, also before a crash; a dry run: its plan's table)."""

import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.dunning.strategies.rules import COMMUNICATION_KIND, StepKind, Strategy


def step_counts(
    counts: Mapping[tuple[uuid.UUID, str], int], strategies: Mapping[uuid.UUID, Strategy]
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


def _dispatch_counts(table: str) -> Any:
    return text(
        f"""
SELECT 'channel' AS dim, coalesce(channel, 'task') AS key, NULL::uuid AS strategy_id, count(*) AS n
  FROM {table} WHERE run_id = :run_id GROUP BY 2
UNION ALL
SELECT 'tone', tone::text, NULL, count(*) FROM {table}
  WHERE run_id = :run_id AND channel IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'kind', kind, NULL, count(*) FROM {table} WHERE run_id = :run_id AND channel IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'step', key, strategy_id, count(*) FROM {table}, unnest(step_keys) AS key
  WHERE run_id = :run_id GROUP BY 2, 3
UNION ALL
SELECT 'customers', NULL, NULL, count(DISTINCT customer_id) FROM {table} WHERE run_id = :run_id
UNION ALL
SELECT 'notices', NULL, NULL, count(*) FROM {table}
  WHERE run_id = :run_id AND channel IS NOT NULL AND action IS NOT NULL
"""
    )


async def dispatch_counts(
    conn: AsyncConnection,
    run_id: uuid.UUID,
    strategies: Mapping[uuid.UUID, Strategy],
    table: str = "dunning.dispatches",
) -> dict[str, Any]:
    """A run's counts from its dispatches (a real run: everything it handed over; a dry run: its plan's table)."""
    by: dict[str, dict[Any, int]] = defaultdict(dict)
    for dim, key, strategy_id, n in (await conn.execute(_dispatch_counts(table), {"run_id": run_id})).all():
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
        "by_kind": {COMMUNICATION_KIND[StepKind(kind)].value: n for kind, n in sorted(by["kind"].items())},
    }
