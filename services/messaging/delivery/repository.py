"""Queries of the delivery pipeline: set-based, one statement per batch."""

import json
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.messaging.delivery.rendering import TemplateKey, index_templates
from services.messaging.models import (
    Attempt,
    Message,
    MessageContent,
    Suppression,
    Template,
    TemplatePartial,
    TenantSettings,
)
from services.messaging.templates.defaults import TemplateSource

messages = Message.__table__
contents = MessageContent.__table__
suppressions = Suppression.__table__
Executor = AsyncSession | AsyncConnection


async def tenant_settings(db: Executor, tenant_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    table = TenantSettings.__table__
    rows = (await db.execute(select(table).where(table.c.tenant_id.in_(tenant_ids)))).all()
    return {row.tenant_id: row for row in rows}


async def lock_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Acceptance for one tenant runs one at a time, so the frequency cap counts every message."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"messaging:{tenant_id}", 0))))


async def existing_keys(session: AsyncSession, tenant_id: uuid.UUID, keys: list[str]) -> set[str]:
    result = await session.execute(
        select(messages.c.idempotency_key).where(
            messages.c.tenant_id == tenant_id, messages.c.idempotency_key.in_(keys)
        )
    )
    return set(result.scalars())


async def suppressed(session: Executor, tenant_id: uuid.UUID, addresses: list[str]) -> dict[tuple[str, str], str]:
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
    """When each customer's messages per channel went or will go, from ``since`` on (failures do not count)."""
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
            )
        )
    ).all()
    for row in rows:
        found[(row.customer_id, row.channel)].append(row.scheduled_at)
    return found


async def tenant_partials(session: Executor, tenant_id: uuid.UUID) -> dict[str, str]:
    """The tenant's partials, name -> source: what its templates may include or import."""
    table = TemplatePartial.__table__
    rows = await session.execute(select(table.c.name, table.c.body).where(table.c.tenant_id == tenant_id))
    return {row.name: row.body for row in rows}


async def template_index(
    session: Executor, tenant_id: uuid.UUID, partials: dict[str, str] | None = None
) -> dict[TemplateKey, TemplateSource]:
    """The tenant's active templates, each with the tenant's partials (read here unless given), among which
    ``rendering.resolve`` picks."""
    table = Template.__table__
    rows = await session.execute(select(table).where(table.c.tenant_id == tenant_id, table.c.active.is_(True)))
    return index_templates(rows, partials if partials is not None else await tenant_partials(session, tenant_id))


# "Now" for a message's tenant (issue 15): its test clock when it has one, else the wall clock.
TENANT_NOW = "coalesce((SELECT t.test_clock FROM messaging.tenant_settings t WHERE t.tenant_id = {m}.tenant_id), now())"
# Due by its tenant's clock: a sandbox tenant's deferred messages go when ITS clock reaches them, the others' on
# the wall clock. The first bound is one value for the whole statement (the latest of all clocks), so the due index
# is still range-scanned; the second, per row, holds back a test clock behind the wall clock.
DUE = (
    "{m}.scheduled_at <= GREATEST(now(), (SELECT max(test_clock) FROM messaging.tenant_settings)) "
    "AND {m}.scheduled_at <= " + TENANT_NOW
)


def due_by_clock(alias: str) -> str:
    return DUE.format(m=alias)


def tenant_now(alias: str) -> str:
    return TENANT_NOW.format(m=alias)


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
ATTEMPT_COLUMNS = [c.name for c in Attempt.__table__.c]


async def copy_rows(session: AsyncSession, table: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """COPY rows into a table of the schema, in the session's transaction: several times cheaper than INSERT for
    hundreds of rows. Only for rows that cannot conflict (new ids, or keys checked under a lock)."""
    if not rows:
        return
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
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


def _tenant_now(tenant_id: uuid.UUID) -> Any:
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
) -> list[Any]:
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
    return list(result.all())


CLAIMED = """
    claimed AS (
        UPDATE messaging.messages m
           SET state = 'sending', attempts = m.attempts + 1, updated_at = now()
          FROM due
         WHERE m.id = due.id
     RETURNING m.id, m.tenant_id, m.channel, m.kind, m.language, m.to_address, m.recipient_name, m.customer_id,
               m.subject, m.attempts, m.timezone, m.updated_at, m.needs_pdf,
               (SELECT t.test_clock FROM messaging.tenant_settings t WHERE t.tenant_id = m.tenant_id) AS test_clock
    )
    SELECT claimed.*, c.body_text, c.body_html, c.whatsapp, c.payload
      FROM claimed LEFT JOIN messaging.message_contents c ON c.message_id = claimed.id
"""
# Messages without a PDF: the oldest due first, a full batch.
CLAIM = text(
    """
    WITH due AS (
        SELECT id FROM messaging.messages d
         WHERE needs_pdf = false AND state IN ('queued', 'deferred') AND """
    + due_by_clock("d")
    + """
         ORDER BY scheduled_at
         LIMIT :limit
           FOR UPDATE SKIP LOCKED
    ),"""
    + CLAIMED
)
# Messages with a PDF: in turns across tenants (each tenant's oldest first, then each one's second...), so one
# tenant's thousands of PDFs do not hold back another's few. Ranking reads every due PDF message, a few thousand
# rows at most per claim, and a PDF batch takes seconds to render: cheap beside it. A few more candidates than the
# limit are ranked, as parallel senders may hold (lock) some of them.
CLAIM_PDF = text(
    """
    WITH ranked AS (
        SELECT id, scheduled_at, row_number() OVER (PARTITION BY tenant_id ORDER BY scheduled_at) AS turn
          FROM messaging.messages d
         WHERE needs_pdf = true AND state IN ('queued', 'deferred') AND """
    + due_by_clock("d")
    + """
    ), due AS (
        SELECT m.id
          FROM (SELECT id, scheduled_at, turn FROM ranked ORDER BY turn, scheduled_at LIMIT :scan) r
          JOIN messaging.messages m ON m.id = r.id
         WHERE m.state IN ('queued', 'deferred') AND """
    + due_by_clock("m")
    + """
         ORDER BY r.turn, r.scheduled_at
         LIMIT :limit
           FOR UPDATE OF m SKIP LOCKED
    ),"""
    + CLAIMED
)
PDF_SCAN_FACTOR = 4


async def claim_due(conn: AsyncConnection, limit: int, *, pdf: bool = False) -> list[Any]:
    """Take up to ``limit`` due messages for sending (``SKIP LOCKED``: parallel jobs take different ones): those
    that attach a PDF statement (``pdf``) or all the others. The two are claimed apart, so a batch of others never
    waits for PDFs to be rendered."""
    if pdf:
        return list((await conn.execute(CLAIM_PDF, {"limit": limit, "scan": limit * PDF_SCAN_FACTOR})).all())
    return list((await conn.execute(CLAIM, {"limit": limit})).all())


RECORD = text(
    """
    UPDATE messaging.messages m
       SET state = CASE WHEN m.state = 'sending' THEN r.state ELSE m.state END,
           provider_message_id = coalesce(r.provider_message_id, m.provider_message_id),
           error_code = r.error_code,
           error = r.error,
           dead_lettered = r.dead_lettered,
           scheduled_at = coalesce(r.retry_at, m.scheduled_at),
           sent_at = CASE WHEN r.state = 'sent' THEN coalesce(m.sent_at, r.at) ELSE m.sent_at END,
           failed_at = CASE WHEN r.state IN ('failed', 'bounced') THEN r.at ELSE m.failed_at END,
           updated_at = now()
      FROM unnest(CAST(:ids AS uuid[]), CAST(:states AS text[]), CAST(:provider_ids AS text[]),
                  CAST(:codes AS text[]), CAST(:errors AS text[]), CAST(:dead AS boolean[]),
                  CAST(:retry_at AS timestamptz[]), CAST(:at AS timestamptz[]))
           AS r(id, state, provider_message_id, error_code, error, dead_lettered, retry_at, at)
     WHERE m.id = r.id
 RETURNING m.id, m.tenant_id, m.idempotency_key, m.source, m.source_ref, m.customer_id, m.customer_external_id,
           m.kind, m.channel, m.to_address, m.subject, m.invoice_ids, m.state, m.attempts, m.error, m.error_code,
           m.scheduled_at, m.deferred_reason, (m.state = r.state) AS changed
    """
)


LOCK_IN_ORDER = text("SELECT id FROM messaging.messages WHERE id = ANY(CAST(:ids AS uuid[])) ORDER BY id FOR UPDATE")


async def record_results(session: AsyncSession, results: list[dict[str, Any]]) -> list[Any]:
    """Write every attempt's outcome in one statement; answers the updated rows. ``at`` is when it happened in
    the tenant's calendar (``sent_at``, ``failed_at``). The rows are locked in id order
    first: two writers of overlapping sets (results coming in, a lease renewal) then never wait on each other
    in a cycle."""
    if not results:
        return []
    await session.execute(LOCK_IN_ORDER, {"ids": [r["id"] for r in results]})
    columns = ("id", "state", "provider_message_id", "error_code", "error", "dead_lettered", "retry_at", "at")
    params = {
        key: [r[column] for r in results]
        for key, column in zip(
            ("ids", "states", "provider_ids", "codes", "errors", "dead", "retry_at", "at"), columns, strict=True
        )
    }
    return list((await session.execute(RECORD, params)).all())


async def insert_attempts(session: AsyncSession, attempts: list[dict[str, Any]]) -> None:
    """Each claim numbered its attempt (``attempts + 1``), so (message, number) is new: COPY."""
    await copy_rows(session, "attempts", ATTEMPT_COLUMNS, attempts)


RECLAIM = text(
    """
    WITH stale AS (
        SELECT id, updated_at AS sending_since FROM messaging.messages
         WHERE state = 'sending' AND updated_at < now() - make_interval(secs => :lease)
         ORDER BY updated_at LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    UPDATE messaging.messages m
       SET state = CASE WHEN attempts >= :max_attempts THEN 'failed' ELSE 'queued' END,
           scheduled_at = CASE WHEN attempts >= :max_attempts THEN scheduled_at ELSE """
    + tenant_now("m")
    + """ END,
           error_code = 'interrupted',
           error = CASE WHEN attempts >= :max_attempts
                        THEN 'dead-lettered after ' || attempts || ' attempts: the worker stopped while sending'
                        ELSE 'the worker stopped while sending; sent again (the provider may have it already)' END,
           dead_lettered = attempts >= :max_attempts,
           failed_at = CASE WHEN attempts >= :max_attempts THEN """
    + tenant_now("m")
    + """ ELSE failed_at END,
           updated_at = now()
      FROM stale
     WHERE m.id = stale.id
 RETURNING m.*, stale.sending_since,
           (SELECT t.test_clock FROM messaging.tenant_settings t WHERE t.tenant_id = m.tenant_id) AS test_clock
    """
)


async def reclaim_interrupted(session: AsyncSession, lease_seconds: float, max_attempts: int, limit: int) -> list[Any]:
    """Messages whose sender stopped holding them (its lease ran out: the worker died or lost the database) are
    due again at once, or dead-lettered when that was their last attempt. At-least-once: the provider may have
    taken them before the worker died; the repeat carries the same Message-ID / provider reference."""
    params = {"lease": lease_seconds, "max_attempts": max_attempts, "limit": limit}
    return list((await session.execute(RECLAIM, params)).all())


async def reschedule(session: AsyncSession, due: list[tuple[uuid.UUID, datetime]]) -> None:
    """Move queued messages to a later time (the next opening of their window)."""
    if due:
        await session.execute(
            text(
                "UPDATE messaging.messages m SET scheduled_at = d.at FROM unnest(CAST(:ids AS uuid[]), "
                "CAST(:ats AS timestamptz[])) AS d(id, at) WHERE m.id = d.id AND m.state = 'queued'"
            ),
            {"ids": [i for i, _ in due], "ats": [a for _, a in due]},
        )


async def renew_lease(conn: AsyncConnection, ids: list[uuid.UUID]) -> None:
    """A sender still busy with its batch keeps holding it (a slow SMTP server must not make it look dead)."""
    await conn.execute(
        text(
            "UPDATE messaging.messages SET updated_at = now() WHERE id IN ("
            "SELECT id FROM messaging.messages WHERE id = ANY(CAST(:ids AS uuid[])) AND state = 'sending' "
            "ORDER BY id FOR UPDATE SKIP LOCKED)"  # a row locked now is being recorded: no need to hold it
        ),
        {"ids": ids},
    )


async def due_exists(conn: AsyncConnection) -> bool:
    """Whether any message is due, of either lane (each probe one look into the due index)."""
    probe = (
        "EXISTS (SELECT 1 FROM messaging.messages d "
        "WHERE needs_pdf = {} AND state IN ('queued', 'deferred') AND " + due_by_clock("d") + ")"
    )
    return bool(await conn.scalar(text(f"SELECT {probe.format('false')} OR {probe.format('true')}")))


PENDING = text(
    """
    SELECT count(*) FROM messaging.messages m
     WHERE m.tenant_id = :tenant_id
       AND (m.state = 'sending' OR (m.state IN ('queued', 'deferred') AND """
    + due_by_clock("m")
    + """))
    """
)


async def pending(conn: Executor, tenant_id: uuid.UUID) -> int:
    """A tenant's messages still to be sent by its clock (due now, or being sent): what a test clock's advance waits
    for (issue 15). Messages deferred past the clock are not pending: they go when the clock reaches them."""
    return int(await conn.scalar(PENDING, {"tenant_id": tenant_id}) or 0)


async def purge_bodies(session: AsyncSession, days: int) -> int:
    result = await session.execute(
        text(
            "UPDATE messaging.message_contents c SET body_html = NULL, body_text = NULL, payload = '{}'::jsonb "
            "FROM messaging.messages m WHERE m.id = c.message_id AND c.body_text IS NOT NULL "
            f"AND m.created_at < {tenant_now('m')} - make_interval(days => :days) "
            "AND m.state NOT IN ('queued', 'deferred', 'sending')"
        ),
        {"days": days},
    )
    return result.rowcount or 0
