"""Per-tenant alarm settings: on or off, the local hour, the days, the thresholds; and when each goes next."""

import dataclasses
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import select

from services.alarms import rules
from services.alarms.alarm_settings import repository
from services.alarms.alarm_settings.schemas import AlarmSettingsOut, AlarmSettingsUpdate
from services.alarms.models import ScheduleSlot
from services.alarms.rules import WEEKDAY_NAMES, Alarm, AlarmSchedule, Cadence
from shared.calendar import BusinessCalendar
from shared.clock import wall_now
from shared.db import EngineDep, SessionDep
from shared.identity import ADMIN, MANAGER, READERS, Identity, require_roles
from shared.problems import ValidationProblem, problem_responses

router = APIRouter(prefix="/v1/alarm-settings", tags=["alarm-settings"], responses=problem_responses(401, 403))

Reader = Annotated[Identity, Depends(require_roles(*READERS))]
Manager = Annotated[Identity, Depends(require_roles(ADMIN, MANAGER))]


def _alarm_out(schedule: AlarmSchedule, now: Any, done: set[str], business: BusinessCalendar) -> dict[str, Any]:
    out: dict[str, Any] = {
        "enabled": schedule.enabled,
        "cadence": schedule.cadence,
        "hour": schedule.hour,
        "next_at": rules.next_due(schedule, now, done, business) if now is not None else None,
    }
    if schedule.cadence is Cadence.DAILY:
        out["weekdays"] = [WEEKDAY_NAMES[d - 1] for d in sorted(schedule.weekdays)]
    else:
        out["weekday"] = WEEKDAY_NAMES[schedule.weekday - 1]
    if schedule.alarm is Alarm.BROKEN_PROMISES:
        out["lookback_days"] = schedule.lookback_days
    if schedule.alarm is Alarm.PAYMENTS_REPORTED:
        out["threshold_days"] = schedule.threshold_days
    return out


async def _out(db: Any, identity: Identity) -> dict[str, Any]:
    tenant = await repository.load_tenant(db, identity.tenant_id)
    schedules = await repository.load_schedules(db, identity.tenant_id)
    now = rules.local_now(tenant.clock.now(), tenant.timezone) if tenant else None  # on its clock (issue 15)
    business = tenant.calendar if tenant else rules.NO_HOLIDAYS
    slots = ScheduleSlot.__table__
    done: dict[str, set[str]] = {a.value: set() for a in Alarm}
    if now is not None:
        taken = await db.execute(
            select(slots.c.alarm, slots.c.period).where(
                slots.c.tenant_id == identity.tenant_id, slots.c.created_at > wall_now() - timedelta(days=8)
            )
        )
        for alarm, per in taken:
            done.setdefault(alarm, set()).add(per)
    return {
        "timezone": tenant.timezone if tenant else None,
        "language": tenant.language if tenant else None,
        "today": now.date() if now else None,
        **{alarm.value: _alarm_out(schedules[alarm], now, done[alarm.value], business) for alarm in Alarm},
    }


@router.get("", response_model=AlarmSettingsOut)
async def get_alarm_settings(identity: Reader, engine: EngineDep) -> dict[str, Any]:
    """Each alarm's setting and when its next digest is due."""
    async with engine.connect() as conn:
        return await _out(conn, identity)


def merge(current: AlarmSchedule, alarm: Alarm, changes: dict[str, Any]) -> tuple[AlarmSchedule, list[dict[str, str]]]:
    """The alarm's setting with ``changes`` applied, or the errors naming each field."""
    errors = []
    values: dict[str, Any] = {}
    for name, value in changes.items():
        where = f"{alarm.value}.{name}"
        if name == "weekdays":
            days = [WEEKDAY_NAMES.index(d) + 1 for d in value]
            if len(set(days)) != len(days):
                errors.append({"field": where, "message": "names a day twice"})
            values[name] = frozenset(days)
        elif name == "weekday":
            values[name] = WEEKDAY_NAMES.index(value) + 1
        else:
            values[name] = value
    return dataclasses.replace(current, **values), errors


@router.patch("", response_model=AlarmSettingsOut, responses=problem_responses(422))
async def update_alarm_settings(identity: Manager, data: AlarmSettingsUpdate, session: SessionDep) -> dict[str, Any]:
    """Change some alarms' settings; fields left out stay as they are. Hours are the tenant's local time."""
    current = await repository.load_schedules(session, identity.tenant_id)
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
    await repository.save_schedules(session, identity.tenant_id, changed, identity.actor)
    return await _out(session, identity)
