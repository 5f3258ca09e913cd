import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.receivables.customers.repository import load_customer
from services.receivables.timeline import repository
from services.receivables.timeline.auth import TimelineRead
from services.receivables.timeline.schemas import TimelineEntryOut, TimelineKind
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses

router = APIRouter(prefix="/v1/customers", tags=["timeline"], responses=problem_responses(401, 403, 422))


@router.get("/{customer_id}/timeline", response_model=Page[TimelineEntryOut], responses=problem_responses(404))
async def get_customer_timeline(
    identity: TimelineRead,
    customer_id: uuid.UUID,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[list[TimelineKind] | None, Query(description="Only these kinds (repeatable)")] = None,
    order: Annotated[
        str, Query(pattern="^(newest|oldest)$", description="newest first (default) or oldest")
    ] = "newest",
) -> dict[str, Any]:
    """The customer's log [bitácora]: invoices, ERP changes, status changes, payments, outcomes, notes, tasks,
    messages sent with their delivery status, contacts found invalid and opt-outs, in time order."""
    if await load_customer(session, identity.tenant_id, customer_id) is None:
        raise NotFound("Customer not found")
    rows = await repository.list_timeline(
        session,
        identity.tenant_id,
        customer_id,
        kinds=[k.value for k in kind] if kind else None,
        limit=page.limit,
        after=page.cursor,
        newest_first=order == "newest",
    )
    return make_page(rows, page.limit, key=lambda r: [r.occurred_at, r.id])
