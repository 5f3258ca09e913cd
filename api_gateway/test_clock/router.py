"""``/v1/test-clock``: a sandbox tenant's clock (issue 15), and its advance (``advance``)."""

from typing import Any

from fastapi import APIRouter, Request

from api_gateway.models import Tenant
from api_gateway.test_clock import service
from api_gateway.test_clock.advance import advance_once, read_progress
from api_gateway.test_clock.auth import TestClockRead, TestClockWrite
from api_gateway.test_clock.schemas import AdvanceProgress, AdvanceRequest, ClockOut, ClockStart
from shared.db import SessionDep
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/test-clock", tags=["test-clock"], responses=problem_responses(401, 403, 422))


def clock_out(tenant: Tenant) -> ClockOut:
    return ClockOut(
        tenant_id=tenant.id,
        sandbox=tenant.sandbox,
        frozen_time=tenant.test_clock,
        timezone=tenant.timezone,
        today=service.clock_of(tenant).today(),
    )


@router.get("", response_model=ClockOut)
async def get_test_clock(request: Request, principal: TestClockRead, session: SessionDep) -> ClockOut:
    """The sandbox tenant's clock: its instant and the tenant's date there (before its start is set, the wall
    clock's), and its latest advance's progress. A live tenant has no test clock: 403."""
    clock = clock_out(await service.sandbox_tenant(session, principal.tenant_id))
    clock.advance = await read_progress(request.app.state.redis, principal.tenant_id)
    return clock


@router.post("", response_model=ClockOut, responses=problem_responses(409))
async def start_test_clock(principal: TestClockWrite, data: ClockStart, session: SessionDep) -> ClockOut:
    """Set where the sandbox tenant's clock starts (admins): from then on every date rule of every service (dunning
    runs and their schedule, promises, tasks, alarms, quiet hours, ...) reads this clock, which moves only when
    advanced. Once set, it only moves forward (409). A live tenant cannot have a clock: 403. Webhook timestamps,
    tokens and sessions stay on the real clock."""
    return clock_out(await service.start_clock(session, principal.tenant_id, data.frozen_time))


@router.post("/advance", response_model=AdvanceProgress, responses=problem_responses(409, 504))
async def advance_test_clock(request: Request, principal: TestClockWrite, data: AdvanceRequest) -> Any:
    """Move the sandbox tenant's test clock forward, to an instant (`to`) or by whole days (`days`), playing every
    day in between as the services would have: at the clock's start, at each whole day after it (same time of
    day) and at the target, in order, receivables breaks the promises due, dunning makes the day's run (once its
    run hour has come), the alarms send their digests, messaging releases the messages deferred until then; each
    part waits until the services have settled it (messages sent to the sandbox's peers, events handled).

    Answers when the last day has settled; `GET /v1/test-clock/advance` shows the progress meanwhile. Webhook
    deliveries stay on the wall clock (their `webhook-timestamp` is checked against the receiver's clock). 403 for
    a tenant that is not a sandbox; 409 while the clock is not set or another advance is under way."""
    return await advance_once(request, principal.tenant_id, data)


@router.get("/advance", response_model=AdvanceProgress, responses=problem_responses(403, 404, 409))
async def get_test_clock_advance(request: Request, principal: TestClockRead) -> Any:
    """The progress of the tenant's latest advance of its test clock (under way, settled or failed); 403 for a
    tenant that is not a sandbox (it has no clock), like every test-clock route."""
    async with request.app.state.sessionmaker() as session:
        await service.sandbox_tenant(session, principal.tenant_id)
    progress = await read_progress(request.app.state.redis, principal.tenant_id)
    if progress is None:
        raise NotFound("The tenant's test clock was never advanced")
    return progress
