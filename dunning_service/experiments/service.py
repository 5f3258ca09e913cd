"""Strategy experiments: create (draft), start (the population dealt set-based), stop (with the variant everyone
follows from then on, or none), results; and what the experiments in force do to a run's, a dry run's, the
forecast's and explain's selection. Each call one transaction, the caller's."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.experiments import repository, results
from dunning_service.experiments.repository import ExperimentRow
from dunning_service.experiments.rules import HeldAssignment, InForce, Status, in_force
from dunning_service.experiments.schemas import ExperimentCreate, ExperimentStop, VariantIn
from dunning_service.runs import selection
from dunning_service.runs.context import load_strategies, load_tenant
from dunning_service.runs.selection import CompiledStrategies
from dunning_service.strategies import repository as strategies
from dunning_service.strategies.repository import StrategyRow
from dunning_service.strategies.rules import Strategy
from shared.internal import InternalClient
from shared.problems import Conflict, NotFound, ValidationProblem


def _unfit(row: StrategyRow | None) -> str | None:
    """Why a strategy cannot be an experiment's scope or variant: gone, or the payment plans' (it follows
    installments, never a customer: ``selection_order`` leaves it out, so no customer could be given it)."""
    if row is None or row.archived:
        return "no such strategy (or it is archived)"
    if row.for_payment_plans:
        return "is the strategy for payment plans: it follows installments, not customers"
    return None


async def _check_strategies(
    session: AsyncSession, tenant_id: uuid.UUID, scope: uuid.UUID, variants: list[VariantIn]
) -> None:
    errors: list[dict[str, str]] = []
    if len(variants) < 2:  # here rather than in the schema: every problem of the body in one answer
        errors.append({"field": "variants", "message": "an experiment compares at least 2 variants"})
    row = await strategies.read(session, tenant_id, scope)
    if (problem := _unfit(row)) is not None:
        errors.append({"field": "scope_strategy_id", "message": problem})
    seen: set[str] = set()
    for i, v in enumerate(variants):
        if v.key in seen:
            errors.append({"field": f"variants[{i}].key", "message": f"{v.key!r} is already a variant's key"})
        seen.add(v.key)
        row = await strategies.read(session, tenant_id, v.strategy_id)
        if (problem := _unfit(row)) is not None:
            errors.append({"field": f"variants[{i}].strategy_id", "message": problem})
    if errors:
        raise ValidationProblem(errors)


async def create(session: AsyncSession, tenant_id: uuid.UUID, data: ExperimentCreate, actor: str) -> ExperimentRow:
    await _check_strategies(session, tenant_id, data.scope_strategy_id, data.variants)
    return await repository.insert_experiment(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "name": data.name,
            "status": Status.DRAFT,
            "scope_strategy_id": data.scope_strategy_id,
            "variants": [v.model_dump(mode="json") for v in data.variants],
            "stratify_by": data.stratify_by,
            "ends_on": data.ends_on,
            "window_days": data.window_days,
            "created_by": actor,
        },
    )


async def _locked(session: AsyncSession, tenant_id: uuid.UUID, experiment_id: uuid.UUID) -> ExperimentRow:
    row = await repository.read(session, tenant_id, experiment_id, for_update=True)
    if row is None:
        raise NotFound("Experiment not found")
    return row


async def start(session: AsyncSession, tenant_id: uuid.UUID, experiment_id: uuid.UUID) -> ExperimentRow:
    """Draft -> running on the tenant's today; the population (the customers the normal selection gives the scope
    strategy today) is dealt to the variants at once; later customers of it at each run."""
    row = await _locked(session, tenant_id, experiment_id)
    if row.status != Status.DRAFT:
        raise Conflict(f"The experiment is {row.status}: only a draft starts")
    variants = [VariantIn.model_validate(v) for v in row.variants]
    await _check_strategies(session, tenant_id, row.scope_strategy_id, variants)
    other = await repository.running_on_scope(session, tenant_id, row.scope_strategy_id)
    if other is not None:
        raise ValidationProblem.field(
            "scope_strategy_id", f"experiment {other.name!r} is already running on this strategy"
        )
    today = (await load_tenant(session, tenant_id)).today()
    if row.ends_on is not None and row.ends_on < today:
        raise ValidationProblem.field("ends_on", f"the hold period ended before today ({today})")
    row = await repository.set_experiment(session, tenant_id, experiment_id, status=Status.RUNNING, started_on=today)
    compiled = selection.compile_strategies(await load_strategies(session, tenant_id))
    await repository.assign_newcomers(session, compiled, row, today, _base(tenant_id, today, compiled))
    return row


async def stop(
    session: AsyncSession, tenant_id: uuid.UUID, experiment_id: uuid.UUID, data: ExperimentStop
) -> ExperimentRow:
    """Running -> stopped. With a chosen variant, the assignments stay as they were (the results still compare the
    variants) and every assigned customer follows the chosen variant's strategy, as does every customer the normal
    selection gives the scope strategy (``rules.in_force``), while the experiment stays stopped with that choice."""
    row = await _locked(session, tenant_id, experiment_id)
    if row.status != Status.RUNNING:
        raise Conflict(f"The experiment is {row.status}: only a running experiment stops")
    if data.chosen_variant is not None and data.chosen_variant not in {v.key for v in row.variant_list}:
        raise ValidationProblem.field("chosen_variant", "is not one of the experiment's variants")
    today = (await load_tenant(session, tenant_id)).today()
    return await repository.set_experiment(
        session, tenant_id, experiment_id, status=Status.STOPPED, stopped_on=today, chosen_variant=data.chosen_variant
    )


def control_of(row: ExperimentRow) -> str | None:
    """The first variant running the scope strategy, else the first variant."""
    variants = row.variant_list
    return next((v.key for v in variants if v.strategy_id == row.scope_strategy_id), variants[0].key)


async def results_of(
    session: AsyncSession, client: InternalClient, tenant_id: uuid.UUID, experiment_id: uuid.UUID
) -> dict[str, Any]:
    row = await repository.read(session, tenant_id, experiment_id)
    if row is None:
        raise NotFound("Experiment not found")
    if row.started_on is None:
        raise Conflict("The experiment has not started: it has no results")
    today = (await load_tenant(session, tenant_id)).today()
    end = min(d for d in (today, row.stopped_on, row.ends_on) if d is not None)
    assigned = await repository.held_in(session, tenant_id, experiment_id)
    facts = await results.fetch_facts(client, tenant_id, list(assigned), row.started_on, end, row.window_days)
    control = control_of(row)
    return {
        "experiment_id": row.id,
        "start": row.started_on,
        "end": end,
        "window_days": row.window_days,
        "control": control,
        "variants": results.aggregate(row.variant_list, control, assigned, facts),
    }


def _base(tenant_id: uuid.UUID, as_of: date, compiled: CompiledStrategies) -> dict[str, Any]:
    return {**compiled.params, "tenant_id": tenant_id, "as_of": as_of}


async def steered(
    session: AsyncSession, tenant_id: uuid.UUID, strategies: list[Strategy], as_of: date, assign: bool = False
) -> CompiledStrategies:
    """The strategies compiled with the experiments in force. ``assign`` (a real run): the running experiments'
    newcomers are dealt first, so they get their variant today. A dry run and the forecast assign nobody: their
    newcomers show the scope strategy until a run or a start deals them."""
    rows = await repository.steering(session, tenant_id)
    compiled = selection.compile_strategies(strategies, in_force([r.state() for r in rows]))
    if assign:
        for row in rows:
            if row.status == Status.RUNNING:
                await repository.assign_newcomers(session, compiled, row, as_of, _base(tenant_id, as_of, compiled))
    return compiled


async def steering_of(
    session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID
) -> tuple[InForce, list[HeldAssignment]]:
    """What explain needs to steer one customer's choice (``rules.choose``)."""
    rows = await repository.steering(session, tenant_id)
    return in_force([r.state() for r in rows]), await repository.held_by(session, tenant_id, customer_id)
