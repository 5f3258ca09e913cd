"""Late charges: waived by a manager, invoiced by the ERP; each change announced (``ChargeChanged``) and logged on the
customer's timeline in the same transaction (recording them from dunning: ``handlers.py``)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.charges import repository
from services.receivables.charges.repository import ChargeRow
from services.receivables.charges.rules import refusal
from services.receivables.tenant_settings.repository import load_profile
from services.receivables.timeline.repository import add_entries
from services.receivables.timeline.schemas import TimelineKind
from shared.contracts.common import ChargeStatus
from shared.identity import Identity
from shared.problems import Conflict, NotFound


async def _close(
    session: AsyncSession,
    identity: Identity,
    charge_id: uuid.UUID,
    target: ChargeStatus,
    values: dict[str, Any],
    at: datetime,
) -> ChargeRow:
    """Close an open charge (``values``: its new state, at ``at`` on the tenant's clock), log it and announce it;
    404 when it is not the tenant's, 409 when it is no longer open."""
    row = await repository.close_open(session, identity.tenant_id, charge_id, values)
    if row is None:
        current = await repository.get_charge(session, identity.tenant_id, charge_id)
        if current is None:
            raise NotFound("Charge not found")
        raise Conflict(refusal(ChargeStatus(current.status), target))
    what = "waived" if target is ChargeStatus.WAIVED else f"invoiced as {row.erp_document}"
    entry = {
        "customer_id": row.customer_id,
        "kind": TimelineKind.CHARGE.value,
        "invoice_id": row.invoice_id,
        "ref_id": row.id,
        "summary": f"Late charge {what}: {row.description} ({row.currency} {row.amount})"[:500],
        "data": {
            "charge_id": row.id,
            "key": row.key,
            "kind": row.kind,
            "description": row.description,
            "currency": row.currency,
            "amount": str(row.amount),
            "charged_on": row.charged_on,
            "status": row.status,
            "reason": row.waive_reason,
            "erp_document": row.erp_document,
        },
        "actor": identity.actor,
    }
    await add_entries(session, identity.tenant_id, [entry], at=at)
    await repository.emit_charges_changed(session, identity.tenant_id, [row.id])
    return row


async def waive(session: AsyncSession, identity: Identity, charge_id: uuid.UUID, reason: str) -> ChargeRow:
    """A manager forgives an open charge, with a reason (409 when it is not open)."""
    now = (await load_profile(session, identity.tenant_id)).clock.now()
    values = {
        "status": ChargeStatus.WAIVED.value,
        "waived_by": identity.actor,
        "waived_at": now,
        "waive_reason": reason,
    }
    return await _close(session, identity, charge_id, ChargeStatus.WAIVED, values, now)


async def mark_invoiced(
    session: AsyncSession, identity: Identity, charge_id: uuid.UUID, erp_document: str
) -> ChargeRow:
    """The ERP invoiced an open charge (409 when it is not open): its document carries the debt from now on."""
    now = (await load_profile(session, identity.tenant_id)).clock.now()
    values = {"status": ChargeStatus.INVOICED.value, "erp_document": erp_document, "invoiced_at": now}
    return await _close(session, identity, charge_id, ChargeStatus.INVOICED, values, now)
