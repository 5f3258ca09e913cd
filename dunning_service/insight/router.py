import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from dunning_service.insight import explain, forecast
from dunning_service.insight.auth import InsightRead
from dunning_service.insight.schemas import Explanation, Forecast
from dunning_service.runs.context import load_strategies, load_tenant, pending_cutoff
from dunning_service.strategies.repository import read as read_strategy
from shared.db import SessionDep
from shared.problems import NotFound, problem_responses

explain_router = APIRouter(
    prefix="/v1/dunning-explain", tags=["dunning-explain"], responses=problem_responses(401, 403, 422)
)
forecast_router = APIRouter(
    prefix="/v1/dunning-forecast", tags=["dunning-forecast"], responses=problem_responses(401, 403, 422)
)

ASSUMPTIONS = (
    "Nothing changes: no payment, status change or new invoice; every communication is accepted the day it goes "
    "out; sends move off weekends and holidays to the next business day."
)


@explain_router.get("/{customer_id}", response_model=Explanation, responses=problem_responses(404))
async def explain_customer(
    identity: InsightRead,
    customer_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    as_of: Annotated[date | None, Query(description="Default: today on the tenant's clock")] = None,
) -> dict[str, Any]:
    """Why did (or didn't) this customer get a message? The strategy and why, and per open invoice: the last
    step, the step due on `as_of` (and its channel) or the exact reason there is none, the next step and date."""
    return await explain.explain_customer(session, request.app.state.settings, identity.tenant_id, customer_id, as_of)


@forecast_router.get("", response_model=Forecast, response_model_by_alias=True, responses=problem_responses(404))
async def forecast_dunning(
    identity: InsightRead,
    request: Request,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=120, description="How many days, starting with `from`")] = 30,
    start: Annotated[date | None, Query(alias="from", description="Default: today on the tenant's clock")] = None,
    strategy_id: Annotated[
        uuid.UUID | None, Query(description="Preview: treat this (inactive) strategy as switched on")
    ] = None,
) -> dict[str, Any]:
    """The communications the current strategies will produce over the next days: counts per day, step and
    channel (capacity planning; reviewing a strategy before switching it on)."""
    settings = request.app.state.settings
    if strategy_id is not None and await read_strategy(session, identity.tenant_id, strategy_id) is None:
        raise NotFound("Strategy not found")
    tenant = await load_tenant(session, identity.tenant_id)
    strategies = await load_strategies(session, identity.tenant_id, preview=strategy_id)
    result = await forecast.forecast(
        session, tenant, strategies, start or tenant.today(), days, pending_cutoff(settings.pending_expiry_hours)
    )
    return {**result, "preview_strategy_id": strategy_id, "assumptions": ASSUMPTIONS}
