"""The tenant as alarms knows it (from the gateway's events) and its alarm settings."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.alarms.models import AlarmSetting, Tenant, TenantCalendar
from services.alarms.rules import DEFAULTS, Alarm, AlarmSchedule
from shared.calendar import BusinessCalendar
from shared.clock import TenantClock

Db = AsyncConnection | AsyncSession

_settings = AlarmSetting.__table__
_tenants = Tenant.__table__
_calendars = TenantCalendar.__table__


@dataclass(frozen=True)
class TenantView:
    tenant_id: uuid.UUID
    name: str | None
    country: str | None
    timezone: str | None
    language: str | None
    active: bool
    holiday_subdivision: str | None = None
    company_holidays: frozenset[date] = field(default_factory=frozenset)
    sandbox: bool = False
    test_clock: datetime | None = None

    @property
    def clock(self) -> TenantClock:
        """The tenant's clock (issue 15): its test clock when it is a sandbox with one, else the wall clock."""
        return TenantClock(self.timezone, self.test_clock)

    @property
    def calendar(self) -> BusinessCalendar:
        """Its business days: the country's (and subdivision's) public holidays and the company holidays."""
        return business_calendar(self.country, self.holiday_subdivision, self.company_holidays)


def business_calendar(country: str | None, subdivision: str | None, company_holidays: Any) -> BusinessCalendar:
    return BusinessCalendar(country, subdivision, frozenset(company_holidays or ()))


def tenants_with_calendars() -> Any:
    """Tenants joined to their calendar (a tenant whose calendar was never announced has no company holidays)."""
    return select(_tenants, _calendars.c.holiday_subdivision, _calendars.c.company_holidays).select_from(
        _tenants.outerjoin(_calendars, _calendars.c.tenant_id == _tenants.c.tenant_id)
    )


async def load_tenant(db: Db, tenant_id: uuid.UUID) -> TenantView | None:
    query = tenants_with_calendars().where(_tenants.c.tenant_id == tenant_id)
    row = (await db.execute(query)).mappings().first()
    if row is None:
        return None
    return TenantView(
        tenant_id=row["tenant_id"],
        name=row["name"],
        country=row["country"],
        timezone=row["timezone"],
        language=row["language"],
        active=row["active"],
        holiday_subdivision=row["holiday_subdivision"],
        company_holidays=frozenset(row["company_holidays"] or ()),
        sandbox=row["sandbox"],
        test_clock=row["test_clock"],
    )


def schedule_of(alarm: Alarm, row: Any | None) -> AlarmSchedule:
    if row is None:
        return DEFAULTS[alarm]
    return AlarmSchedule(
        alarm=alarm,
        enabled=row["enabled"],
        hour=row["hour"],
        weekdays=frozenset(row["weekdays"]),
        weekday=row["weekday"],
        threshold_days=row["threshold_days"],
        lookback_days=row["lookback_days"],
    )


async def load_schedules(db: Db, tenant_id: uuid.UUID) -> dict[Alarm, AlarmSchedule]:
    result = await db.execute(select(_settings).where(_settings.c.tenant_id == tenant_id))
    rows = {r["alarm"]: r for r in result.mappings()}
    return {alarm: schedule_of(alarm, rows.get(alarm.value)) for alarm in Alarm}


async def save_schedules(db: Db, tenant_id: uuid.UUID, schedules: list[AlarmSchedule], actor: str) -> None:
    rows = [
        {
            "tenant_id": tenant_id,
            "alarm": s.alarm.value,
            "enabled": s.enabled,
            "hour": s.hour,
            "weekdays": sorted(s.weekdays),
            "weekday": s.weekday,
            "threshold_days": s.threshold_days,
            "lookback_days": s.lookback_days,
            "updated_by": actor,
        }
        for s in schedules
    ]
    if not rows:
        return
    statement = insert(_settings).values(rows)
    fields = ("enabled", "hour", "weekdays", "weekday", "threshold_days", "lookback_days", "updated_by")
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "alarm"],
            set_={**{f: statement.excluded[f] for f in fields}, "updated_at": statement.excluded.updated_at},
        )
    )
