import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from services.receivables.signs import refresh_repository, repository, service
from services.receivables.signs.auth import SignsRead, SignsRefresh
from services.receivables.signs.jobs import enqueue_refresh
from services.receivables.signs.schemas import CustomerSignsOut, RefreshFilters, RefreshOut, WarningSignFilters
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page, typed_cursor
from shared.problems import NotFound, problem_responses

router = APIRouter(tags=["warning-signs"], responses=problem_responses(401, 403, 422))

REFRESHES = "/v1/warning-signs/refreshes"
_IN_FLIGHT_ANSWER = {
    "description": "Not completed within the service's wait (`warning_signs_wait_seconds`, 5 s by default: a large "
    "portfolio): the refresh, queued or running. Poll `GET /v1/warning-signs/refreshes/{id}` (the Location) until "
    "its status leaves queued and running; its counts come with it then",
    "model": RefreshOut,
    "headers": {"Location": {"description": "The refresh to poll", "schema": {"type": "string"}}},
}


@router.get(
    "/v1/customers/{customer_id}/warning-signs", response_model=CustomerSignsOut, responses=problem_responses(404)
)
async def get_customer_warning_signs(
    identity: SignsRead, customer_id: uuid.UUID, session: SessionDep
) -> CustomerSignsOut:
    """The customer's warning signs (seed 001) with their evidence, and the computed risk level with its reasons
    beside the ERP's label (`risk_level`)."""
    signs = await repository.customer_signs(session, identity.tenant_id, customer_id)
    if signs is None:
        raise NotFound("Customer not found")
    return signs


@router.get("/v1/warning-signs", response_model=Page[CustomerSignsOut])
async def list_warning_signs(
    identity: SignsRead, session: SessionDep, page: PageDep, filters: Annotated[WarningSignFilters, Query()]
) -> dict[str, Any]:
    """The customers showing warning signs, each with its signs and computed risk; filter by collector, sign or
    computed risk level."""
    after = typed_cursor(page.cursor, uuid.UUID)[0] if page.cursor else None
    rows = await repository.list_customer_signs(session, identity.tenant_id, filters, limit=page.limit, after=after)
    return make_page(rows, page.limit, key=lambda r: [r.customer_id])


@router.post("/v1/warning-signs/refresh", response_model=RefreshOut, responses={202: _IN_FLIGHT_ANSWER})
async def refresh_warning_signs(identity: SignsRefresh, request: Request, response: Response) -> dict[str, Any]:
    """Refresh every customer's warning signs and computed risk as of the tenant's today, as the daily refresh does
    (it still runs on the next day). The worker computes it: answered 200 with the counts when done within a few
    seconds, else 202 with the refresh to poll. While one is queued or running, this answers that one."""
    sessionmaker = request.app.state.sessionmaker
    refresh, _ = await service.request_refresh(sessionmaker, identity.tenant_id, identity.actor)
    # committed: a worker may take it at once; one in flight is enqueued again too (its job id keeps it single,
    # and a job lost with Redis is queued anew)
    await enqueue_refresh(request.app.state.arq, refresh.id)
    wait = request.app.state.settings.warning_signs_wait_seconds
    refresh = await service.wait_for_refresh(sessionmaker, identity.tenant_id, refresh.id, wait)
    if refresh.status in refresh_repository.ACTIVE:
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Location"] = f"{REFRESHES}/{refresh.id}"
    return asdict(refresh)


@router.get(REFRESHES, response_model=Page[RefreshOut])
async def list_warning_sign_refreshes(
    identity: SignsRead, session: SessionDep, page: PageDep, filters: Annotated[RefreshFilters, Query()]
) -> dict[str, Any]:
    """The refreshes of the warning signs, newest first: those asked through the API and the daily ones."""
    rows = await refresh_repository.list_refreshes(
        session, identity.tenant_id, limit=page.limit, after=page.cursor, status=filters.status
    )
    return make_page(rows, page.limit, key=lambda r: [r.requested_at.isoformat(), r.id], item=asdict)


@router.get(f"{REFRESHES}/{{refresh_id}}", response_model=RefreshOut, responses=problem_responses(404))
async def get_warning_sign_refresh(identity: SignsRead, refresh_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    """One refresh: its status, and its counts once completed."""
    refresh = await refresh_repository.read(session, identity.tenant_id, refresh_id)
    if refresh is None:
        raise NotFound("Refresh not found")
    return asdict(refresh)
