"""Messaging keeps the tenant's company holidays and holiday subdivision from ``dunning.calendar_changed``.

They are set once, in dunning's settings (dunning was first to need them); messaging needs them too so that a
deferred message or a retry never lands on one (``domain.compliance.tenant_calendar``)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.messaging.models import TenantSettings
from shared.contracts.dunning import CalendarChanged
from shared.inbox import Received
from shared.projection import upsert_newest


async def on_calendar_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CalendarChanged]]
) -> None:
    rows = [
        {
            "tenant_id": r.tenant_id,
            "holiday_subdivision": r.message.holiday_subdivision,
            "company_holidays": sorted(set(r.message.company_holidays)),
            "calendar_at": r.envelope.occurred_at,
        }
        for r in batch
    ]
    fields = ("holiday_subdivision", "company_holidays")
    await upsert_newest(session, TenantSettings.__table__, rows, ("tenant_id",), "calendar_at", fields)
