import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.receivables.supervision import service
from services.receivables.supervision.auth import SupervisionRead
from services.receivables.supervision.schemas import SupervisionOut
from services.receivables.tenant_settings.repository import load_profile
from services.receivables.worklist.schemas import Team
from shared.db import SessionDep
from shared.problems import problem_responses
from shared.tenant_users import TenantUsersDep
from shared.validation import SaneDate

router = APIRouter(prefix="/v1/supervision", tags=["supervision"], responses=problem_responses(401, 403, 422))


@router.get("/collectors", response_model=SupervisionOut, response_model_by_alias=True)
async def get_collectors_situation(
    identity: SupervisionRead,
    session: SessionDep,
    gateway: TenantUsersDep,
    date_from: Annotated[SaneDate | None, Query(alias="from", description="Period start (default: `to`)")] = None,
    date_to: Annotated[SaneDate | None, Query(alias="to", description="Period end, inclusive (default: today)")] = None,
    collector_id: Annotated[uuid.UUID | None, Query(description="One collector only")] = None,
    team: Annotated[
        Team | None,
        Query(
            description="`mine`: the collectors the caller supervises (a supervisor's default); `all`: every "
            "collector (a manager's default)"
        ),
    ] = None,
) -> SupervisionOut:
    """Each collector's situation (seed 004: "Identifica la situación de cada cobrador"): today's worklist size,
    contacts made, promises obtained, kept and broken, excuses by reason in the period, open and overdue tasks."""
    profile = await load_profile(session, identity.tenant_id)
    period = service.period_of(profile, date_from, date_to)
    user_ids = await service.collectors_of(session, identity, collector_id, team, gateway)
    return await service.situation(session, profile, user_ids, period)
