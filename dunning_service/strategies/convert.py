"""Strategy rows (JSON steps and rules) to the domain values the rules work on."""

from decimal import Decimal
from typing import Any

from dunning_service.strategies.rules import ActionKind, Match, Step, StepKind, Strategy, step_id
from shared.contracts.common import Channel


def steps_from_json(strategy_id: Any, steps: list[dict[str, Any]]) -> tuple[Step, ...]:
    return tuple(
        Step(
            id=step_id(strategy_id, s["key"]),
            key=s["key"],
            kind=StepKind(s["kind"]),
            days=int(s["days"]),
            tone=int(s["tone"]),
            channels=tuple(Channel(c) for c in s["channels"]),
            action=ActionKind(s["action"]) if s.get("action") else None,
            pin_tone=bool(s.get("pin_tone", False)),
            script=s.get("script"),
        )
        for s in steps
    )


def steps_to_json(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    return [
        {
            "key": s.key,
            "kind": s.kind.value,
            "days": s.days,
            "tone": s.tone,
            "channels": [c.value for c in s.channels],
            "action": s.action.value if s.action else None,
            "pin_tone": s.pin_tone,
            "script": s.script,
        }
        for s in steps
    ]


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


def match_from_json(match: dict[str, Any]) -> Match:
    amount = match.get("amount_overdue") or {}
    return Match(
        vip=match.get("vip"),
        segments=_tuple(match.get("segments")),
        risk_levels=_tuple(match.get("risk_levels")),
        computed_risk_levels=_tuple(match.get("computed_risk_levels")),
        tags_any=_tuple(match.get("tags_any")),
        tags_all=_tuple(match.get("tags_all")),
        countries=_tuple(match.get("countries")),
        amount_currency=amount.get("currency"),
        amount_min=Decimal(str(amount["min"])) if amount.get("min") is not None else None,
        amount_max=Decimal(str(amount["max"])) if amount.get("max") is not None else None,
    )


def to_domain(row: Any) -> Strategy:
    """A strategy row (ORM object or mapping) as the rules see it."""

    def get(name: str) -> Any:
        return row.get(name) if isinstance(row, dict) else getattr(row, name)

    return Strategy(
        id=get("id"),
        name=get("name"),
        priority=get("priority"),
        version=get("version"),
        steps=steps_from_json(get("id"), get("steps")),
        match=match_from_json(get("match") or {}),
        is_default=get("is_default"),
        manual_only=get("manual_only"),
        active=get("active"),
        for_payment_plans=bool(get("for_payment_plans")),
    )
