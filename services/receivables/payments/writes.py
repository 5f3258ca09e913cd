"""Writing invoices whose open amount or status money moved: shared by payments and credits (``credits.py``)."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import explain_invoice_changes
from services.receivables.payments.rules import Ledger
from services.receivables.promises.rules import on_payment
from services.receivables.tenant_settings.repository import TenantProfile
from shared.contracts.common import InvoiceStatus


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
    return touched
