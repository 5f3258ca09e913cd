"""Queries of acceptance and suppressions: the tenant, its templates, the cap, the keys; messages and events written
with COPY. Set-based, one statement per batch. The sending lane's queries are in ``delivery.queue``."""

import json
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.rendering import TemplateKey, index_templates
from messaging_service.delivery.rows import MessageRow, Tenant, all_of, of
from messaging_service.delivery.rules import UNCAPPED_KINDS
from messaging_service.models import (
    Message,
    MessageContent,
    Suppression,
    Template,
    TemplatePartial,
    TenantSettings,
)
from messaging_service.templates.defaults import TemplateSource
from shared.db import advisory_xact_lock

messages = Message.__table__
contents = MessageContent.__table__
suppressions = Suppression.__table__


async def tenant_settings(session: AsyncSession, tenant_ids: list[uuid.UUID]) -> dict[uuid.UUID, Tenant]:
    table = TenantSettings.__table__
    rows = (await session.execute(select(table).where(table.c.tenant_id.in_(tenant_ids)))).all()
    return {row.tenant_id: of(Tenant, row) for row in rows}


async def lock_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Acceptance for one tenant runs one at a time, so the frequency cap counts every message."""
    await advisory_xact_lock(session, f"messaging:{tenant_id}")


async def existing_keys(session: AsyncSession, tenant_id: uuid.UUID, keys: list[str]) -> set[str]:
    result = await session.execute(
        select(messages.c.idempotency_key).where(
            messages.c.tenant_id == tenant_id, messages.c.idempotency_key.in_(keys)
        )
    )
    return set(result.scalars())


async def suppressed(session: AsyncSession, tenant_id: uuid.UUID, addresses: list[str]) -> dict[tuple[str, str], str]:
    """(channel, address) -> kind (``opt_out`` wins over ``invalid``)."""
    if not addresses:
        return {}
    rows = (
        await session.execute(
            select(suppressions.c.kind, suppressions.c.channel, suppressions.c.address).where(
                suppressions.c.tenant_id == tenant_id, suppressions.c.address.in_(set(addresses))
            )
        )
    ).all()
    found: dict[tuple[str, str], str] = {}
    for row in sorted(rows, key=lambda r: r.kind != "opt_out"):
        found.setdefault((row.channel, row.address), row.kind)
    return found


async def foreign_customers(
    session: AsyncSession, tenant_id: uuid.UUID, customer_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Customers already known under another tenant: a message to them from this tenant is refused."""
    if not customer_ids:
        return set()
    result = await session.execute(
        select(messages.c.customer_id)
        .where(messages.c.customer_id.in_(customer_ids), messages.c.tenant_id != tenant_id)
        .distinct()
    )
    return set(result.scalars())


async def recent_schedule(
    session: AsyncSession, tenant_id: uuid.UUID, customer_ids: set[uuid.UUID], since: datetime
) -> dict[tuple[uuid.UUID, str], list[datetime]]:
    """When each customer's messages per channel went or will go, from ``since`` on (failures and transactional
    messages do not count against the cap)."""
    found: dict[tuple[uuid.UUID, str], list[datetime]] = defaultdict(list)
    if not customer_ids:
        return found
    rows = (
        await session.execute(
            select(messages.c.customer_id, messages.c.channel, messages.c.scheduled_at).where(
                messages.c.customer_id.in_(customer_ids),
                messages.c.tenant_id == tenant_id,
                messages.c.scheduled_at > since,
                messages.c.state.not_in(("failed", "bounced")),
                messages.c.kind.not_in([kind.value for kind in UNCAPPED_KINDS]),
            )
        )
    ).all()
    for row in rows:
        found[(row.customer_id, row.channel)].append(row.scheduled_at)
    return found


async def tenant_partials(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, str]:
    """The tenant's partials, name -> source: what its templates may include or import."""
    table = TemplatePartial.__table__
    rows = await session.execute(select(table.c.name, table.c.body).where(table.c.tenant_id == tenant_id))
    return {row.name: row.body for row in rows}


async def template_index(
    session: AsyncSession, tenant_id: uuid.UUID, partials: dict[str, str] | None = None
) -> dict[TemplateKey, TemplateSource]:
    """The tenant's active templates, each with the tenant's partials (read here unless given), among which
    ``rendering.resolve`` picks."""
    table = Template.__table__
    rows = await session.execute(select(table).where(table.c.tenant_id == tenant_id, table.c.active.is_(True)))
    return index_templates(rows, partials if partials is not None else await tenant_partials(session, tenant_id))


MESSAGE_COLUMNS = [c.name for c in messages.c]
CONTENT_COLUMNS = [c.name for c in contents.c]
JSONB_COLUMNS = frozenset({"whatsapp", "payload"})


def _record(row: dict[str, Any], columns: list[str]) -> tuple[Any, ...]:
    # asyncpg's JSONB codec (set by SQLAlchemy) takes JSON text.
    return tuple(
        json.dumps(row[c], separators=(",", ":")) if c in JSONB_COLUMNS and row[c] is not None else row[c]
        for c in columns
    )


OUTBOX_COLUMNS = ["id", "tenant_id", "message_type", "version", "consumers", "payload", "occurred_at"]


async def copy_rows(session: AsyncSession, table: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """COPY rows into a table of the schema, in the session's transaction: several times cheaper than INSERT for
    hundreds of rows (raw asyncpg for that reason: SQLAlchemy has no COPY; bench/messaging.py's acceptance figures
    rest on it). Only for rows that cannot conflict (new ids, or keys checked under a lock)."""
    if not rows:
        return
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:
        raise RuntimeError("COPY needs the session's asyncpg connection")
    await driver.copy_records_to_table(
        table, schema_name="messaging", columns=columns, records=[_record(row, columns) for row in rows]
    )


async def copy_messages(session: AsyncSession, rows: list[dict[str, Any]], content: list[dict[str, Any]]) -> None:
    """New messages and their contents. Only under the tenant's acceptance lock, after the idempotency keys were
    checked: no row can conflict."""
    await copy_rows(session, "messages", MESSAGE_COLUMNS, rows)
    await copy_rows(session, "message_contents", CONTENT_COLUMNS, content)


async def copy_outbox(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Events written straight into the outbox (``shared.outbox`` allows it for set-based writes)."""
    await copy_rows(session, "outbox", OUTBOX_COLUMNS, rows)


async def find_customer_for_address(
    session: AsyncSession, tenant_id: uuid.UUID, channel: str, address: str
) -> uuid.UUID | None:
    """The customer of the latest message to an address (an inbound STOP names only the number)."""
    return await session.scalar(
        select(messages.c.customer_id)
        .where(
            messages.c.tenant_id == tenant_id,
            messages.c.channel == channel,
            messages.c.to_address == address,
            messages.c.customer_id.is_not(None),
        )
        .order_by(messages.c.created_at.desc())
        .limit(1)
    )


async def customer_external_id(session: AsyncSession, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> str | None:
    """The ERP's id of a customer, as the latest message to it that knew one carried it (messaging learns
    customers only from the communications it is given)."""
    return await session.scalar(
        select(messages.c.customer_external_id)
        .where(
            messages.c.customer_id == customer_id,
            messages.c.tenant_id == tenant_id,
            messages.c.customer_external_id.is_not(None),
        )
        .order_by(messages.c.created_at.desc())
        .limit(1)
    )


def _tenant_now(tenant_id: uuid.UUID) -> ColumnElement[datetime]:
    """The tenant's "now" as an SQL expression (its test clock, else the database's clock)."""
    table = TenantSettings.__table__
    clock = select(table.c.test_clock).where(table.c.tenant_id == tenant_id).scalar_subquery()
    return func.coalesce(clock, func.now())


async def add_suppression(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    channel: str,
    address: str,
    customer_id: uuid.UUID | None,
    source: str,
    reason: str | None,
) -> bool:
    """Record a suppression; False when it was already there."""
    result = await session.execute(
        insert(suppressions)
        .values(
            id=uuid.uuid4(),
            tenant_id=tenant_id,
            kind=kind,
            channel=channel,
            address=address,
            customer_id=customer_id,
            source=source,
            reason=reason,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "channel", "address"])
        .returning(suppressions.c.id)
    )
    return result.scalar() is not None


async def cancel_pending(
    session: AsyncSession, tenant_id: uuid.UUID, channel: str, address: str, code: str, error: str
) -> list[MessageRow]:
    """Fail the messages still waiting for an address that may no longer be used; answers them."""
    result = await session.execute(
        messages.update()
        .where(
            messages.c.tenant_id == tenant_id,
            messages.c.channel == channel,
            messages.c.to_address == address,
            messages.c.state.in_(("queued", "deferred")),
        )
        .values(state="failed", error_code=code, error=error, failed_at=_tenant_now(tenant_id), updated_at=func.now())
        .returning(*messages.c)
    )
    return all_of(MessageRow, result)
