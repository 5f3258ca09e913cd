"""Strategies: create, edit (every edit a new version with stable step keys), archive."""

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.fees.convert import check_fees, fees_to_json
from dunning_service.fees.schemas import FeeRuleIn
from dunning_service.models import Strategy, StrategyVersion
from dunning_service.strategies import convert, repository
from dunning_service.strategies.rules import StepKind, StepSpec, assign_keys, validate_steps
from dunning_service.strategies.schemas import MatchIn, StepIn, StrategyCreate, StrategyUpdate
from dunning_service.strategies.scripts import ScriptChecks
from dunning_service.tenant_settings.repository import tenant_row
from shared.problems import Conflict, NotFound, ValidationProblem


def _specs(steps: list[StepIn]) -> list[StepSpec]:
    return [
        StepSpec(
            kind=s.kind,
            channels=tuple(s.channels),
            days=s.days,
            tone=s.tone,
            action=s.action,
            key=s.key,
            pin_tone=s.pin_tone,
            script=s.script,
        )
        for s in steps
    ]


async def _check(
    checks: ScriptChecks,
    tenant_id: uuid.UUID,
    is_default: bool,
    manual_only: bool,
    match: MatchIn,
    steps: list[StepIn],
    for_payment_plans: bool = False,
) -> None:
    errors = validate_steps(_specs(steps), manual_only)
    if is_default and match.model_dump(exclude_none=True):
        errors.append({"field": "match", "message": "the default strategy applies when no other matches: no rules"})
    errors += _plans_problems(for_payment_plans, is_default, match)
    if not errors:  # messaging is asked only about a strategy otherwise fine
        errors = await _script_errors(checks, tenant_id, steps)
    if errors:
        raise ValidationProblem(errors)


def _plans_problems(for_payment_plans: bool, is_default: bool, match: MatchIn) -> list[dict[str, str]]:
    """Issue 19: the payment plans' strategy follows installments, never a customer: no rules, not the default."""
    if not for_payment_plans:
        return []
    problems = []
    if is_default:
        problems.append({"field": "for_payment_plans", "message": "the default strategy is a customer's: not both"})
    if match.model_dump(exclude_none=True):
        problems.append(
            {"field": "match", "message": "the payment plans' strategy follows every installment: no customer rules"}
        )
    return problems


async def _script_errors(checks: ScriptChecks, tenant_id: uuid.UUID, steps: list[StepIn]) -> list[dict[str, str]]:
    """The call steps' scripts as messaging checks them (syntax, unknown tags), each naming ``steps[i].script``."""
    scripts = [(i, s.script) for i, s in enumerate(steps) if s.kind == StepKind.CALL and s.script]
    answers = await checks.problems(tenant_id, [script for _, script in scripts])
    return [
        {"field": f"steps[{i}].script", "message": "; ".join(problems)}
        for (i, _), problems in zip(scripts, answers, strict=True)
        if problems
    ]


async def _checked_fees(
    session: AsyncSession, tenant_id: uuid.UUID, fees: list[FeeRuleIn] | None, steps: list[dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The strategy's fee rules to store (issue 19), checked against its steps (keys as assigned) and the tenant's
    legal maximum; a 422 naming ``fees[i].field``."""
    if fees is None:
        return None
    by_key = {s["key"]: (s["kind"], int(s.get("days") or 0)) for s in steps}
    tenant = await tenant_row(session, tenant_id)
    errors = check_fees(fees, by_key, tenant.legal_max_annual_rate if tenant else None)
    if errors:
        raise ValidationProblem(errors)
    return fees_to_json(fees)


async def _guard_unique(session: AsyncSession, tenant_id: uuid.UUID, strategy: Strategy) -> None:
    if strategy.is_default:
        current = await repository.find_default(session, tenant_id)
        if current is not None and current.id != strategy.id:
            raise Conflict(f"Strategy {current.name!r} is already the default; unset it first")
    if strategy.for_payment_plans and strategy.active:
        plans = await repository.find_for_plans(session, tenant_id)
        if plans is not None and plans.id != strategy.id:
            raise Conflict(f"Strategy {plans.name!r} already follows payment plans; unset or deactivate it first")
    same_name = await repository.find_by_name(session, tenant_id, strategy.name)
    if same_name is not None and same_name.id != strategy.id:
        raise Conflict(f"A strategy named {strategy.name!r} already exists")


def snapshot(strategy: Strategy) -> dict[str, Any]:
    return {
        "name": strategy.name,
        "description": strategy.description,
        "priority": strategy.priority,
        "is_default": strategy.is_default,
        "manual_only": strategy.manual_only,
        "for_payment_plans": strategy.for_payment_plans,
        "active": strategy.active,
        "match": strategy.match,
        "steps": strategy.steps,
        "fees": strategy.fees,
    }


async def _flush_version(session: AsyncSession, strategy: Strategy, actor: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            "Another strategy has this name, or the tenant already has a default strategy or one for payment plans"
        ) from None
    session.add(
        StrategyVersion(
            strategy_id=strategy.id,
            version=strategy.version,
            tenant_id=strategy.tenant_id,
            snapshot=snapshot(strategy),
            changed_by=actor,
        )
    )
    await session.flush()
    await session.refresh(strategy)


async def create_strategy(
    session: AsyncSession, tenant_id: uuid.UUID, data: StrategyCreate, actor: str, checks: ScriptChecks
) -> Strategy:
    await _check(checks, tenant_id, data.is_default, data.manual_only, data.match, data.steps, data.for_payment_plans)
    strategy_id = uuid.uuid4()
    strategy = Strategy(
        id=strategy_id,
        tenant_id=tenant_id,
        name=data.name,
        description=data.description,
        priority=data.priority,
        is_default=data.is_default,
        manual_only=data.manual_only,
        for_payment_plans=data.for_payment_plans,
        active=data.active,
        match=data.match.model_dump(mode="json", exclude_none=True),
        steps=convert.steps_to_json(assign_keys(strategy_id, _specs(data.steps))),
        version=1,
        updated_by=actor,
    )
    strategy.fees = await _checked_fees(session, tenant_id, data.fees, strategy.steps)
    await _guard_unique(session, tenant_id, strategy)
    session.add(strategy)
    await _flush_version(session, strategy, actor)
    return strategy


async def update_strategy(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    strategy_id: uuid.UUID,
    data: StrategyUpdate,
    actor: str,
    checks: ScriptChecks,
) -> Strategy:
    strategy = await repository.get_for_update(session, tenant_id, strategy_id)
    if strategy is None:
        raise NotFound("Strategy not found")
    fields = data.model_dump(exclude_unset=True, exclude={"match", "steps", "fees"})
    for name, value in fields.items():
        if value is None and name != "description":
            raise ValidationProblem.field(name, "cannot be null")
        setattr(strategy, name, value)
    match = data.match if data.match is not None else MatchIn.model_validate(strategy.match)
    previous = convert.steps_from_json(strategy.id, strategy.steps)
    if data.steps is not None:
        steps_in = data.steps
    else:  # re-validate the current steps against the new flags, with their keys
        steps_in = [
            StepIn.model_validate({**s, "days": None if s["kind"] == "new_invoice" else s["days"]})
            for s in strategy.steps
        ]
    flags = (strategy.is_default, strategy.manual_only)
    await _check(checks, tenant_id, *flags, match, steps_in, strategy.for_payment_plans)
    strategy.match = match.model_dump(mode="json", exclude_none=True)
    if data.steps is not None:
        strategy.steps = convert.steps_to_json(assign_keys(strategy.id, _specs(data.steps), previous))
    if "fees" in data.model_fields_set:
        strategy.fees = await _checked_fees(session, tenant_id, data.fees, strategy.steps)
    elif strategy.fees is not None:  # the current fees still name steps of the new version
        current = [FeeRuleIn.model_validate(f) for f in strategy.fees]
        strategy.fees = await _checked_fees(session, tenant_id, current, strategy.steps)
    strategy.version += 1
    strategy.updated_by = actor
    await _guard_unique(session, tenant_id, strategy)
    await _flush_version(session, strategy, actor)
    return strategy


async def archive_strategy(session: AsyncSession, tenant_id: uuid.UUID, strategy_id: uuid.UUID, actor: str) -> None:
    """Archived strategies stop applying; their history (versions, runs, steps sent) stays."""
    strategy = await repository.get_for_update(session, tenant_id, strategy_id)
    if strategy is None:
        raise NotFound("Strategy not found")
    strategy.archived = True
    strategy.active = False
    strategy.is_default = False
    strategy.updated_by = actor
    await session.flush()
