"""How an accepted plan ends: completed when every installment is paid (after any payment or credit, in its
transaction), broken when an installment stays unpaid past the grace days (the hourly job, at each tenant's local
day), or cancelled by staff. The pure decisions are ``rules.is_completed``, ``rules.is_broken`` and
``rules.restore``; this module reads the facts for them and writes what they decide."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import emit_invoices_changed
from services.receivables.plans import repository, rules
from services.receivables.plans.repository import InvoiceFacts, PlanRow
from services.receivables.plans.state import announce, paid_amount
from shared.clock import wall_now
from shared.contracts.common import InvoiceStatus
from shared.contracts.receivables import PlanStatus

SERVICE_ACTOR = "service:receivables"
CLOSED = frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF})


def states(installments: Sequence[InvoiceFacts]) -> list[rules.InstallmentState]:
    return [rules.InstallmentState(i.due_date, i.open_amount, i.status in CLOSED) for i in installments]


async def end_plan(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    plan: PlanRow,
    status: PlanStatus,
    today: date,
    actor: str,
    reason: str | None = None,
) -> None:
    """Broken or cancelled: unpaid installments void; the grouped invoices still waiting in the plan back to
    ``normal`` with their own due dates (their ages as they were) and their open amounts net of what the plan
    collected, oldest due first (``rules.restore``)."""
    installments = (await repository.installments_of(session, tenant_id, [plan.id])).get(plan.id, [])
    collected = paid_amount(installments)
    why = f"payment plan {status.value}"
    voided = await repository.void_installments(session, tenant_id, plan.id, today)
    grouped = [
        i
        for i in await repository.grouped_invoices(session, tenant_id, plan.invoice_ids)
        if i.plan_id == plan.id and i.status == InvoiceStatus.IN_PLAN
    ]
    restored = rules.restore(
        [rules.GroupedInvoice(i.id, i.due_date, i.issue_date, i.number, i.open_amount) for i in grouped], collected
    )
    if restored:
        await repository.release_invoices(
            session, tenant_id, why, [(r.invoice_id, r.open_amount) for r in restored], today
        )
    await emit_invoices_changed(session, tenant_id, [*voided, *(r.invoice_id for r in restored)], why)
    values: dict[str, object] = {"status": status.value, "reason": reason}
    if status == PlanStatus.BROKEN:
        values["broken_on"] = today
    await repository.set_plan(session, tenant_id, [plan.id], **values)
    await announce(session, tenant_id, [plan.id], actor)


async def break_due(
    session: AsyncSession,
    tenant_id: uuid.UUID | None = None,
    as_of: date | None = None,
    at: datetime | None = None,
) -> list[uuid.UUID]:
    """Break every accepted plan with an installment unpaid past its due date plus the plan's grace days, each
    tenant at its own local day (or ``as_of``). Idempotent: a broken plan is no longer accepted."""
    broken = []
    for tenant, plan_id, today in await repository.plans_to_break(session, tenant_id, as_of, at, wall_now()):
        await repository.lock_installments(session, tenant, plan_id)
        plan = await repository.get_plan(session, tenant, plan_id, lock=True)
        if plan is None or plan.status != PlanStatus.ACCEPTED:
            continue
        installments = (await repository.installments_of(session, tenant, [plan.id])).get(plan.id, [])
        if not rules.is_broken(states(installments), plan.grace_days, today):
            continue
        await end_plan(session, tenant, plan, PlanStatus.BROKEN, today, SERVICE_ACTOR)
        broken.append(plan_id)
    return broken


async def after_money(
    session: AsyncSession, tenant_id: uuid.UUID, today: date, invoice_ids: Sequence[uuid.UUID], actor: str
) -> None:
    """Money moved on some invoices (payments, credits, reversals): the plans of the installments among them are
    announced with their paid amounts, and those whose installments are all paid complete: their grouped invoices
    still waiting in the plan are ``paid`` (closed today). A fixed number of statements for any batch."""
    plan_ids = await repository.installment_plans(session, tenant_id, list(invoice_ids))
    if not plan_ids:
        return
    installments = await repository.installments_of(session, tenant_id, plan_ids)
    completed = [p for p in plan_ids if rules.is_completed(states(installments.get(p, [])))]
    if completed:
        closed = await repository.close_grouped(session, tenant_id, completed, today)
        await emit_invoices_changed(session, tenant_id, closed, "payment plan completed")
        await repository.set_plan(session, tenant_id, completed, status=PlanStatus.COMPLETED.value, completed_on=today)
    others = [p for p in plan_ids if p not in completed]
    if others:  # an installment paid: a new revision of the plan, with its paid amounts
        await repository.set_plan(session, tenant_id, others)
    await announce(session, tenant_id, completed, actor)
    await announce(session, tenant_id, others, actor, history=False)
