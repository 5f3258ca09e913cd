"""The tenant's dunning settings as stored (``dunning.tenants``: the gateway's profile, receivables' action owner
and dunning's own settings)."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.models import Tenant
from shared.db import row_as


@dataclass(frozen=True, slots=True)
class CalendarAndResync:
    """What the settings show beyond the run's tenant context: the holiday subdivision and company holidays as set,
    and the last resync's report."""

    holiday_subdivision: str | None = None
    extra_holidays: tuple[date, ...] = ()
    last_resync: dict[str, Any] | None = None
    fee_rules: tuple[dict[str, Any], ...] = ()
    legal_max_annual_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TenantRow:
    """The tenant as a run sees it (``runs.context.TenantContext`` is built from it)."""

    name: str | None
    country: str | None
    timezone: str | None
    language: str | None
    automatic: bool
    run_hour: int
    tolerances: dict[str, str] | None
    action_owner_id: uuid.UUID | None
    reply_pause_days: int
    holiday_subdivision: str | None
    extra_holidays: list[date] | None
    sandbox: bool
    test_clock: datetime | None
    fee_rules: list[dict[str, Any]] = field(default_factory=list)  # issue 19: the default fee rules
    legal_max_annual_rate: Decimal | None = None


async def tenant_row(session: AsyncSession, tenant_id: uuid.UUID) -> TenantRow | None:
    """The tenant's row; None before the gateway announced it or a setting was saved."""
    table = Tenant.__table__
    row = (await session.execute(select(table).where(table.c.tenant_id == tenant_id))).mappings().first()
    return None if row is None else row_as(TenantRow, row)


async def calendar_and_resync(session: AsyncSession, tenant_id: uuid.UUID) -> CalendarAndResync:
    table = Tenant.__table__
    query = select(
        table.c.holiday_subdivision,
        table.c.extra_holidays,
        table.c.last_resync,
        table.c.fee_rules,
        table.c.legal_max_annual_rate,
    ).where(table.c.tenant_id == tenant_id)
    row = (await session.execute(query)).first()
    if row is None:
        return CalendarAndResync()
    return CalendarAndResync(
        row.holiday_subdivision,
        tuple(sorted(row.extra_holidays or [])),
        row.last_resync,
        tuple(row.fee_rules or ()),
        row.legal_max_annual_rate,
    )


async def save_settings(session: AsyncSession, tenant_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Set ``values`` (checked columns of ``dunning.tenants``), creating the tenant's row if the gateway's
    announcement has not come yet."""
    statement = insert(Tenant).values(tenant_id=tenant_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["tenant_id"], set_={k: statement.excluded[k] for k in values})
    )
