"""``/v1/test-clock``: a sandbox tenant's clock (issue 15)."""

from typing import Annotated

from fastapi import APIRouter, Request

from services.gateway.auth import Principal, require
from services.gateway.models import Tenant
from services.gateway.test_clock import service
from services.gateway.test_clock.advance import read_progress
from services.gateway.test_clock.schemas import ClockOut, ClockStart
from shared.db import SessionDep
from shared.identity import ADMIN, ALL_ROLES
from shared.problems import problem_responses

router = APIRouter(prefix="/v1/test-clock", tags=["test-clock"], responses=problem_responses(401, 403, 422))

AdminOnly = Annotated[Principal, require(ADMIN)]
Anyone = Annotated[Principal, require(*ALL_ROLES)]


def clock_out(tenant: Tenant) -> ClockOut:
    return ClockOut(
        tenant_id=tenant.id,
        sandbox=tenant.sandbox,
        frozen_time=tenant.test_clock,
        timezone=tenant.timezone,
        today=service.clock_of(tenant).today(),
    )


@router.get("", response_model=ClockOut)
async def get_test_clock(request: Request, principal: Anyone, session: SessionDep) -> ClockOut:
    """The sandbox tenant's clock: its instant and the tenant's date there (before its start is set, the wall
    clock's), and its latest advance's progress. A live tenant has no test clock: 403."""
    clock = clock_out(await service.sandbox_tenant(session, principal.tenant_id))
    clock.advance = await read_progress(request.app.state.redis, principal.tenant_id)
    return clock


@router.post("", response_model=ClockOut, responses=problem_responses(409))
async def start_test_clock(principal: AdminOnly, data: ClockStart, session: SessionDep) -> ClockOut:
    """Set where the sandbox tenant's clock starts (admins): from then on every date rule of every service (dunning
    runs and their schedule, promises, tasks, alarms, quiet hours, ...) reads this clock, which moves only when
    advanced. Once set, it only moves forward (409). A live tenant cannot have a clock: 403. Webhook timestamps,
    tokens and sessions stay on the real clock."""
    return clock_out(await service.start_clock(session, principal.tenant_id, data.frozen_time))
