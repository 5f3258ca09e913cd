"""The tenant's dunning settings: shown with the tenant's context, checked field by field, saved, and the calendar
announced when it changed."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dunning_service.runs.context import load_tenant
from dunning_service.tenant_settings import repository
from dunning_service.tenant_settings.calendar import CALENDAR_FIELDS, announce_calendar
from dunning_service.tenant_settings.rules import checked_settings
from dunning_service.tenant_settings.schemas import DunningSettingsUpdate


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
    values = checked_settings(data, tenant.country)
    if values:
        await repository.save_settings(session, tenant_id, values)
        if CALENDAR_FIELDS & values.keys():
            await announce_calendar(session, tenant_id)
