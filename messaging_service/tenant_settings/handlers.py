"""The tenant's facts messaging learns from other services' events.

From ``gateway.tenant_changed``: the tenant's name, country, language and time zone (the company name in every
subject, seed 004; the default zone for quiet hours; the fallback language), sandbox and test clock (issue 15).
From ``dunning.calendar_changed``: the company holidays and holiday subdivision. They are set once, in dunning's
settings (dunning was first to need them); messaging needs them too so that a deferred message or a retry never
lands on one (``tenant_settings.rules.tenant_calendar``).
From ``portal.settings_changed``: whether the tenant's portal is on, so its messages carry ``{{ portal_link }}``
(issue 17).
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import TenantSettings
from shared.contracts.dunning import CalendarChanged
from shared.contracts.gateway import TenantChanged
from shared.contracts.portal import PortalSettingsChanged
from shared.inbox import Received
from shared.projection import upsert_newest

TENANT_FIELDS = (
    "slug",
    "name",
    "country",
    "timezone",
    "language",
    "default_currency",
    "active",
    "sandbox",
    "test_clock",
)
CALENDAR_FIELDS = ("holiday_subdivision", "company_holidays")
PORTAL_FIELDS = ("portal_enabled",)


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    rows = [
        {
            "tenant_id": r.message.tenant_id,
            **{name: getattr(r.message, name) for name in TENANT_FIELDS},
            "tenant_event_at": r.envelope.occurred_at,
        }
        for r in batch
    ]
    await upsert_newest(session, TenantSettings.__table__, rows, ("tenant_id",), "tenant_event_at", TENANT_FIELDS)


async def on_calendar_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CalendarChanged]]
) -> None:
    rows = [
        {
            "tenant_id": r.tenant_id,
            "holiday_subdivision": r.message.holiday_subdivision,
            "company_holidays": sorted(set(r.message.company_holidays)),
            "calendar_at": r.envelope.occurred_at,
        }
        for r in batch
    ]
    await upsert_newest(session, TenantSettings.__table__, rows, ("tenant_id",), "calendar_at", CALENDAR_FIELDS)


async def on_portal_settings_changed(
    ctx: dict[str, Any], session: AsyncSession, batch: list[Received[PortalSettingsChanged]]
) -> None:
    rows = [
        {"tenant_id": r.tenant_id, "portal_enabled": r.message.enabled, "portal_at": r.envelope.occurred_at}
        for r in batch
    ]
    await upsert_newest(session, TenantSettings.__table__, rows, ("tenant_id",), "portal_at", PORTAL_FIELDS)
