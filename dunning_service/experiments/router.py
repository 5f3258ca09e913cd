import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status

from dunning_service.experiments import repository, service
from dunning_service.experiments.auth import ExperimentRead, ExperimentWrite
from dunning_service.experiments.repository import ExperimentRow
from dunning_service.experiments.rules import Status
from dunning_service.experiments.schemas import ExperimentCreate, ExperimentOut, ExperimentStop, ResultsOut
from shared.db import SessionDep
from shared.internal import InternalClient
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(
    prefix="/v1/strategy-experiments", tags=["strategy-experiments"], responses=problem_responses(401, 403, 422)
)


async def internal_client(request: Request) -> InternalClient:
    return InternalClient(request.app.state.http, request.app.state.settings)


ClientDep = Annotated[InternalClient, Depends(internal_client)]


async def _out(session: SessionDep, row: ExperimentRow) -> dict[str, Any]:
    return (await _shown(session, [row]))[0]


async def _shown(session: SessionDep, rows: list[ExperimentRow]) -> list[dict[str, Any]]:
    """Experiments as the API shows them, with their customers per variant and stratum."""
    counts = await repository.counts(session, rows[0].tenant_id, [r.id for r in rows]) if rows else {}
    return [
        {
            **{name: getattr(row, name) for name in ExperimentOut.model_fields if hasattr(row, name)},
            "assignments": [_count(c) for c in counts[row.id]],
        }
        for row in rows
    ]


def _count(c: repository.CountRow) -> dict[str, Any]:
    return {"variant_key": c.variant_key, "stratum": c.stratum, "customers": c.customers}


@router.post("", response_model=ExperimentOut, status_code=status.HTTP_201_CREATED)
async def create_experiment(identity: ExperimentWrite, data: ExperimentCreate, session: SessionDep) -> dict[str, Any]:
    """A draft: nobody is assigned until it starts. 422 names the field: `variants[1].strategy_id` (not a live
    strategy), `variants[2].key` (repeated)."""
    return await _out(session, await service.create(session, identity.tenant_id, data, identity.actor))


@router.get("", response_model=Page[ExperimentOut])
async def list_experiments(
    identity: ExperimentRead, session: SessionDep, page: PageDep, status: Status | None = None
) -> dict[str, Any]:
    """Oldest first."""
    rows = await repository.list_experiments(session, identity.tenant_id, page.limit, page.cursor, status)
    return make_page(await _shown(session, rows), page.limit, key=lambda r: [r["created_at"], r["id"]])


@router.get("/{experiment_id}", response_model=ExperimentOut, responses=problem_responses(404))
async def get_experiment(identity: ExperimentRead, experiment_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    row = await repository.read(session, identity.tenant_id, experiment_id)
    if row is None:
        raise NotFound("Experiment not found")
    return await _out(session, row)


@router.post("/{experiment_id}/start", response_model=ExperimentOut, responses=problem_responses(404, 409))
async def start_experiment(identity: ExperimentWrite, experiment_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    """Start on the tenant's today: the customers the normal selection gives the scope strategy are dealt to the
    variants (stable, random by a hash of the experiment and customer, balanced per stratum by weight); later
    customers of the population are dealt at each run by the same rule. 422 `scope_strategy_id` when another
    experiment runs on the same strategy."""
    return await _out(session, await service.start(session, identity.tenant_id, experiment_id))


@router.post("/{experiment_id}/stop", response_model=ExperimentOut, responses=problem_responses(404, 409))
async def stop_experiment(
    identity: ExperimentWrite, experiment_id: uuid.UUID, data: ExperimentStop, session: SessionDep
) -> dict[str, Any]:
    """Stop. With `chosen_variant`, everyone assigned follows that variant's strategy from now on, and so does every
    customer the normal selection gives the scope strategy (newcomers included) while the experiment stays stopped
    with that choice; without it, everyone returns to the normal selection."""
    return await _out(session, await service.stop(session, identity.tenant_id, experiment_id, data))


@router.get("/{experiment_id}/results", response_model=ResultsOut, responses=problem_responses(404, 409, 503))
async def experiment_results(
    identity: ExperimentRead, experiment_id: uuid.UUID, session: SessionDep, client: ClientDep
) -> dict[str, Any]:
    """Each variant against the control over [start, end]: promise rate and paid-within-N rate (Wilson 95%), days to
    pay and amount collected per currency (normal 95%), and the difference to the control with its 95% interval.
    The facts come from receivables (503 when it does not answer)."""
    return await service.results_of(session, client, identity.tenant_id, experiment_id)
