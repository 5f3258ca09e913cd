import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.receivables.tenant_settings.repository import load_profile
from services.receivables.worklist import service
from services.receivables.worklist.auth import WorklistRead
from services.receivables.worklist.rules import Weights
from services.receivables.worklist.schemas import Team, WorklistItem
from shared.db import SessionDep
from shared.pagination import Page, PageDep
from shared.problems import problem_responses
from shared.tenant_users import TenantUsersDep

router = APIRouter(prefix="/v1/worklist", tags=["worklist"], responses=problem_responses(401, 403, 422))


@router.get("", response_model=Page[WorklistItem])
async def get_worklist(
    identity: WorklistRead,
    session: SessionDep,
    page: PageDep,
    gateway: TenantUsersDep,
    collector_id: Annotated[
        uuid.UUID | None,
        Query(description="Another collector's list (supervisors and managers); default: the caller's"),
    ] = None,
    team: Annotated[
        Team | None,
        Query(
            description="`mine`: the collectors the caller supervises; `all`: the whole portfolio, customers "
            "without a collector included (both for supervisors and managers)"
        ),
    ] = None,
) -> dict[str, Any]:
    """Today's customers to contact (the tenant's day), best score first: each with the reasons that make its score
    (and their evidence), the objective of the contact and the channel to use (seed 004). A personal contact
    recorded today takes the customer off the list."""
    profile = await load_profile(session, identity.tenant_id)
    scope = await service.scope_for(session, identity, collector_id, team, gateway)
    return await service.worklist(session, profile, scope, page, Weights.from_stored(profile.worklist_weights))
