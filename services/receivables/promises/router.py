import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.receivables.promises import repository
from services.receivables.promises.auth import PromiseRead, PromiseReview
from services.receivables.promises.rules import PromiseStatus
from services.receivables.promises.schemas import DetectBrokenIn, DetectBrokenOut, PromiseOut
from services.receivables.tenant_settings.repository import load_profile
from shared.calendar import future_as_of
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, ValidationProblem, problem_responses

router = APIRouter(prefix="/v1/promises", tags=["promises"], responses=problem_responses(401, 403, 422))


@router.get("", response_model=Page[PromiseOut])
async def list_promises(
    identity: PromiseRead,
    session: SessionDep,
    page: PageDep,
    promise_status: Annotated[PromiseStatus | None, Query(alias="status")] = None,
    customer_id: uuid.UUID | None = None,
    collector_id: uuid.UUID | None = None,
    invoice_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Promises to pay, newest first: open, kept, broken or cancelled."""
    rows = await repository.list_promises(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        status=promise_status,
        customer_id=customer_id,
        collector_id=collector_id,
        invoice_id=invoice_id,
    )
    return make_page(rows, page.limit, key=lambda promise: [promise.created_at, promise.id])


@router.post("/detect-broken", response_model=DetectBrokenOut)
async def detect_broken_promises(identity: PromiseReview, data: DetectBrokenIn, session: SessionDep) -> DetectBrokenOut:
    """Run the broken-promise detection now for this tenant (it also runs every hour for every tenant, at each
    tenant's local date). A promise is broken on the day after its date plus the grace days when its invoice still
    owes money; the invoice goes back to `normal`. Idempotent: a promise breaks once. `as_of` may not be after the
    tenant's today (422): a promise whose day has not ended cannot break."""
    today = (await load_profile(session, identity.tenant_id)).today()
    as_of = data.as_of or today
    if refusal := future_as_of(as_of, today):
        raise ValidationProblem.field("as_of", refusal)  # a promise's day must have ended on the tenant's clock
    count, ids = await repository.detect_broken(session, identity.tenant_id, as_of)
    return DetectBrokenOut(as_of=as_of, broken=count, promise_ids=ids)


@router.get("/{promise_id}", response_model=PromiseOut, responses=problem_responses(404))
async def get_promise(identity: PromiseRead, promise_id: uuid.UUID, session: SessionDep) -> PromiseOut:
    promise = await repository.get_promise(session, identity.tenant_id, promise_id)
    if promise is None:
        raise NotFound("Promise not found")
    return promise
