"""What a run needs to know about its tenant: calendar, "today", tolerances, strategies."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.strategies import convert
from dunning_service.strategies.repository import live_strategies
from dunning_service.strategies.rules import Strategy
from dunning_service.tenant_settings.repository import TenantRow, tenant_row
from shared.calendar import BusinessCalendar
from shared.clock import KeepsTenantClock, wall_now


@dataclass(frozen=True)
class TenantContext(KeepsTenantClock):
    tenant_id: uuid.UUID
    name: str | None = None
    country: str | None = None
    timezone: str | None = None
    language: str | None = None
    automatic: bool = True
    run_hour: int = 8
    tolerances: dict[str, Decimal] = field(default_factory=dict)
    action_owner_id: uuid.UUID | None = None
    reply_pause_days: int = 3
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    sandbox: bool = False
    test_clock: datetime | None = None


def tenant_context(tenant_id: uuid.UUID, row: TenantRow | None) -> TenantContext:
    """The tenant's context from its row; a tenant not known yet takes the defaults."""
    if row is None:
        return TenantContext(tenant_id)
    return TenantContext(
        tenant_id=tenant_id,
        name=row.name,
        country=row.country,
        timezone=row.timezone,
        language=row.language,
        automatic=row.automatic,
        run_hour=row.run_hour,
        tolerances={k.upper(): Decimal(str(v)) for k, v in (row.tolerances or {}).items()},
        action_owner_id=row.action_owner_id,
        reply_pause_days=row.reply_pause_days,
        calendar=BusinessCalendar(
            country=row.country,
            subdivision=row.holiday_subdivision,
            extra_holidays=frozenset(row.extra_holidays or ()),
            language=row.language,
        ),
        sandbox=row.sandbox,
        test_clock=row.test_clock,
    )


async def load_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> TenantContext:
    return tenant_context(tenant_id, await tenant_row(session, tenant_id))


async def load_strategies(
    session: AsyncSession, tenant_id: uuid.UUID, preview: uuid.UUID | None = None
) -> list[Strategy]:
    """The live strategies; ``preview`` treats one inactive strategy as switched on (forecast)."""
    rows = await live_strategies(session, tenant_id)
    strategies = []
    for row in rows:
        strategy = convert.to_domain(row)
        if preview is not None and row.id == preview and not strategy.active:
            strategy = Strategy(**{**_fields(strategy), "active": True})
        strategies.append(strategy)
    return strategies


def _fields(strategy: Strategy) -> dict[str, Any]:
    return {name: getattr(strategy, name) for name in Strategy.__dataclass_fields__}


def pending_cutoff(hours: int, now: datetime | None = None) -> datetime:
    """Communications handed to messaging before this moment and still not accepted no longer block."""
    return (now or wall_now()) - timedelta(hours=hours)
