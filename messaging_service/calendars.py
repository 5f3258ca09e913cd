"""Messaging keeps the tenant's company holidays and holiday subdivision from ``dunning.calendar_changed``.

They are set once, in dunning's settings (dunning was first to need them); messaging needs them too so that a
deferred message or a retry never lands on one (``domain.compliance.tenant_calendar``)."""

from typing import Any

from sqlalchemy import or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import TenantSettings
from shared.contracts.dunning import CalendarChanged
from shared.inbox import Received

FIELDS = ("holiday_subdivision", "company_holidays", "calendar_at")


async def on_calendar_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CalendarChanged]]
) -> None:
    latest: dict[Any, Received[CalendarChanged]] = {}
    for received in batch:
        current = latest.get(received.tenant_id)
        if current is None or received.envelope.occurred_at >= current.envelope.occurred_at:
            latest[received.tenant_id] = received
    rows = [
        {
            "tenant_id": tenant_id,
            "holiday_subdivision": r.message.holiday_subdivision,
            "company_holidays": sorted(set(r.message.company_holidays)),
            "calendar_at": r.envelope.occurred_at,
        }
        for tenant_id, r in latest.items()
    ]
    table = TenantSettings.__table__
    statement = insert(table).values(rows)
    # An older announcement arriving late never overwrites a newer one.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={name: statement.excluded[name] for name in FIELDS},
            where=or_(table.c.calendar_at.is_(None), table.c.calendar_at <= statement.excluded.calendar_at),
        )
    )
