"""Fee rules: checked as a request gives them (every error naming ``fees[i].field``) and turned from their stored
JSON into the ``rules.FeeRule`` the assessment reads."""

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from dunning_service.fees.rules import FeeRule
from dunning_service.fees.schemas import FeeRuleIn
from shared.contracts.common import ChargeKind
from shared.money import check_precision

FEE_STEP_KINDS = frozenset({"overdue", "call", "action"})


def _money_errors(where: str, amounts: Mapping[str, Decimal], positive: bool) -> list[dict[str, str]]:
    errors = []
    for currency, amount in amounts.items():
        try:
            check_precision(amount, currency)
        except ValueError as exc:
            errors.append({"field": f"{where}.{currency}", "message": str(exc)})
            continue
        if amount < 0 or (positive and amount == 0):
            errors.append({"field": f"{where}.{currency}", "message": "must be positive" if positive else ">= 0"})
    return errors


def check_fees(
    fees: Sequence[FeeRuleIn],
    steps: Mapping[str, tuple[str, int]] | None,
    legal_max_annual_rate: Decimal | None,
    name: str = "fees",
) -> list[dict[str, str]]:
    """Every problem of ``fees`` (``steps``: the strategy's steps by key, as (kind, days); None for the tenant's
    defaults, which name no step), each naming ``<name>[i].<field>``."""
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, rule in enumerate(fees):
        at = f"{name}[{i}]"

        def err(field: str, message: str) -> None:
            errors.append({"field": f"{at}.{field}", "message": message})  # noqa: B023 (used at once)

        if rule.key in seen:
            err("key", "two rules have this key")
        seen.add(rule.key)
        needs = {ChargeKind.FIXED: "amounts", ChargeKind.PERCENTAGE: "percent", ChargeKind.INTEREST: "annual_rate"}
        for kind, field in needs.items():
            given = bool(getattr(rule, field))
            if kind == rule.kind and not given:
                err(field, f"a {kind.value} rule needs it")
            elif kind != rule.kind and given:
                err(field, f"only a {kind.value} rule has it")
        if rule.at_step is not None:
            if rule.kind == ChargeKind.INTEREST:
                err("at_step", "interest runs for the days overdue, not at a step")
            elif steps is None:
                err("at_step", "the tenant's default rules name no step (a strategy's rules do)")
            elif rule.at_step not in steps:
                err("at_step", f"not a step of the strategy: one of {', '.join(sorted(steps)) or 'none'}")
            elif steps[rule.at_step][0] not in FEE_STEP_KINDS:
                err("at_step", "a fee comes with an overdue, call or action step")
        rate, legal = rule.annual_rate, legal_max_annual_rate
        if rule.kind == ChargeKind.INTEREST and rate is not None and legal is not None and rate > legal:
            err("annual_rate", f"above the tenant's legal maximum annual rate ({legal_max_annual_rate})")
        errors += _money_errors(f"{at}.amounts", rule.amounts, positive=True)
        errors += _money_errors(f"{at}.minimum", rule.minimum, positive=False)
        if rule.cap is not None:
            errors += _money_errors(f"{at}.cap.amounts", rule.cap.amounts, positive=True)
    return errors


def fees_to_json(fees: Sequence[FeeRuleIn]) -> list[dict[str, Any]]:
    return [f.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for f in fees]


def _amounts(values: Mapping[str, Any] | None) -> dict[str, Decimal]:
    return {k.upper(): Decimal(str(v)) for k, v in (values or {}).items()}


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def fee_rules(
    fees: Sequence[Mapping[str, Any]],
    step_days: Mapping[str, int] | None = None,
    strategy_id: uuid.UUID | None = None,
) -> list[FeeRule]:
    """Stored rules (``fees_to_json``) as the assessment reads them; ``step_days``: the strategy's steps' days."""
    out = []
    for f in fees:
        cap = f.get("cap") or {}
        at_step = f.get("at_step")
        out.append(
            FeeRule(
                key=f["key"],
                kind=ChargeKind(f["kind"]),
                name=f.get("name") or "",
                at_step=at_step,
                at_days=(step_days or {}).get(at_step) if at_step else None,
                amounts=_amounts(f.get("amounts")),
                percent=_decimal(f.get("percent")),
                annual_rate=_decimal(f.get("annual_rate")),
                grace_days=int(f.get("grace_days") or 0),
                minimum=_amounts(f.get("minimum")),
                cap_amounts=_amounts(cap.get("amounts")),
                cap_percent=_decimal(cap.get("percent")),
                strategy_id=strategy_id,
            )
        )
    return out


def rule_json(rule: FeeRule) -> dict[str, Any]:
    """A rule as the API shows it (``FeeRuleIn``), from the assessment's form."""
    cap: dict[str, Any] = {}
    if rule.cap_amounts:
        cap["amounts"] = dict(rule.cap_amounts)
    if rule.cap_percent is not None:
        cap["percent"] = rule.cap_percent
    out: dict[str, Any] = {"key": rule.key, "kind": rule.kind, "grace_days": rule.grace_days}
    optional = {
        "name": rule.name or None,
        "at_step": rule.at_step,
        "amounts": dict(rule.amounts) or None,
        "percent": rule.percent,
        "annual_rate": rule.annual_rate,
        "minimum": dict(rule.minimum) or None,
        "cap": cap or None,
    }
    return out | {k: v for k, v in optional.items() if v is not None}
