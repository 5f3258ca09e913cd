"""Dunning's settings hold the tenant's company holidays and holiday subdivision; messaging and alarms need the
same business days, so every change is announced (``dunning.calendar_changed``, the whole state) in the same
transaction."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.models import Tenant, outbox
from shared.contracts.dunning import CalendarChanged
from shared.outbox import emit

CALENDAR_FIELDS = frozenset({"holiday_subdivision", "extra_holidays"})


async def announce_calendar(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    table = Tenant.__table__
    row = (
        await session.execute(
            select(table.c.holiday_subdivision, table.c.extra_holidays).where(table.c.tenant_id == tenant_id)
        )
    ).first()
    subdivision, company_holidays = (row.holiday_subdivision, row.extra_holidays) if row else (None, [])
    await emit(
        session,
        outbox,
        tenant_id,
        CalendarChanged(holiday_subdivision=subdivision, company_holidays=sorted(company_holidays or [])),
    )
