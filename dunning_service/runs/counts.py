"""A run's counts: per channel, tone, kind and step, summed from its dispatches' count rows (a real run:
everything it handed over, also before a crash; a dry run: its plan's table). Pure: the rows come from
``plan_repository.count_rows``."""

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from dunning_service.runs.plan_repository import CountRow
from dunning_service.strategies.rules import COMMUNICATION_KIND, StepKind, Strategy


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


def dispatch_counts(rows: Sequence[CountRow], strategies: Mapping[uuid.UUID, Strategy]) -> dict[str, Any]:
    """A run's counts as it stores them, from its dispatches' (``plan_repository.count_rows``)."""
    by: dict[str, dict[Any, int]] = defaultdict(dict)
    owner = {step.id: s.id for s in strategies.values() for step in s.steps}  # a step's own strategy (issue 19)
    for row in rows:
        if row.dim == "step":
            key = (owner.get(row.step_id, row.strategy_id) if row.step_id else row.strategy_id, row.key)
            by["step"][key] = by["step"].get(key, 0) + row.n
        else:
            by[row.dim][row.key] = row.n
    steps = step_counts(by["step"], strategies)
    channels = by["channel"]
    return {
        "customers": by["customers"].get(None, 0),
        "invoices": sum(by["step"].values()),
        "communications": sum(n for c, n in channels.items() if c not in ("task", "call")),
        "tasks": channels.get("task", 0),
        "calls": channels.get("call", 0),
        "action_notices": by["notices"].get(None, 0),
        "by_step": steps,
        "by_channel": dict(sorted(channels.items())),
        "by_tone": dict(sorted(by["tone"].items())),
        "by_kind": {COMMUNICATION_KIND[StepKind(kind)].value: n for kind, n in sorted(by["kind"].items())},
    }
