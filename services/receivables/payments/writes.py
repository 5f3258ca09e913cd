"""Writing what money moved: invoices whose open amount or status changed (shared by payments and credits,
``credits.py``), and a batch's payments, allocations and timeline entries (``service.apply_payments``)."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import explain_invoice_changes
from services.receivables.invoices.schemas import quantize
from services.receivables.models import Payment, PaymentAllocation
from services.receivables.payments.rules import ZERO, Ledger, named_key
from services.receivables.plans.lifecycle import after_money
from services.receivables.promises.rules import on_payment
from services.receivables.tenant_settings.repository import TenantProfile
from services.receivables.timeline.repository import add_entries
from shared.contracts.common import InvoiceStatus

if TYPE_CHECKING:
    from services.receivables.payments.batch import Plan

payments = Payment.__table__
allocations_table = PaymentAllocation.__table__


@dataclass(slots=True)
class InvoiceState:
    customer_id: uuid.UUID
    currency: str
    number: str
    status: str
    original_status: str
    closed_on: date | None
    promised_date: date | None
    paid_on: date | None = None
    external_id: str | None = None


async def write_invoices(
    session: AsyncSession,
    profile: TenantProfile,
    states: dict[uuid.UUID, InvoiceState],
    ledger: Ledger,
    actor: str,
    reason: str,
) -> list[uuid.UUID]:
    """One UPDATE for every invoice whose open amount or status moved; promises of paid invoices resolved.
    ``reason`` says why, for the status changes it announces."""
    touched = [i for i, s in states.items() if s.status != s.original_status or ledger.changed(i)]
    if not touched:
        return []
    await explain_invoice_changes(session, reason)
    await session.execute(
        text(
            "UPDATE receivables.invoices i SET open_amount = u.open_amount, status = u.status, "
            "closed_on = u.closed_on, revision = i.revision + 1, updated_at = now(), "
            "promised_date = CASE WHEN u.status = i.status THEN i.promised_date END, "
            "reported_date = CASE WHEN u.status = i.status THEN i.reported_date END, "
            "dispute_area_id = CASE WHEN u.status = i.status THEN i.dispute_area_id END "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:open AS numeric[]), CAST(:statuses AS text[]), "
            "CAST(:closed AS date[])) AS u(id, open_amount, status, closed_on) "
            "WHERE i.tenant_id = :tenant_id AND i.id = u.id"
        ),
        {
            "tenant_id": profile.tenant_id,
            "ids": touched,
            "open": [ledger.items[i].open_amount for i in touched],
            "statuses": [str(states[i].status) for i in touched],
            "closed": [states[i].closed_on for i in touched],
        },
    )
    # A promise whose invoice got fully paid is kept, or broken when paid after the deadline (promises/rules.py).
    resolved = [
        (i, s.paid_on, on_payment(s.promised_date, profile.promise_grace_days, s.paid_on))
        for i, s in states.items()
        if i in touched and s.original_status == InvoiceStatus.PROMISE_TO_PAY and s.paid_on and s.promised_date
    ]
    if resolved:
        await session.execute(
            text(
                "UPDATE receivables.promises p SET resolved_on = u.paid_on, status = u.status "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:paid AS date[]), CAST(:statuses AS text[])) "
                "AS u(id, paid_on, status) "
                "WHERE p.tenant_id = :tenant_id AND p.invoice_id = u.id AND p.status = 'open'"
            ),
            {
                "tenant_id": profile.tenant_id,
                "ids": [i for i, _, _ in resolved],
                "paid": [d for _, d, _ in resolved],
                "statuses": [str(st) for _, _, st in resolved],
            },
        )
    # Installments paid: their plans announced, completed when every installment is paid (issue 19).
    await after_money(session, profile.tenant_id, profile.today(), touched, actor)
    return touched


async def write_payments(
    session: AsyncSession, tenant_id: uuid.UUID, plans: "list[Plan]", today: date, actor: str
) -> None:
    def values(plan: "Plan") -> dict[str, Any]:
        row = plan.row
        return {
            "customer_id": row.customer_id,
            "external_id": row.external_id,
            "currency": row.currency,
            "amount": row.amount,
            "unapplied_amount": plan.unapplied,
            "payment_date": row.payment_date,
            "reference": row.reference,
            "named_invoices": named_key(plan.named),
            "source_version": row.version,
        }

    created = [
        {"id": p.payment_id, "tenant_id": tenant_id, "status": "applied", "created_by": actor, **values(p)}
        for p in plans
        if p.action == "create"
    ]
    if created:
        await session.execute(insert(payments), created)
    for plan in plans:  # rare (a corrected or reversed payment): one statement each is fine
        if plan.action == "reapply":
            await session.execute(
                payments.update()
                .where(payments.c.id == plan.payment_id)
                .values(**values(plan), revision=payments.c.revision + 1, updated_at=text("now()"))
            )
        elif plan.action == "reverse":
            await session.execute(
                payments.update()
                .where(payments.c.id == plan.payment_id)
                .values(
                    status="reversed",
                    reversed_on=today,
                    reversal_reason=plan.row.reversal_reason,
                    unapplied_amount=quantize(ZERO, plan.old.currency),
                    revision=payments.c.revision + 1,
                    updated_at=text("now()"),
                )
            )
    undone = [p.payment_id for p in plans if p.action != "create"]
    if undone:
        await session.execute(
            allocations_table.update()
            .where(allocations_table.c.payment_id.in_(undone), allocations_table.c.reversed_at.is_(None))
            .values(reversed_at=text("now()"))
        )
    new_allocations = [
        {
            "tenant_id": tenant_id,
            "payment_id": p.payment_id,
            "invoice_id": invoice_id,
            "amount": amount,
            "payment_date": p.row.payment_date,
        }
        for p in plans
        for invoice_id, amount in p.allocations
    ]
    if new_allocations:
        await session.execute(insert(allocations_table), new_allocations)


async def write_timeline(
    session: AsyncSession, tenant_id: uuid.UUID, plans: "list[Plan]", states: dict[uuid.UUID, InvoiceState], actor: str
) -> None:
    entries: list[dict[str, Any]] = []
    for plan in plans:
        row = plan.row
        if plan.action == "reverse":
            old = plan.old
            entries.append(
                {
                    "customer_id": old.customer_id,
                    "kind": "payment_reversed",
                    "ref_id": plan.payment_id,
                    "summary": f"Payment of {old.currency} {old.amount} reversed: {row.reversal_reason or ''}".strip(),
                    "data": {
                        "payment_id": plan.payment_id,
                        "reason": row.reversal_reason,
                        "restored": [{"invoice_id": i, "amount": a} for i, a in plan.undone],
                    },
                    "actor": actor,
                }
            )
            continue
        verb = "received" if plan.action == "create" else "corrected"
        entries.append(
            {
                "customer_id": row.customer_id,
                "kind": "payment",
                "ref_id": plan.payment_id,
                "summary": f"Payment of {row.currency} {row.amount} {verb}"
                + (f" ({row.reference})" if row.reference else ""),
                "data": {
                    "payment_id": plan.payment_id,
                    "external_id": row.external_id,
                    "payment_date": row.payment_date,
                    "amount": row.amount,
                    "currency": row.currency,
                    "allocations": [
                        {"invoice_id": i, "number": states[i].number, "amount": a} for i, a in plan.allocations
                    ],
                    "unapplied_amount": plan.unapplied,
                },
                "actor": actor,
            }
        )
    for invoice_id, state in states.items():
        if state.status != state.original_status:
            entries.append(
                {
                    "customer_id": state.customer_id,
                    "invoice_id": invoice_id,
                    "kind": "status_change",
                    "summary": f"Invoice {state.number}: {state.original_status} -> {state.status}",
                    "data": {"from": state.original_status, "to": str(state.status), "reason": "payment"},
                    "actor": actor,
                }
            )
    await add_entries(session, tenant_id, entries)
