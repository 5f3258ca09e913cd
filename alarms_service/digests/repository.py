"""Runs and digests: reads (always scoped by tenant; newest first, keyset pagination) and the scheduler's and run
job's writes (schedule slots, queued runs, their retries, failures and completion). A run's new digests are stored
from the rows the selection staged, by ``selection_repository.store_staged_digests``; their items in their users'
inboxes (issue 18) by ``fill_inbox``."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, Select, func, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.models import Digest, Run
from shared.pagination import keyset

_digests = Digest.__table__
_runs = Run.__table__
# Lists leave the rows out: a digest may carry thousands.
_LISTED = [c for c in _digests.c if c.name != "rows"]


@dataclass(frozen=True, slots=True)
class RunRow:
    """A row of ``alarms.runs``."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    as_of: date
    trigger: str
    alarms: list[str]
    status: str
    requested_by: str | None
    digests: int
    rows: int
    already_sent: int
    unrouted: list[dict[str, Any]]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    retry_at: datetime | None


@dataclass(frozen=True, slots=True)
class DigestRow:
    """A row of ``alarms.digests``; ``rows`` is None when listed (lists leave them out)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    alarm: str
    audience: str
    period: str
    as_of: date
    recipient_id: uuid.UUID
    recipient_kind: str
    recipient_user_id: uuid.UUID | None
    recipient_name: str
    recipient_email: str
    language: str
    row_count: int
    customers: int
    totals: dict[str, str]
    data: dict[str, Any]
    idempotency_key: str
    status: str
    created_at: datetime
    rows: list[dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class TakenSlot:
    """A period of an alarm the scheduler took for a run (``take_schedule_slots``)."""

    tenant_id: uuid.UUID
    alarm: str
    run_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class SentDigest:
    """A digest stored already under the identity (tenant, alarm, audience, recipient, period) a run looks up."""

    alarm: str
    audience: str
    recipient_id: uuid.UUID
    period: str
    id: uuid.UUID
    run_id: uuid.UUID
    created_at: datetime


def _run(row: RowMapping) -> RunRow:
    return RunRow(**row)


def _digest(row: RowMapping) -> DigestRow:
    return DigestRow(**row)


def _newest_first(query: Select[Any], table: Any, after: list[Any] | None, limit: int) -> Select[Any]:
    key = (table.c.created_at, table.c.id)
    paged: Select[Any] = keyset(query, key, (datetime.fromisoformat, uuid.UUID), after, limit, newest_first=True)
    return paged


async def list_digests(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    alarm: str | None = None,
    audience: str | None = None,
    recipient_id: uuid.UUID | None = None,
    period: str | None = None,
    run_id: uuid.UUID | None = None,
    as_of_from: date | None = None,
    as_of_to: date | None = None,
    only_user: uuid.UUID | None = None,
) -> list[DigestRow]:
    query = select(*_LISTED).where(_digests.c.tenant_id == tenant_id)
    for column, value in (
        (_digests.c.alarm, alarm),
        (_digests.c.audience, audience),
        (_digests.c.period, period),
        (_digests.c.run_id, run_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if recipient_id is not None:
        query = query.where(or_(_digests.c.recipient_id == recipient_id, _digests.c.recipient_user_id == recipient_id))
    if only_user is not None:
        query = query.where(_digests.c.recipient_user_id == only_user)
    if as_of_from is not None:
        query = query.where(_digests.c.as_of >= as_of_from)
    if as_of_to is not None:
        query = query.where(_digests.c.as_of <= as_of_to)
    result = await session.execute(_newest_first(query, _digests, after, limit))
    return [_digest(row) for row in result.mappings()]


async def get_digest(session: AsyncSession, tenant_id: uuid.UUID, digest_id: uuid.UUID) -> DigestRow | None:
    query = select(_digests).where(_digests.c.tenant_id == tenant_id, _digests.c.id == digest_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else _digest(row)


async def run_digests(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> list[DigestRow]:
    query = (
        select(*_LISTED)
        .where(_digests.c.tenant_id == tenant_id, _digests.c.run_id == run_id)
        .order_by(_digests.c.alarm, _digests.c.audience, _digests.c.recipient_name, _digests.c.id)
    )
    return [_digest(row) for row in (await session.execute(query)).mappings()]


async def list_runs(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    trigger: str | None = None,
    status: str | None = None,
) -> list[RunRow]:
    query = select(_runs).where(_runs.c.tenant_id == tenant_id)
    if trigger is not None:
        query = query.where(_runs.c.trigger == trigger)
    if status is not None:
        query = query.where(_runs.c.status == status)
    return [_run(row) for row in (await session.execute(_newest_first(query, _runs, after, limit))).mappings()]


async def get_run(session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID) -> RunRow | None:
    query = select(_runs).where(_runs.c.tenant_id == tenant_id, _runs.c.id == run_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else _run(row)


async def queued_runs(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """How many of the tenant's runs wait to be executed."""
    query = select(func.count()).select_from(_runs).where(_runs.c.tenant_id == tenant_id, _runs.c.status == "queued")
    return int((await session.execute(query)).scalar_one())


async def sent_digests(
    session: AsyncSession, tenant_id: uuid.UUID, keys: Sequence[tuple[str, str, uuid.UUID, str]]
) -> list[SentDigest]:
    """The digests stored already among ``keys``: ``(alarm, audience, recipient_id, period)``."""
    if not keys:
        return []
    identity = (_digests.c.alarm, _digests.c.audience, _digests.c.recipient_id, _digests.c.period)
    query = select(*identity, _digests.c.id, _digests.c.run_id, _digests.c.created_at).where(
        _digests.c.tenant_id == tenant_id, tuple_(*identity).in_(list(keys))
    )
    return [SentDigest(**row) for row in (await session.execute(query)).mappings()]


async def create_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    tenant_id: uuid.UUID,
    as_of: date,
    alarms: Sequence[str],
    trigger: str,
    requested_by: str | None,
) -> None:
    """A queued run."""
    await session.execute(
        _runs.insert().values(
            id=run_id,
            tenant_id=tenant_id,
            as_of=as_of,
            trigger=trigger,
            alarms=list(alarms),
            status="queued",
            requested_by=requested_by,
        )
    )


async def complete_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    *,
    digests: int,
    rows: int,
    already_sent: int,
    unrouted: list[dict[str, Any]],
    finished_at: datetime,
) -> None:
    """Record the run as completed, with its counts."""
    await session.execute(
        update(_runs)
        .where(_runs.c.id == run_id)
        .values(
            status="completed",
            digests=digests,
            rows=rows,
            already_sent=already_sent,
            unrouted=unrouted,
            error=None,
            finished_at=finished_at,
        )
    )


_TAKE_SLOTS = text(
    """
INSERT INTO alarms.schedule_slots (tenant_id, alarm, period, run_id)
SELECT * FROM unnest(CAST(:tenants AS uuid[]), CAST(:alarms AS text[]), CAST(:periods AS text[]),
                     CAST(:runs AS uuid[]))
ON CONFLICT DO NOTHING
RETURNING tenant_id, alarm, run_id
"""
)


async def take_schedule_slots(
    session: AsyncSession, slots: list[tuple[uuid.UUID, str, str, uuid.UUID]]
) -> list[TakenSlot]:
    """Take ``(tenant_id, alarm, period, run_id)`` slots in one statement; answers those nobody had taken."""
    if not slots:
        return []
    tenants, alarms, periods, runs = (list(column) for column in zip(*slots, strict=True))
    result = await session.execute(
        _TAKE_SLOTS, {"tenants": tenants, "alarms": alarms, "periods": periods, "runs": runs}
    )
    return [TakenSlot(tenant_id, alarm, run_id) for tenant_id, alarm, run_id in result]


async def insert_scheduled_runs(
    session: AsyncSession, runs: Mapping[uuid.UUID, tuple[uuid.UUID, date, Sequence[str]]]
) -> None:
    """Queued runs of the schedule: ``run_id -> (tenant_id, as_of, alarms)``, one executemany."""
    if not runs:
        return
    await session.execute(
        _runs.insert(),
        [
            {
                "id": run_id,
                "tenant_id": tenant_id,
                "as_of": as_of,
                "trigger": "schedule",
                "alarms": list(alarms),
                "status": "queued",
                "requested_by": "schedule",
            }
            for run_id, (tenant_id, as_of, alarms) in runs.items()
        ],
    )


async def lost_runs(session: AsyncSession, stale: datetime) -> list[uuid.UUID]:
    """Runs still queued that were created, and whose retry was due, before ``stale``."""
    query = select(_runs.c.id).where(
        _runs.c.status == "queued",
        _runs.c.created_at < stale,
        or_(_runs.c.retry_at.is_(None), _runs.c.retry_at < stale),
    )
    return list((await session.execute(query)).scalars())


async def lock_run(session: AsyncSession, run_id: uuid.UUID) -> RunRow | None:
    """The run, locked for this transaction; None when it does not exist or another job holds it (skipped, not
    waited for: it must not run twice)."""
    query = select(_runs).where(_runs.c.id == run_id).with_for_update(skip_locked=True)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else _run(row)


async def fail_run(
    session: AsyncSession, run_id: uuid.UUID, error: str | None, *, finished_at: datetime | None = None
) -> None:
    """Record a run as failed; with ``finished_at``, only while it is still queued (and it is finished then)."""
    statement = update(_runs).where(_runs.c.id == run_id)
    if finished_at is None:
        await session.execute(statement.values(status="failed", error=error))
        return
    await session.execute(
        statement.where(_runs.c.status == "queued").values(status="failed", error=error, finished_at=finished_at)
    )


async def retry_run_at(session: AsyncSession, run_id: uuid.UUID, delay: timedelta) -> None:
    """The run waits for a retry due in ``delay`` (the sweeper leaves it alone until then)."""
    await session.execute(update(_runs).where(_runs.c.id == run_id).values(retry_at=func.now() + delay))


# The inbox (issue 18): each stored digest addressed to a user is an item of that user's inbox, written with it.
_FILL_INBOX = text(
    """
INSERT INTO alarms.inbox_items (id, tenant_id, user_id, kind, source_id, alarm, period, title, summary, lines,
                                action, row_count, created_at)
SELECT gen_random_uuid(), d.tenant_id, d.recipient_user_id, 'digest', d.id, d.alarm, d.period, d.data->>'title',
       d.data->>'summary', d.data->'lines', d.data->>'action', d.row_count, d.created_at
FROM alarms.digests d
WHERE d.tenant_id = CAST(:tenant AS uuid) AND d.id = ANY(CAST(:ids AS uuid[])) AND d.recipient_user_id IS NOT NULL
ON CONFLICT DO NOTHING
"""
)


async def fill_inbox(session: AsyncSession, tenant_id: uuid.UUID, digest_ids: Sequence[uuid.UUID]) -> None:
    """Put the new digests in their recipients' inboxes (a person who is no user has none)."""
    if digest_ids:
        await session.execute(_FILL_INBOX, {"tenant": tenant_id, "ids": list(digest_ids)})
