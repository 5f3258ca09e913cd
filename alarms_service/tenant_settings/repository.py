"""The tenant as alarms knows it (from the gateway's events) and its alarm settings."""

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.models import AlarmSetting, ScheduleSlot, Tenant, TenantCalendar
from alarms_service.tenant_settings.rules import DEFAULTS, Alarm, AlarmSchedule
from shared.calendar import BusinessCalendar
from shared.clock import KeepsTenantClock

_settings = AlarmSetting.__table__
_slots = ScheduleSlot.__table__
_tenants = Tenant.__table__
_calendars = TenantCalendar.__table__


@dataclass(frozen=True)
class TenantView(KeepsTenantClock):
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
    def calendar(self) -> BusinessCalendar:
        """Its business days: the country's (and subdivision's) public holidays and the company holidays."""
        return BusinessCalendar(self.country, self.holiday_subdivision, self.company_holidays)


@dataclass(frozen=True)
class TakenSlot:
    """A period of an alarm the scheduler has taken (its digest was queued)."""

    alarm: str
    period: str


def _tenants_with_calendars() -> Select[Any]:
    """Tenants joined to their calendar (a tenant whose calendar was never announced has no company holidays)."""
    return select(_tenants, _calendars.c.holiday_subdivision, _calendars.c.company_holidays).select_from(
        _tenants.outerjoin(_calendars, _calendars.c.tenant_id == _tenants.c.tenant_id)
    )


def _tenant_view(row: Mapping[str, Any]) -> TenantView:
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


async def load_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> TenantView | None:
    query = _tenants_with_calendars().where(_tenants.c.tenant_id == tenant_id)
    row = (await session.execute(query)).mappings().first()
    return _tenant_view(row) if row is not None else None


async def active_tenants(session: AsyncSession, tenant_id: uuid.UUID | None = None) -> list[TenantView]:
    """Every active tenant (or only ``tenant_id``, if active)."""
    query = _tenants_with_calendars().where(_tenants.c.active.is_(True))
    if tenant_id is not None:
        query = query.where(_tenants.c.tenant_id == tenant_id)
    return [_tenant_view(row) for row in (await session.execute(query)).mappings()]


def _schedule_of(alarm: Alarm, row: RowMapping | None) -> AlarmSchedule:
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
        spread_percent=row["spread_percent"],
        contacts_per_day=row["contacts_per_day"],
        thresholds={currency: Decimal(amount) for currency, amount in (row["thresholds"] or {}).items()},
    )


async def load_schedules(session: AsyncSession, tenant_id: uuid.UUID) -> dict[Alarm, AlarmSchedule]:
    """Each alarm's setting for the tenant; an alarm never set has the defaults."""
    return (await schedules_by_tenant(session, tenant_id)).get(tenant_id, dict(DEFAULTS))


async def schedules_by_tenant(
    session: AsyncSession, tenant_id: uuid.UUID | None = None
) -> dict[uuid.UUID, dict[Alarm, AlarmSchedule]]:
    """Each alarm's setting of every tenant that set one (or of ``tenant_id`` only), in one read; a tenant absent
    from the answer has the defaults."""
    query = select(_settings)
    if tenant_id is not None:
        query = query.where(_settings.c.tenant_id == tenant_id)
    rows: dict[uuid.UUID, dict[str, RowMapping]] = defaultdict(dict)
    for row in (await session.execute(query)).mappings():
        rows[row["tenant_id"]][row["alarm"]] = row
    return {t: {alarm: _schedule_of(alarm, set_.get(alarm.value)) for alarm in Alarm} for t, set_ in rows.items()}


async def taken_periods(session: AsyncSession, tenant_id: uuid.UUID, since: datetime) -> list[TakenSlot]:
    """The periods the scheduler took for the tenant since ``since``."""
    query = select(_slots.c.alarm, _slots.c.period).where(_slots.c.tenant_id == tenant_id, _slots.c.created_at > since)
    return [TakenSlot(alarm=r.alarm, period=r.period) for r in await session.execute(query)]


async def save_schedules(
    session: AsyncSession, tenant_id: uuid.UUID, schedules: list[AlarmSchedule], actor: str
) -> None:
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
            "spread_percent": s.spread_percent,
            "contacts_per_day": s.contacts_per_day,
            "thresholds": {currency: str(amount) for currency, amount in s.thresholds.items()},
            "updated_by": actor,
        }
        for s in schedules
    ]
    if not rows:
        return
    statement = insert(_settings).values(rows)
    fields = (
        "enabled",
        "hour",
        "weekdays",
        "weekday",
        "threshold_days",
        "lookback_days",
        "spread_percent",
        "contacts_per_day",
        "thresholds",
        "updated_by",
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "alarm"],
            set_={**{f: statement.excluded[f] for f in fields}, "updated_at": statement.excluded.updated_at},
        )
    )
