"""Invoices: create, correct, change status. Status changes of any origin go through ``apply_status_changes``:
one UPDATE for all the invoices, their promises, their history and their events."""

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers.repository import load_customer
from services.receivables.events import emit_invoices_changed, explain_invoice_changes
from services.receivables.invoices import repository
from services.receivables.invoices.repository import InvoiceRow
from services.receivables.invoices.rules import (
    CLOSED,
    FieldInvalid,
    StatusChange,
    TransitionRefused,
    check_manual_transition,
    status_details,
)
from services.receivables.invoices.schemas import InvoiceCreate, InvoiceOut, InvoiceUpdate, StatusChangeIn
from services.receivables.models import DisputeArea, Invoice
from services.receivables.payments.credits import apply_credits
from services.receivables.plans import repository as plans
from services.receivables.promises import repository as promises
from services.receivables.tenant_settings.repository import TenantProfile, load_profile
from services.receivables.timeline.repository import add_entries
from shared.contracts.common import InvoiceKind, InvoiceStatus
from shared.contracts.receivables import PlanStatus
from shared.identity import Identity
from shared.ids import uuid7_texts
from shared.problems import Conflict, NotFound, ValidationProblem

invoices = Invoice.__table__


def days_overdue(due_date: date, today: date) -> int:
    return (today - due_date).days


def invoice_out(row: InvoiceRow, today: date) -> InvoiceOut:
    """The API's invoice: the stored row and its days overdue at the tenant's ``today``."""
    return InvoiceOut.model_validate({**asdict(row), "days_overdue": days_overdue(row.due_date, today)})


async def create_invoice(session: AsyncSession, identity: Identity, data: InvoiceCreate) -> InvoiceRow:
    tenant_id = identity.tenant_id
    assert data.customer_id is not None  # resolved() set it from the id or the ERP's id (or answered 422)
    customer = await load_customer(session, tenant_id, data.customer_id)
    if customer is None:
        raise ValidationProblem.field("customer_id", "is not a customer of this tenant")
    profile = await load_profile(session, tenant_id)
    today = profile.today()
    status = InvoiceStatus.PAID if data.open == 0 else InvoiceStatus.NORMAL
    values = {
        **data.model_dump(exclude={"open_amount", "customer_external_id"}),
        "open_amount": data.open,
        "id": uuid.UUID(uuid7_texts(1)[0]),  # time-ordered: the timeline's order within a test clock's instant
        "tenant_id": tenant_id,
        "status": status,
        "closed_on": today if status == InvoiceStatus.PAID else None,
        "entered_at": profile.clock.now(),
    }
    try:
        async with session.begin_nested():
            row = await repository.insert_invoice(session, values)
    except IntegrityError:
        raise Conflict(f"An invoice with external_id {data.external_id!r} already exists") from None
    await emit_invoices_changed(session, tenant_id, [row.id], "created")
    credit_note = data.kind == InvoiceKind.CREDIT_NOTE
    await apply_credits(
        session, profile, [data.customer_id], identity.actor, credit_touched=[data.customer_id] if credit_note else ()
    )
    return await _reread(session, tenant_id, row.id)  # as credit left it


async def update_invoice(
    session: AsyncSession, identity: Identity, invoice_id: uuid.UUID, data: InvoiceUpdate
) -> InvoiceRow:
    (row,) = await _lock_one(session, identity.tenant_id, invoice_id)
    values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None or k == "document_url"}
    issue_date = values.get("issue_date", row.issue_date)
    if values.get("due_date", row.due_date) < issue_date:
        raise ValidationProblem.field("due_date", "cannot be before the issue date")
    if not values:
        return row
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return row
    updated = await repository.update_invoice(session, invoice_id, changed)
    await add_entries(
        session,
        identity.tenant_id,
        [
            {
                "customer_id": row.customer_id,
                "invoice_id": invoice_id,
                "kind": "invoice_updated",
                "summary": f"Invoice {updated.number} corrected: {', '.join(sorted(changed))}",
                "data": {k: {"from": getattr(row, k), "to": v} for k, v in changed.items()},
                "actor": identity.actor,
            }
        ],
    )
    await emit_invoices_changed(session, identity.tenant_id, [invoice_id], "corrected")
    return updated


async def _reread(session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> InvoiceRow:
    """The invoice as the writes of this transaction left it (it exists: it was locked or written)."""
    row = await repository.get_invoice(session, tenant_id, invoice_id)
    if row is None:
        raise NotFound("Invoice not found")
    return row


async def _lock_one(session: AsyncSession, tenant_id: uuid.UUID, invoice_id: uuid.UUID) -> list[InvoiceRow]:
    rows = await repository.lock_invoices(session, tenant_id, [invoice_id])
    if not rows:
        raise NotFound("Invoice not found")
    return rows


async def require_area(session: AsyncSession, tenant_id: uuid.UUID, area_id: uuid.UUID, field: str) -> DisputeArea:
    area = await session.scalar(
        select(DisputeArea).where(DisputeArea.tenant_id == tenant_id, DisputeArea.id == area_id)
    )
    if area is None:
        raise ValidationProblem.field(field, "is not a dispute area of this tenant")
    if not area.active:
        raise ValidationProblem.field(field, "is a dispute area that is no longer active")
    return area


# The manual changes that close an invoice without a payment.
ENDING = frozenset({InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF})


async def refuse_ending_an_installment(
    session: AsyncSession, tenant_id: uuid.UUID, row: InvoiceRow, target: InvoiceStatus
) -> None:
    """Issue 19: an installment of an accepted payment plan is not voided or written off by hand: its plan would
    neither complete (it waits for every installment to be paid) nor break (a closed installment is not missed) and
    its invoices would wait ``in_plan`` for ever. The plan is cancelled instead (``POST .../cancel``), which voids
    its unpaid installments and restores its invoices."""
    if row.kind != InvoiceKind.INSTALLMENT or row.plan_id is None or target not in ENDING:
        return
    plan = await plans.get_plan(session, tenant_id, row.plan_id)
    if plan is not None and plan.status == PlanStatus.ACCEPTED:
        raise Conflict(
            f"The invoice is an installment of payment plan {plan.number}: cancel the plan instead",
            current_status=row.status,
            requested_status=target.value,
        )


async def change_status(
    session: AsyncSession, identity: Identity, invoice_id: uuid.UUID, data: StatusChangeIn
) -> InvoiceRow:
    """A person changes one invoice's status (409 for a change the status machine refuses)."""
    tenant_id = identity.tenant_id
    (row,) = await _lock_one(session, tenant_id, invoice_id)
    profile = await load_profile(session, tenant_id)
    await refuse_ending_an_installment(session, tenant_id, row, data.status)
    try:
        check_manual_transition(row.status, data.status)
        promised, reported, area = status_details(
            data.status,
            today=profile.today(),
            promised_date=data.promised_date,
            reported_date=data.reported_date,
            dispute_area_id=data.dispute_area_id,
        )
    except TransitionRefused as exc:
        raise Conflict(str(exc), current_status=row.status, requested_status=data.status.value) from None
    except FieldInvalid as exc:
        raise ValidationProblem.field(exc.field, exc.message) from None
    if area is not None:
        await require_area(session, tenant_id, area, "dispute_area_id")  # type: ignore[arg-type]
    change = StatusChange(invoice_id, data.status, promised, reported, area)  # type: ignore[arg-type]
    await apply_status_changes(
        session, profile, [row], [change], actor=identity.actor, reason=data.reason or "status changed"
    )
    return await _reread(session, tenant_id, invoice_id)


async def apply_status_changes(
    session: AsyncSession,
    profile: TenantProfile,
    rows: Sequence[InvoiceRow],
    changes: Sequence[StatusChange],
    *,
    actor: str,
    reason: str,
    outcome_id: uuid.UUID | None = None,
    at: datetime | None = None,
    history_at: datetime | None = None,
) -> None:
    """Apply allowed changes to locked ``rows``: statuses and their details, promises opened or cancelled,
    the history (timeline) and one ``InvoiceChanged`` per invoice. Set-based: a few statements in all.

    ``at`` is when the change happened on the tenant's calendar (a back-dated outcome's ``occurred_at``; default
    the tenant's clock): the day a promise is made or ends, an invoice closes, and the history's place (or
    ``history_at``, for a caller that writes other entries of the same moment first)."""
    if not changes:
        return
    at = at or profile.clock.now()
    tenant_id, today = profile.tenant_id, profile.today(at)
    by_id = {r.id: r for r in rows}
    ids = [c.invoice_id for c in changes]
    await explain_invoice_changes(session, reason)
    await repository.set_statuses(session, tenant_id, changes, today, closed=[s.value for s in CLOSED])
    # Any change ends the invoice's open promise (a new promise replaces it); a promise opens one.
    await promises.cancel_open(session, tenant_id, ids, today)
    promised_ids = [c.invoice_id for c in changes if c.status == InvoiceStatus.PROMISE_TO_PAY]
    if promised_ids:
        await promises.open_for_invoices(session, tenant_id, promised_ids, outcome_id=outcome_id, actor=actor, at=at)
    await add_entries(
        session,
        tenant_id,
        [_history_entry(by_id[c.invoice_id], c, actor, reason, outcome_id) for c in changes],
        at=history_at or at,
    )
    await emit_invoices_changed(session, tenant_id, ids, reason)
    # A voided credit note takes its credit back; an invoice voided gives it back; one out of dispute may take some
    # (issue 12).
    credit_notes = [c.invoice_id for c in changes if by_id[c.invoice_id].kind == InvoiceKind.CREDIT_NOTE]
    closed = [c.invoice_id for c in changes if c.status in CLOSED and c.invoice_id not in credit_notes]
    await apply_credits(
        session,
        profile,
        {r.customer_id for r in rows},
        actor,
        changed_credit_notes=credit_notes,
        rewritten_invoices=closed,
        credit_touched={by_id[i].customer_id for i in credit_notes},
    )


def _history_entry(
    row: InvoiceRow, change: StatusChange, actor: str, reason: str, outcome_id: uuid.UUID | None
) -> dict[str, Any]:
    detail = ""
    if change.promised_date:
        detail = f" (promised for {change.promised_date.isoformat()})"
    elif change.reported_date:
        detail = f" (reported paid on {change.reported_date.isoformat()})"
    return {
        "customer_id": row.customer_id,
        "invoice_id": row.id,
        "kind": "status_change",
        "ref_id": outcome_id,
        "summary": f"Invoice {row.number}: {row.status} -> {change.status.value}{detail}",
        "data": {
            "from": row.status,
            "to": change.status.value,
            "promised_date": change.promised_date,
            "reported_date": change.reported_date,
            "dispute_area_id": change.dispute_area_id,
            "reason": reason,
            "outcome_id": outcome_id,
        },
        "actor": actor,
    }
