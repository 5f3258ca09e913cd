import uuid
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response, status

from dunning_service.runs import dry_runs, lifecycle, repository, service
from dunning_service.runs.auth import RunRead, RunStart
from dunning_service.runs.jobs import enqueue_dry_run, enqueue_run
from dunning_service.runs.schemas import DispatchOut, RunCreate, RunOut, RunWithPlan, run_out, run_with_plan_out
from shared.db import EngineDep, SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/dunning-runs", tags=["dunning-runs"], responses=problem_responses(401, 403, 422))


_QUEUED_ANSWER = {
    "description": "Queued for the worker: a real run always, a dry run not computed within the service's wait "
    "(`dry_run_wait_seconds`, 5 s by default). Poll `GET /v1/dunning-runs/{id}` (the Location) until its status "
    "leaves queued and running; a dry run's plan comes with it then",
    "model": RunWithPlan,
    "headers": {"Location": {"description": "The run to poll", "schema": {"type": "string"}}},
}


@router.post("", response_model=RunWithPlan, status_code=status.HTTP_201_CREATED, responses={202: _QUEUED_ANSWER})
async def create_dunning_run(
    identity: RunStart,
    data: RunCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    background: BackgroundTasks,
    plan_limit: Annotated[int | None, Query(ge=0, le=5000, description="Dry runs: planned items returned")] = None,
) -> dict[str, Any]:
    """Run dunning for an as-of date. A dry run (nothing is sent) is computed by the worker: answered 201 with
    the counts and the plan when done within a few seconds (a closed day at once), else 202 with the run to
    poll. A real run answers 202 and executes in the worker (poll `GET /v1/dunning-runs/{id}`). Running the
    same day twice sends nothing new."""
    settings = request.app.state.settings
    if data.dry_run:
        limit = settings.dry_run_plan_limit if plan_limit is None else plan_limit
        run_id, queued = await dry_runs.request_dry_run(
            engine, settings, identity.tenant_id, data.as_of, identity.actor, limit
        )
        if queued:  # the run is committed: the worker may take it at once
            await enqueue_dry_run(request.app.state.arq, run_id)
        wait = settings.dry_run_wait_seconds if queued else 0
        run = await dry_runs.wait_for_run(engine, identity.tenant_id, run_id, wait)
        if run.status in (lifecycle.QUEUED, lifecycle.RUNNING):
            _accepted(response, run_id)
        return run_with_plan_out(run)
    created = await service.request_run(session, identity.tenant_id, data.as_of, identity.actor)
    # enqueued after the response, hence after the commit; a lost enqueue is re-queued by the scheduler
    background.add_task(enqueue_run, request.app.state.arq, created.id)
    _accepted(response, created.id)
    return {**run_out(created), "plan": [], "plan_truncated": False}


def _accepted(response: Response, run_id: uuid.UUID) -> None:
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"{router.prefix}/{run_id}"


@router.get("", response_model=Page[RunOut])
async def list_dunning_runs(
    identity: RunRead,
    session: SessionDep,
    page: PageDep,
    dry_run: bool | None = None,
    status: str | None = None,
    trigger: str | None = None,
    as_of_from: date | None = None,
    as_of_to: date | None = None,
) -> dict[str, Any]:
    """Runs, newest first, with their counts per step, channel and tone."""
    rows = await repository.list_runs(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        dry_run=dry_run,
        status=status,
        trigger=trigger,
        as_of_from=as_of_from,
        as_of_to=as_of_to,
    )
    return make_page(rows, page.limit, key=lambda r: [r.created_at.isoformat(), r.id], item=run_out)


@router.get("/{run_id}", response_model=RunWithPlan, responses=problem_responses(404))
async def get_dunning_run(identity: RunRead, run_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    """One run; for real runs, how many of its dispatches messaging has accepted so far; for dry runs, once
    computed, the plan (the first `plan_limit` entries)."""
    row = await repository.read(session, identity.tenant_id, run_id)
    if row is None:
        raise NotFound("Run not found")
    delivery = None if row.dry_run else await repository.delivery(session, run_id)
    return run_with_plan_out(row, delivery)


@router.get("/{run_id}/communications", response_model=Page[DispatchOut], responses=problem_responses(404))
async def list_dunning_run_communications(
    identity: RunRead, run_id: uuid.UUID, session: SessionDep, page: PageDep, state: str | None = None
) -> dict[str, Any]:
    """What a real run handed over: communications (with messaging's answer) and tasks."""
    if await repository.read(session, identity.tenant_id, run_id) is None:
        raise NotFound("Run not found")
    rows = await repository.list_dispatches(
        session, identity.tenant_id, run_id, limit=page.limit, after=page.cursor, state=state
    )
    return make_page(rows, page.limit, key=lambda r: [r.id], item=asdict)
