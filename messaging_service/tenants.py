"""Messaging learns each tenant's name, country, language and time zone from ``gateway.tenant_changed``:
the company name in every subject (seed 004), the default zone for quiet hours, the fallback language."""

from typing import Any

from sqlalchemy import or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.models import TenantSettings
from shared.contracts.gateway import TenantChanged
from shared.inbox import Received

FIELDS = ("slug", "name", "country", "timezone", "language", "default_currency", "active")


async def on_tenant_changed(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[TenantChanged]]) -> None:
    latest: dict[Any, Received[TenantChanged]] = {}
    for received in batch:
        current = latest.get(received.message.tenant_id)
        if current is None or received.envelope.occurred_at >= current.envelope.occurred_at:
            latest[received.message.tenant_id] = received
    rows = [
        {
            "tenant_id": r.message.tenant_id,
            **{name: getattr(r.message, name) for name in FIELDS},
            "tenant_event_at": r.envelope.occurred_at,
        }
        for r in latest.values()
    ]
    table = TenantSettings.__table__
    statement = insert(table).values(rows)
    # An older event arriving late never overwrites a newer one.
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={**{name: statement.excluded[name] for name in (*FIELDS, "tenant_event_at")}},
            where=or_(table.c.tenant_event_at.is_(None), table.c.tenant_event_at <= statement.excluded.tenant_event_at),
        )
    )
