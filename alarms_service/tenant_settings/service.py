"""A tenant's alarm settings as the API shows them (each alarm's setting and when it goes next), and their change."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.digests import rules as digest_rules
from alarms_service.tenant_settings import repository
from alarms_service.tenant_settings.rules import WEEKDAY_NAMES, Alarm, AlarmSchedule, Cadence, merge
from alarms_service.tenant_settings.schemas import AlarmSettingsUpdate
from shared.calendar import BusinessCalendar
from shared.clock import wall_now
from shared.problems import ValidationProblem

# Slots are taken once per period (a week at most): how far back the taken ones are read.
TAKEN_LOOKBACK = timedelta(days=8)


def _alarm_out(
    schedule: AlarmSchedule, now: datetime | None, done: set[str], business: BusinessCalendar
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "enabled": schedule.enabled,
        "cadence": schedule.cadence,
        "hour": schedule.hour,
        "next_at": digest_rules.next_due(schedule, now, done, business) if now is not None else None,
    }
    if schedule.cadence is Cadence.DAILY:
        out["weekdays"] = [WEEKDAY_NAMES[d - 1] for d in sorted(schedule.weekdays)]
    else:
        out["weekday"] = WEEKDAY_NAMES[schedule.weekday - 1]
    if schedule.alarm in (Alarm.BROKEN_PROMISES, Alarm.PLANS_BROKEN):
        out["lookback_days"] = schedule.lookback_days
    if schedule.alarm is Alarm.PAYMENTS_REPORTED:
        out["threshold_days"] = schedule.threshold_days
    if schedule.alarm is Alarm.WORKLOAD:
        out["spread_percent"] = schedule.spread_percent
    if schedule.alarm is Alarm.OVERDUE_THRESHOLD:
        out["thresholds"] = dict(schedule.thresholds)
    if schedule.alarm is Alarm.CONTACT_RATE:
        out["contacts_per_day"] = schedule.contacts_per_day
    return out


async def settings_out(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Any]:
    """Each alarm's setting and its next digest, on the tenant's clock (issue 15)."""
    tenant = await repository.load_tenant(session, tenant_id)
    schedules = await repository.load_schedules(session, tenant_id)
    now = digest_rules.local_now(tenant.clock.now(), tenant.timezone) if tenant else None
    business = tenant.calendar if tenant else digest_rules.NO_HOLIDAYS
    done: dict[str, set[str]] = {a.value: set() for a in Alarm}
    if now is not None:
        for slot in await repository.taken_periods(session, tenant_id, since=wall_now() - TAKEN_LOOKBACK):
            done.setdefault(slot.alarm, set()).add(slot.period)
    return {
        "timezone": tenant.timezone if tenant else None,
        "language": tenant.language if tenant else None,
        "today": now.date() if now else None,
        **{alarm.value: _alarm_out(schedules[alarm], now, done[alarm.value], business) for alarm in Alarm},
    }


async def update_settings(session: AsyncSession, tenant_id: uuid.UUID, data: AlarmSettingsUpdate, actor: str) -> None:
    """Apply the parts of ``data`` that are set; a problem in any of them changes nothing."""
    current = await repository.load_schedules(session, tenant_id)
    changed: list[AlarmSchedule] = []
    errors: list[dict[str, str]] = []
    for alarm in Alarm:
        part = getattr(data, alarm.value)
        if part is None:
            continue
        schedule, problems = merge(current[alarm], alarm, part.model_dump(exclude_unset=True))
        errors.extend(problems)
        changed.append(schedule)
    if errors:
        raise ValidationProblem(errors)
    await repository.save_schedules(session, tenant_id, changed, actor)
