"""Queries of the sending lane: claim due messages (``SKIP LOCKED``), record their outcomes, renew the lease, make
the messages of a dead sender due again. Hand-written SQL, one statement per batch: bench/messaging.py's delivery
figures rest on these statements as they are."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.repository import copy_rows
from messaging_service.delivery.rows import Claimed, Reclaimed, Recorded, all_of
from messaging_service.models import Attempt

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


ATTEMPT_COLUMNS = [c.name for c in Attempt.__table__.c]


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


async def claim_due(session: AsyncSession, limit: int, *, pdf: bool = False) -> list[Claimed]:
    """Take up to ``limit`` due messages for sending (``SKIP LOCKED``: parallel jobs take different ones): those
    that attach a PDF statement (``pdf``) or all the others. The two are claimed apart, so a batch of others never
    waits for PDFs to be rendered."""
    if pdf:
        params = {"limit": limit, "scan": limit * PDF_SCAN_FACTOR}
        return all_of(Claimed, await session.execute(CLAIM_PDF, params))
    return all_of(Claimed, await session.execute(CLAIM, {"limit": limit}))


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


async def record_results(session: AsyncSession, results: list[dict[str, Any]]) -> list[Recorded]:
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
    return all_of(Recorded, await session.execute(RECORD, params))


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


async def reclaim_interrupted(
    session: AsyncSession, lease_seconds: float, max_attempts: int, limit: int
) -> list[Reclaimed]:
    """Messages whose sender stopped holding them (its lease ran out: the worker died or lost the database) are
    due again at once, or dead-lettered when that was their last attempt. At-least-once: the provider may have
    taken them before the worker died; the repeat carries the same Message-ID / provider reference."""
    params = {"lease": lease_seconds, "max_attempts": max_attempts, "limit": limit}
    return all_of(Reclaimed, await session.execute(RECLAIM, params))


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


async def renew_lease(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """A sender still busy with its batch keeps holding it (a slow SMTP server must not make it look dead)."""
    await session.execute(
        text(
            "UPDATE messaging.messages SET updated_at = now() WHERE id IN ("
            "SELECT id FROM messaging.messages WHERE id = ANY(CAST(:ids AS uuid[])) AND state = 'sending' "
            "ORDER BY id FOR UPDATE SKIP LOCKED)"  # a row locked now is being recorded: no need to hold it
        ),
        {"ids": ids},
    )


async def due_exists(session: AsyncSession) -> bool:
    """Whether any message is due, of either lane (each probe one look into the due index)."""
    probe = (
        "EXISTS (SELECT 1 FROM messaging.messages d "
        "WHERE needs_pdf = {} AND state IN ('queued', 'deferred') AND " + due_by_clock("d") + ")"
    )
    return bool(await session.scalar(text(f"SELECT {probe.format('false')} OR {probe.format('true')}")))


PENDING = text(
    """
    SELECT count(*) FROM messaging.messages m
     WHERE m.tenant_id = :tenant_id
       AND (m.state = 'sending' OR (m.state IN ('queued', 'deferred') AND """
    + due_by_clock("m")
    + """))
    """
)


async def pending(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """A tenant's messages still to be sent by its clock (due now, or being sent): what a test clock's advance waits
    for (issue 15). Messages deferred past the clock are not pending: they go when the clock reaches them."""
    return int(await session.scalar(PENDING, {"tenant_id": tenant_id}) or 0)


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
    return (result.rowcount or 0) if isinstance(result, CursorResult) else 0


async def insert_attempts(session: AsyncSession, attempts: list[dict[str, Any]]) -> None:
    """Each claim numbered its attempt (``attempts + 1``), so (message, number) is new: COPY."""
    await copy_rows(session, "attempts", ATTEMPT_COLUMNS, attempts)
