import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.receivables.external_ids.service import fields_named_as_sent, resolve_references
from services.receivables.plans import repository, service
from services.receivables.plans.auth import PlanCancel, PlanDecide, PlanRead, PlanReview
from services.receivables.plans.auth import PlanPropose as PlanProposer
from services.receivables.plans.lifecycle import break_due
from services.receivables.plans.rules import PlanInvalid
from services.receivables.plans.schemas import PlanDetectIn, PlanKpisOut, PlanOut, PlanPropose, PlansBrokenOut, ReasonIn
from services.receivables.plans.state import plan_out
from services.receivables.tenant_settings.repository import load_profile
from shared.calendar import future_as_of
from shared.contracts.common import MoneyAmount
from shared.contracts.receivables import PlanStatus
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import ValidationProblem, problem_responses
from shared.validation import SaneDate

router = APIRouter(prefix="/v1/payment-plans", tags=["payment-plans"], responses=problem_responses(401, 403, 422))


@contextmanager
def naming_fields() -> Iterator[None]:
    try:
        yield
    except PlanInvalid as exc:
        raise ValidationProblem.field(exc.field, exc.message) from exc


@router.post("", response_model=PlanOut, status_code=201, responses=problem_responses(409))
async def propose_payment_plan(identity: PlanProposer, data: PlanPropose, session: SessionDep) -> PlanOut:
    """Propose a plan for open invoices of one customer and one currency (default: all its `normal` and
    `promise_to_pay` ones in no plan): installments by a rule or listed, an optional down payment (installment 0)
    and simple annual interest on the declining balance. Nothing changes until it is accepted. The source is the
    caller: a person (collector), an API key (erp) or the portal, whose proposals must keep the tenant's
    `plan_limits` (422 naming the field) and are accepted at once when `portal_auto_accept`."""
    profile = await load_profile(session, identity.tenant_id)
    customer_id, invoice_ids = await resolve_references(
        session,
        identity.tenant_id,
        customer_id=data.customer_id,
        customer_external_id=data.customer_external_id,
        invoice_ids=data.invoice_ids or (),
        invoice_external_ids=data.invoice_external_ids or (),
    )
    named = data.invoice_ids is not None or data.invoice_external_ids is not None
    resolved = data.model_copy(update={"customer_id": customer_id, "invoice_ids": invoice_ids if named else None})
    with fields_named_as_sent(data), naming_fields():
        return await service.propose(session, profile, identity, resolved)


@router.get("", response_model=Page[PlanOut])
async def list_payment_plans(
    identity: PlanRead,
    session: SessionDep,
    page: PageDep,
    plan_status: Annotated[PlanStatus | None, Query(alias="status")] = None,
    customer_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Payment plans, newest first (without their installments' invoices: `GET /v1/payment-plans/{id}`)."""
    equal = {repository.plans.c.status: plan_status, repository.plans.c.customer_id: customer_id}
    rows = await repository.list_plans(session, identity.tenant_id, limit=page.limit, after=page.cursor, equal=equal)
    return make_page(rows, page.limit, key=lambda p: [p.created_at, p.id], item=lambda p: plan_out(p, []))


@router.get("/kpis", response_model=PlanKpisOut)
async def get_payment_plan_kpis(
    identity: PlanRead,
    session: SessionDep,
    date_from: Annotated[
        SaneDate | None, Query(alias="from", description="Period start (default: month start)")
    ] = None,
    date_to: Annotated[SaneDate | None, Query(alias="to", description="Period end, inclusive (default: today)")] = None,
) -> PlanKpisOut:
    """Plans created, accepted, completed (kept) and broken in the period, the kept rate, and the money allocated
    to installments in it per currency (amount recovered)."""
    today = (await load_profile(session, identity.tenant_id)).today()
    date_to = date_to or today
    date_from = date_from or date_to.replace(day=1)
    if date_from > date_to:
        raise ValidationProblem.field("from", "must not be after `to`")
    counts, recovered = await repository.plan_kpis(session, identity.tenant_id, date_from, date_to)
    ended = counts.completed + counts.broken
    return PlanKpisOut(
        date_from=date_from,
        date_to=date_to,
        created=counts.created,
        accepted=counts.accepted,
        completed=counts.completed,
        broken=counts.broken,
        kept_rate=(Decimal(counts.completed) / Decimal(ended)).quantize(Decimal("0.0001")) if ended else None,
        recovered=[MoneyAmount(currency=c, amount=a) for c, a in recovered],
    )


@router.post("/detect-broken", response_model=PlansBrokenOut)
async def detect_broken_payment_plans(identity: PlanReview, data: PlanDetectIn, session: SessionDep) -> PlansBrokenOut:
    """Run the broken-plan detection now for this tenant (it also runs every hour for every tenant at its local
    day): a plan breaks on the day after an unpaid installment's due date plus its grace days. Idempotent."""
    today = (await load_profile(session, identity.tenant_id)).today()
    as_of = data.as_of or today
    if refusal := future_as_of(as_of, today):
        raise ValidationProblem.field("as_of", refusal)
    return PlansBrokenOut(as_of=as_of, plan_ids=await break_due(session, identity.tenant_id, as_of))


@router.get("/{plan_id}", response_model=PlanOut, responses=problem_responses(404))
async def get_payment_plan(identity: PlanRead, plan_id: uuid.UUID, session: SessionDep) -> PlanOut:
    """A plan with its installments, their invoices and what each has been paid."""
    return await service.read(session, identity.tenant_id, plan_id)


@router.post("/{plan_id}/accept", response_model=PlanOut, responses=problem_responses(404, 409))
async def accept_payment_plan(identity: PlanDecide, plan_id: uuid.UUID, session: SessionDep) -> PlanOut:
    """Accept a proposed plan: its invoices become `in_plan` (reminders pause) and one installment invoice per
    installment is created (kind `installment`, number like `PP-1 1/3`). Accepting it again changes nothing."""
    profile = await load_profile(session, identity.tenant_id)
    return await service.accept(session, profile, identity, plan_id)


@router.post("/{plan_id}/reject", response_model=PlanOut, responses=problem_responses(404, 409))
async def reject_payment_plan(identity: PlanDecide, plan_id: uuid.UUID, data: ReasonIn, session: SessionDep) -> PlanOut:
    """Reject a proposed plan, with a reason."""
    profile = await load_profile(session, identity.tenant_id)
    return await service.reject(session, profile, identity, plan_id, data.reason)


@router.post("/{plan_id}/cancel", response_model=PlanOut, responses=problem_responses(404, 409))
async def cancel_payment_plan(identity: PlanCancel, plan_id: uuid.UUID, data: ReasonIn, session: SessionDep) -> PlanOut:
    """Cancel a proposed plan, or end an accepted one: unpaid installments void, its invoices back to `normal`
    with their own due dates and their open amounts net of what the plan collected (status `cancelled`)."""
    profile = await load_profile(session, identity.tenant_id)
    return await service.cancel(session, profile, identity, plan_id, data.reason)
