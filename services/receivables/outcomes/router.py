import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from services.receivables.external_ids.service import fields_named_as_sent, resolved
from services.receivables.outcomes import repository, service
from services.receivables.outcomes.auth import OutcomeRead, OutcomeWrite
from services.receivables.outcomes.rules import Excuse, OutcomeKind
from services.receivables.outcomes.schemas import OutcomeCreate, OutcomeOut, OutcomeRecordedOut
from services.receivables.people.router import area_out
from services.receivables.tasks.service import task_out
from services.receivables.tenant_settings.repository import load_profile
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, problem_responses
from shared.tenant_users import TenantUsersDep

router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"], responses=problem_responses(401, 403, 422))


@router.post(
    "",
    response_model=OutcomeRecordedOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409, 503),
)
async def record_outcome(
    identity: OutcomeWrite, data: OutcomeCreate, session: SessionDep, gateway: TenantUsersDep
) -> dict[str, Any]:
    """Record the result of a contact with a customer (seed 000) and do, in one transaction, what it means:

    - `promise_to_pay`: invoices to `promise_to_pay` with `promised_date` (not in the past); the promise is tracked;
    - `no_commitment`: a note (required) and a follow-up task in `follow_up_days` (tenant default);
    - `payment_reported`: invoices to `payment_reported` with `reported_date` (default today);
    - `dispute`: invoices to `dispute` with `dispute_area_id` (the answer names the area's responsible);
    - `unreachable`: an email to the customer with the invoices being claimed (open and not paused: no promise,
      reported payment or dispute; totals net of unapplied credit), and a task to call again the next business
      day (the tenant country's holidays are not business days).
    With `closes_task_id` the contact answers an open task of the customer (a dunning call step's task): it is
    done, completed when the contact happened (409 when already closed, 422 when not the customer's).
    An outcome acts only on open invoices whose status allows it: a promise takes `normal` ones and renews
    promises (never a dispute or a reported payment: resolve the dispute first); a reported payment also takes
    promised ones; a dispute takes all. Without `invoice_ids` it covers the customer's open invoices that allow
    it; a named invoice that does not answers 409 naming it (`field` `invoice_ids[i]`, `invoice_id`, `number`,
    `current_status`). The customer and invoices may be named by the ERP's ids instead: `customer_external_id`,
    `invoice_external_ids` (errors then name those fields). `occurred_at` back-dates the contact (default now on
    the tenant's clock; not in the future, not before the invoices it names were issued): its day is the one the
    promise's horizon, the reported date and the follow-up's due date count from."""
    with fields_named_as_sent(data):
        done = await service.record_outcome(
            session, identity, await resolved(session, identity.tenant_id, data), gateway
        )
    today = (await load_profile(session, identity.tenant_id)).today()
    return {
        **done.outcome.model_dump(),
        "task": task_out(done.task, today) if done.task is not None else None,
        "dispute_area": await area_out(session, identity.tenant_id, done.area) if done.area else None,
    }


@router.get("", response_model=Page[OutcomeOut])
async def list_outcomes(
    identity: OutcomeRead,
    session: SessionDep,
    page: PageDep,
    customer_id: uuid.UUID | None = None,
    kind: OutcomeKind | None = None,
    excuse: Excuse | None = None,
    recorded_by_user_id: uuid.UUID | None = None,
    collector_id: uuid.UUID | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Outcomes, newest first; filter by customer, kind, excuse, who recorded it, collector, dates."""
    rows = await repository.list_outcomes(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        customer_id=customer_id,
        kind=kind,
        excuse=excuse,
        recorded_by_user_id=recorded_by_user_id,
        collector_id=collector_id,
        date_from=date_from,
        date_to=date_to,
    )
    return make_page(rows, page.limit, key=lambda outcome: [outcome.occurred_at, outcome.id])


@router.get("/{outcome_id}", response_model=OutcomeOut, responses=problem_responses(404))
async def get_outcome(identity: OutcomeRead, outcome_id: uuid.UUID, session: SessionDep) -> OutcomeOut:
    outcome = await repository.get_outcome(session, identity.tenant_id, outcome_id)
    if outcome is None:
        raise NotFound("Outcome not found")
    return outcome
