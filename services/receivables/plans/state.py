"""A plan's whole state, as the API shows it (``PlanOut``) and as ``PaymentPlanChanged`` announces it, from its row
and its installment invoices; and the announcement written to the outbox with a timeline entry."""

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import outbox
from services.receivables.plans import repository
from services.receivables.plans.repository import InvoiceFacts, PlanRow
from services.receivables.plans.schemas import InstallmentOut, PlanOut
from services.receivables.timeline.repository import add_entries
from shared.contracts.common import InvoiceStatus
from shared.contracts.receivables import PaymentPlanChanged, PlanInstallment, PlanSource, PlanStatus
from shared.outbox import emit_many

ZERO = Decimal(0)
VOIDED = (InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF)


def installments_out(plan: PlanRow, invoices: Sequence[InvoiceFacts]) -> list[InstallmentOut]:
    """The schedule's installments with their invoices (matched in due date order, both increase), once accepted."""
    by_order = sorted(invoices, key=lambda i: (i.due_date, i.number))
    out = []
    for position, entry in enumerate(plan.schedule):
        base = InstallmentOut(
            number=entry["number"],
            due_date=date.fromisoformat(entry["due_date"]),
            amount=Decimal(entry["amount"]),
            interest=Decimal(entry.get("interest", "0")),
        )
        if position < len(by_order):
            inv = by_order[position]
            base.invoice_id, base.invoice_number = inv.id, inv.number
            base.paid_amount, base.open_amount, base.status = inv.amount - inv.open_amount, inv.open_amount, inv.status
        out.append(base)
    return out


def paid_amount(invoices: Sequence[InvoiceFacts]) -> Decimal:
    return sum((i.amount - i.open_amount for i in invoices), ZERO)


def plan_out(plan: PlanRow, invoices: Sequence[InvoiceFacts]) -> PlanOut:
    return PlanOut(
        id=plan.id,
        number=plan.number,
        customer_id=plan.customer_id,
        currency=plan.currency,
        status=PlanStatus(plan.status),
        source=PlanSource(plan.source),
        proposed_by=plan.proposed_by,
        external_id=plan.external_id,
        invoice_ids=plan.invoice_ids,
        principal=plan.principal,
        down_payment=plan.down_payment,
        interest_annual_rate=plan.interest_annual_rate,
        interest_amount=plan.interest_amount,
        total=plan.total,
        paid_amount=paid_amount(invoices),
        grace_days=plan.grace_days,
        accepted_on=plan.accepted_on,
        completed_on=plan.completed_on,
        broken_on=plan.broken_on,
        reason=plan.reason,
        revision=plan.revision,
        installments=installments_out(plan, invoices),
        created_at=plan.created_at,
        updated_at=plan.updated_at,
    )


def _installment_status(status: str | None) -> str:
    if status is None:
        return "pending"
    if status == InvoiceStatus.PAID:
        return "paid"
    return "void" if status in VOIDED else "pending"


def plan_event(
    plan: PlanRow, invoices: Sequence[InvoiceFacts], customer: tuple[str | None, uuid.UUID | None]
) -> PaymentPlanChanged:
    """The plan as the API shows it (``plan_out``), announced with its customer's ERP id and collector."""
    out = plan_out(plan, invoices)
    same = out.model_dump(include=set(PaymentPlanChanged.model_fields) - {"installments"})
    installments = [
        PlanInstallment(
            number=i.number,
            invoice_id=i.invoice_id,
            due_date=i.due_date,
            amount=i.amount,
            paid_amount=i.paid_amount,
            status=_installment_status(i.status if i.invoice_id else None),
        )
        for i in out.installments
    ]
    return PaymentPlanChanged(
        **same, plan_id=plan.id, customer_external_id=customer[0], collector_id=customer[1], installments=installments
    )


SUMMARIES = {
    PlanStatus.PROPOSED: "proposed",
    PlanStatus.ACCEPTED: "accepted",
    PlanStatus.REJECTED: "rejected",
    PlanStatus.CANCELLED: "cancelled",
    PlanStatus.COMPLETED: "completed",
    PlanStatus.BROKEN: "broken",
}


async def announce(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    plan_ids: Sequence[uuid.UUID],
    actor: str,
    *,
    history: bool = True,
) -> list[PaymentPlanChanged]:
    """``PaymentPlanChanged`` for each plan as it is now in this transaction (one read of the plans, one of their
    installments, one outbox write) and, with ``history``, a timeline entry saying what became of it."""
    if not plan_ids:
        return []
    plans = await repository.get_plans(session, tenant_id, list(plan_ids))
    installments = await repository.installments_of(session, tenant_id, [p.id for p in plans])
    refs = await repository.customer_refs(session, tenant_id, sorted({p.customer_id for p in plans}, key=str))
    events = [plan_event(p, installments.get(p.id, []), refs.get(p.customer_id, (None, None))) for p in plans]
    await emit_many(session, outbox, tenant_id, events)
    if history:
        entries = [
            {
                "customer_id": p.customer_id,
                "kind": "payment_plan",
                "ref_id": p.id,
                "summary": f"Payment plan {p.number} {SUMMARIES[PlanStatus(p.status)]}: {p.currency} {p.total}"
                + (f" ({p.reason})" if p.reason else ""),
                "data": {"plan_id": p.id, "status": p.status, "reason": p.reason, "total": p.total},
                "actor": actor,
            }
            for p in plans
        ]
        await add_entries(session, tenant_id, entries)
    return events
