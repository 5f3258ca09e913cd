"""Receivables' word on each charge (``ChargeChanged``): dunning keeps its copy's status, so a waived or invoiced
charge drops out of the next messages."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.fees import repository
from shared.contracts.common import ChargeStatus
from shared.contracts.receivables import ChargeChanged
from shared.inbox import Received


async def on_charge_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[ChargeChanged]]) -> None:
    """The latest status of each charge of the batch, in one statement (a waived or invoiced charge is never made
    open again by a late 'recorded')."""
    latest: dict[Any, dict[str, Any]] = {}
    for r in sorted(batch, key=lambda r: r.envelope.occurred_at):
        m = r.message
        seen = latest.get((r.tenant_id, m.charge_id))
        if m.status == ChargeStatus.OPEN and seen is not None and seen["status"] != ChargeStatus.OPEN:
            continue
        latest[(r.tenant_id, m.charge_id)] = {"tenant_id": r.tenant_id, "id": m.charge_id, "status": m.status.value}
    await repository.set_statuses(session, list(latest.values()))
