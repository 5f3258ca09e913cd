import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.receivables.signs import repository, service
from services.receivables.signs.auth import SignsRead, SignsRefresh
from services.receivables.signs.schemas import CustomerSignsOut, RefreshOut, WarningSignFilters
from services.receivables.tenant_settings.repository import load_profile
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page, typed_cursor
from shared.problems import NotFound, problem_responses

router = APIRouter(tags=["warning-signs"], responses=problem_responses(401, 403, 422))


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


@router.post("/v1/warning-signs/refresh", response_model=RefreshOut)
async def refresh_warning_signs(identity: SignsRefresh, session: SessionDep) -> RefreshOut:
    """Refresh every customer's warning signs and computed risk now, as the daily refresh does (it still runs
    on the next day); answers the counts."""
    today = (await load_profile(session, identity.tenant_id)).today()
    counts = await service.refresh_tenant(session, identity.tenant_id, today)
    return RefreshOut(
        day=today,
        customers=counts.customers,
        changed=counts.changed,
        risk_changed=counts.risk_changed,
        signs=counts.signs,
    )
