"""The tenant's dunning settings: shown with the tenant's context, checked field by field, saved, and the calendar
announced when it changed."""

import uuid
from decimal import Decimal
from typing import Any

import holidays
from sqlalchemy.ext.asyncio import AsyncSession

from services.dunning.runs.context import load_tenant
from services.dunning.tenant_settings import repository
from services.dunning.tenant_settings.calendar import CALENDAR_FIELDS, announce_calendar
from services.dunning.tenant_settings.schemas import ACTION_OWNER_OWNER, DunningSettingsUpdate
from shared.money import ISO_4217, check_precision
from shared.problems import ValidationProblem


async def settings_out(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Any]:
    tenant = await load_tenant(session, tenant_id)
    stored = await repository.calendar_and_resync(session, tenant_id)
    today = tenant.today()
    return {
        "country": tenant.country,
        "timezone": tenant.timezone,
        "language": tenant.language,
        "today": today,
        "business_day_today": tenant.calendar.is_business_day(today),
        "automatic": tenant.automatic,
        "run_hour": tenant.run_hour,
        "tolerances": tenant.tolerances,
        "holiday_subdivision": stored.holiday_subdivision,
        "extra_holidays": list(stored.extra_holidays),
        "action_owner_id": tenant.action_owner_id,
        "reply_pause_days": tenant.reply_pause_days,
        "last_resync": stored.last_resync,
    }


async def update_settings(session: AsyncSession, tenant_id: uuid.UUID, data: DunningSettingsUpdate) -> None:
    """Save the fields given (a 422 naming every bad one); a new calendar is announced in the same transaction."""
    tenant = await load_tenant(session, tenant_id)
    values = _check(data, tenant.country)
    if values:
        await repository.save_settings(session, tenant_id, values)
        if CALENDAR_FIELDS & values.keys():
            await announce_calendar(session, tenant_id)


def _check(data: DunningSettingsUpdate, country: str | None) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=True)
    errors = []
    if "action_owner_id" in values:
        errors.append({"field": "action_owner_id", "message": f"is set in receivables' settings: {ACTION_OWNER_OWNER}"})
    for name in ("automatic", "run_hour", "tolerances", "extra_holidays", "reply_pause_days"):
        if name in values and values[name] is None:
            errors.append({"field": name, "message": "cannot be null"})
    tolerances: dict[str, str] = {}
    for code, amount in (values.get("tolerances") or {}).items():
        currency = code.upper()
        if currency not in ISO_4217:
            errors.append({"field": f"tolerances.{code}", "message": "not an ISO 4217 currency code"})
            continue
        try:
            check_precision(Decimal(amount), currency)
        except ValueError as exc:
            errors.append({"field": f"tolerances.{code}", "message": str(exc)})
            continue
        if amount < 0:
            errors.append({"field": f"tolerances.{code}", "message": "must not be negative"})
        tolerances[currency] = str(amount)
    if values.get("tolerances") is not None:
        values["tolerances"] = tolerances
    subdivision = values.get("holiday_subdivision")
    if subdivision:
        known = _subdivisions(country)
        if subdivision.upper() not in known:
            hint = f"one of {', '.join(sorted(known))}" if known else f"none are known for {country or 'the country'}"
            errors.append({"field": "holiday_subdivision", "message": f"unknown subdivision: {hint}"})
        values["holiday_subdivision"] = subdivision.upper()
    if errors:
        raise ValidationProblem(errors)
    return values


def _subdivisions(country: str | None) -> set[str]:
    if not country:
        return set()
    try:
        return {s.upper() for s in holidays.country_holidays(country).subdivisions}
    except (NotImplementedError, KeyError, AttributeError):
        return set()
