"""Messaging learns each tenant's name, country, language and time zone from ``gateway.tenant_changed``:
the company name in every subject (seed 004), the default zone for quiet hours, the fallback language."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.messaging.models import TenantSettings
from shared.clock import TenantClock
from shared.contracts.gateway import TenantChanged
from shared.inbox import Received
from shared.projection import upsert_newest

FIELDS = ("slug", "name", "country", "timezone", "language", "default_currency", "active", "sandbox", "test_clock")


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    rows = [
        {
            "tenant_id": r.message.tenant_id,
            **{name: getattr(r.message, name) for name in FIELDS},
            "tenant_event_at": r.envelope.occurred_at,
        }
        for r in batch
    ]
    await upsert_newest(session, TenantSettings.__table__, rows, ("tenant_id",), "tenant_event_at", FIELDS)


def clock_of(tenant: Any) -> TenantClock:
    """The tenant's clock (issue 15) from its settings row: its test clock when it has one, else the wall clock.
    Quiet hours, the frequency cap, holidays and the release of deferred messages all read it."""
    if tenant is None:
        return TenantClock()
    return TenantClock(getattr(tenant, "timezone", None), getattr(tenant, "test_clock", None))


def is_sandbox(tenant: Any) -> bool:
    """A sandbox tenant's messages reach only the sandbox peers, never a real provider (issue 15)."""
    return bool(getattr(tenant, "sandbox", False))
