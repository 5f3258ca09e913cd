"""Alarms keeps the tenant's company holidays and holiday subdivision from ``dunning.calendar_changed`` (set in
dunning's settings): digests keep to the same business days as dunning."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.models import TenantCalendar
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
            "announced_at": r.envelope.occurred_at,
        }
        for r in batch
    ]
    fields = ("holiday_subdivision", "company_holidays")
    await upsert_newest(session, TenantCalendar.__table__, rows, ("tenant_id",), "announced_at", fields)
