"""Alarms keeps the tenant's company holidays and holiday subdivision from ``dunning.calendar_changed`` (set in
dunning's settings): digests keep to the same business days as dunning."""

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.models import TenantCalendar
from shared.contracts.dunning import CalendarChanged
from shared.inbox import Received

FIELDS = ("holiday_subdivision", "company_holidays", "announced_at")


async def on_calendar_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CalendarChanged]]
) -> None:
    latest: dict[Any, dict[str, Any]] = {}
    for r in batch:
        row = {
            "tenant_id": r.tenant_id,
            "holiday_subdivision": r.message.holiday_subdivision,
            "company_holidays": sorted(set(r.message.company_holidays)),
            "announced_at": r.envelope.occurred_at,
        }
        if r.tenant_id not in latest or row["announced_at"] >= latest[r.tenant_id]["announced_at"]:
            latest[r.tenant_id] = row
    table = TenantCalendar.__table__
    statement = insert(table).values(list(latest.values()))
    # An older announcement arriving late never overwrites a newer one.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={name: statement.excluded[name] for name in FIELDS},
            where=table.c.announced_at <= statement.excluded.announced_at,
        )
    )
