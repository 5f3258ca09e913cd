import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers.repository import load_customer
from services.receivables.external_ids.service import require_known, resolved
from services.receivables.payments import repository
from services.receivables.payments.auth import PaymentRead, PaymentWrite
from services.receivables.payments.batch import NamedRef, PaymentInput
from services.receivables.payments.schemas import PaymentCreate, PaymentOut, PaymentReverse
from services.receivables.payments.service import apply_payments
from services.receivables.tenant_settings.repository import load_profile
from shared.db import SessionDep
from shared.pagination import Page, PageDep, make_page
from shared.problems import Conflict, NotFound, ValidationProblem, problem_responses

router = APIRouter(prefix="/v1/payments", tags=["payments"], responses=problem_responses(401, 403, 422))


async def _out(session: AsyncSession, tenant_id: uuid.UUID, payment_id: uuid.UUID) -> PaymentOut:
    payment = await repository.get_payment(session, tenant_id, payment_id)
    if payment is None:
        raise NotFound("Payment not found")
    allocations = await repository.allocations_of(session, [payment_id])
    return payment.model_copy(update={"allocations": allocations.get(payment_id, [])})


@router.post("", response_model=PaymentOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_payment(identity: PaymentWrite, data: PaymentCreate, session: SessionDep) -> PaymentOut:
    """Apply a payment: to the invoices named (in order, up to each open amount or the amount named), else to the
    customer's open invoices in its currency, oldest due first. What is left is the customer's credit. A fully
    paid invoice becomes `paid` whatever its status; a payment settles `payment_reported`. The customer and the
    invoices may be named by the ERP's ids: `customer_external_id`, allocations' `invoice_external_id`."""
    tenant_id = identity.tenant_id
    data = await resolved(session, tenant_id, data)
    named = {f"invoices[{i}].invoice_external_id": n.invoice_external_id for i, n in enumerate(data.invoices or [])}
    await require_known(session, tenant_id, "invoice", {f: e for f, e in named.items() if e is not None})
    assert data.customer_id is not None  # resolved() set it from the id or the ERP's id (or answered 422)
    if await load_customer(session, tenant_id, data.customer_id) is None:
        raise ValidationProblem.field(
            "customer_external_id" if data.customer_external_id else "customer_id", "is not a customer of this tenant"
        )
    if data.external_id and await repository.find_by_external_id(session, tenant_id, data.external_id):
        raise Conflict(f"A payment with external_id {data.external_id!r} already exists")
    row = PaymentInput(
        index=0,
        customer_id=data.customer_id,
        currency=data.currency,
        amount=data.amount,
        payment_date=data.payment_date,
        external_id=data.external_id,
        reference=data.reference,
        named=[NamedRef(i.invoice_id, i.invoice_external_id, i.amount) for i in data.invoices or []] or None,
    )
    (result,) = await apply_payments(session, await load_profile(session, tenant_id), [row], identity.actor)
    if result.outcome == "rejected":
        raise ValidationProblem.field(result.field or "body", result.reason or "rejected")
    assert result.payment_id is not None  # every result but a rejected one names its payment
    return await _out(session, tenant_id, result.payment_id)


@router.get("", response_model=Page[PaymentOut])
async def list_payments(
    identity: PaymentRead,
    session: SessionDep,
    page: PageDep,
    customer_id: uuid.UUID | None = None,
    payment_status: Annotated[str | None, Query(alias="status", pattern="^(applied|reversed)$")] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Payments, newest first, with their allocations."""
    rows = await repository.list_payments(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        customer_id=customer_id,
        status=payment_status,
        date_from=date_from,
        date_to=date_to,
    )
    allocations = await repository.allocations_of(session, [payment.id for payment in rows[: page.limit]])
    return make_page(
        rows,
        page.limit,
        key=lambda payment: [payment.payment_date, payment.id],
        item=lambda payment: payment.model_copy(update={"allocations": allocations.get(payment.id, [])}),
    )


@router.get("/{payment_id}", response_model=PaymentOut, responses=problem_responses(404))
async def get_payment(identity: PaymentRead, payment_id: uuid.UUID, session: SessionDep) -> PaymentOut:
    return await _out(session, identity.tenant_id, payment_id)


@router.post("/{payment_id}/reverse", response_model=PaymentOut, responses=problem_responses(404, 409))
async def reverse_payment(
    identity: PaymentWrite, payment_id: uuid.UUID, data: PaymentReverse, session: SessionDep
) -> PaymentOut:
    """Reverse a payment (a bounced check, a mistaken entry): the invoices it paid owe that money again (a paid
    invoice goes back to `normal`) and its credit is gone. A reversed payment stays in the history."""
    tenant_id = identity.tenant_id
    current = await repository.get_payment(session, tenant_id, payment_id)
    if current is None:
        raise NotFound("Payment not found")
    if current.status == "reversed":
        raise Conflict("The payment is already reversed")
    row = PaymentInput(index=0, payment_id=payment_id, reverse=True, reversal_reason=data.reason)
    await apply_payments(session, await load_profile(session, tenant_id), [row], identity.actor)
    return await _out(session, tenant_id, payment_id)
