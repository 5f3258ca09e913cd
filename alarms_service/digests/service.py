"""Runs: compute a tenant's digests for a date, and (unless it is a dry run) hand the new ones to messaging.

Exactly once: a digest is identified by (tenant, alarm, audience, recipient, period); its row (unique on that
key) and its ``messaging.send_communications`` command are written in ONE transaction, and the idempotency key
messaging gets is the same key. A rerun, a second worker or a crash between any two steps sends nothing twice;
an empty digest is never written nor sent.
"""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from alarms_service.digests import manager_selection, repository, rules, selection_repository, wording
from alarms_service.digests.directory import fetch_directory
from alarms_service.digests.rules import Audience, Recipient
from alarms_service.models import outbox
from alarms_service.settings import AlarmsSettings
from alarms_service.tenant_settings.repository import TenantView, load_schedules
from alarms_service.tenant_settings.rules import Alarm
from shared.clock import wall_now
from shared.contracts.common import Channel
from shared.contracts.messaging import Communication, CommunicationKind, SendCommunications
from shared.internal import InternalClient
from shared.outbox import emit_many


@dataclass
class Planned:
    """A digest a run would send (``status`` ``would_send``), has sent (``sent``) or finds sent already."""

    alarm: Alarm
    audience: Audience
    period: str
    as_of: date
    recipient: Recipient
    group: selection_repository.Group
    text: wording.DigestText
    idempotency_key: str
    language: str
    status: str = "would_send"
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    run_id: uuid.UUID | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Unrouted:
    """Rows no digest can carry, and why (a customer without collector, an area without responsible...)."""

    alarm: Alarm
    audience: Audience
    reason: str
    recipient_id: uuid.UUID | None
    rows: int
    customers: int


@dataclass
class Plan:
    as_of: date
    digests: list[Planned]
    unrouted: list[Unrouted]
    thresholds: dict[str, Any] = field(default_factory=dict)  # the overdue threshold's parameters, if it ran


async def plan(
    db: AsyncSession,
    engine: AsyncEngine,
    client: InternalClient,
    settings: AlarmsSettings,
    tenant: TenantView,
    alarms: list[Alarm],
    as_of: date,
    recipient_id: uuid.UUID | None = None,
    *,
    run_id: uuid.UUID | None = None,
    all_rows: bool = False,
) -> Plan:
    """What the alarms say on ``as_of``: every recipient's digest. The alarms' statements run side by side, each on a
    connection of ``engine``; with a ``run_id`` they stage every digest's rows for ``send``. The digests carry their
    first rows (what the email lists), or all of them with ``all_rows`` and for the one ``recipient_id`` asked."""
    schedules = await load_schedules(db, tenant.tenant_id)
    directory = await fetch_directory(db, client, tenant.tenant_id, alarms)
    language = tenant.language if tenant.language in wording.LANGUAGES else "es"
    full_keys: list[uuid.UUID] = []
    if recipient_id is not None:
        full_keys = [recipient_id, *(p.id for p in directory.people.values() if p.user_id == recipient_id)]
    parameters = {
        alarm: selection_repository.parameters(
            alarm,
            schedules[alarm],
            tenant_id=tenant.tenant_id,
            as_of=as_of,
            timezone=tenant.timezone,
            directory=directory,
            business=tenant.calendar,
        )
        for alarm in alarms
    }

    def word(alarm: Alarm, groups: list[selection_repository.Group]) -> tuple[list[Planned], list[Unrouted]]:
        """Each group's recipient (or why it has none) and its digest's words."""
        digests: list[Planned] = []
        unrouted: list[Unrouted] = []
        per = rules.period(alarm, as_of)
        for group in groups:
            audience = group.audience
            target = rules.route(audience, group.key, group.problem, directory)
            if isinstance(target, str):
                unrouted.append(Unrouted(alarm, audience, target, group.key, group.row_count, group.customers))
                continue
            if recipient_id is not None and recipient_id not in (target.id, target.user_id):
                continue
            text = wording.compose(
                alarm,
                audience,
                group.rows[: settings.digest_max_lines],
                row_count=group.row_count,
                customers=group.customers,
                totals=group.totals,
                areas=group.areas,
                schedule=schedules[alarm],
                language=language,
                country=tenant.country,
                max_lines=settings.digest_max_lines,
            )
            key = rules.idempotency_key(tenant.tenant_id, alarm, audience, target.id, per)
            digests.append(
                Planned(alarm, audience, per, as_of, target, group, text, key, language, id=rules.digest_id(key))
            )
        return digests, unrouted

    async def select(alarm: Alarm) -> tuple[list[Planned], list[Unrouted]]:
        async with engine.begin() as conn, AsyncSession(bind=conn) as session:
            await selection_repository.tune_planner(session)
            groups = await selection_repository.select_groups(
                session,
                alarm,
                parameters[alarm],
                run_id=run_id,
                head=settings.digest_max_lines,
                full=all_rows,
                full_keys=full_keys,
            )
        # Worded as soon as this alarm's statement answers, while the others still run on the server.
        return word(alarm, groups)

    digests: list[Planned] = []
    unrouted: list[Unrouted] = []
    for planned, missed in await asyncio.gather(*(select(alarm) for alarm in alarms)):
        digests.extend(planned)
        unrouted.extend(missed)
    await _mark_already_sent(db, tenant.tenant_id, digests)
    return Plan(as_of, digests, unrouted, parameters.get(Alarm.OVERDUE_THRESHOLD, {}))


async def _mark_already_sent(db: AsyncSession, tenant_id: uuid.UUID, digests: list[Planned]) -> None:
    keys = [(d.alarm.value, d.audience.value, d.recipient.id, d.period) for d in digests]
    sent = {
        (s.alarm, s.audience, s.recipient_id, s.period): s for s in await repository.sent_digests(db, tenant_id, keys)
    }
    for d in digests:
        stored = sent.get((d.alarm.value, d.audience.value, d.recipient.id, d.period))
        if stored is not None:
            d.status, d.id, d.run_id, d.created_at = "already_sent", stored.id, stored.run_id, stored.created_at


def communication(d: Planned) -> Communication:
    return Communication(
        idempotency_key=d.idempotency_key,
        kind=CommunicationKind.ALARM_DIGEST,
        channel=Channel.EMAIL,
        to=d.recipient.email or "",
        language=d.language,
        recipient_name=d.recipient.name,
        data=d.text.data(),
        source="alarms",
        source_ref=str(d.id),
    )


def _new_digest(d: Planned) -> selection_repository.NewDigest:
    return selection_repository.NewDigest(
        id=d.id,
        alarm=d.alarm.value,
        audience=d.audience.value,
        period=d.period,
        recipient_id=d.recipient.id,
        recipient_kind=d.recipient.kind,
        recipient_user_id=d.recipient.user_id,
        recipient_name=d.recipient.name,
        recipient_email=d.recipient.email,
        language=d.language,
        row_count=d.group.row_count,
        customers=d.group.customers,
        totals=d.group.totals,
        data=d.text.data(),
        idempotency_key=d.idempotency_key,
    )


async def send(
    db: AsyncSession, settings: AlarmsSettings, tenant_id: uuid.UUID, run_id: uuid.UUID, result: Plan
) -> None:
    """Store the new digests (their rows straight from the staging, on the server) and write their commands, in the
    caller's transaction, after a ``plan(..., run_id=run_id)``. A digest another run wrote in the meantime loses
    the unique index race here and is not sent again."""
    fresh = [d for d in result.digests if d.status == "would_send"]
    fresh_rows = [_new_digest(d) for d in fresh]
    created = await selection_repository.store_staged_digests(db, tenant_id, run_id, result.as_of, fresh_rows)
    await repository.fill_inbox(db, tenant_id, list(created))
    if result.thresholds:  # the overdue threshold ran: its crossings told, and those that ended
        await manager_selection.record_threshold_crossings(db, tenant_id, run_id, result.as_of, result.thresholds)
    new = []
    for d in fresh:
        if d.id in created:
            d.status, d.run_id, d.created_at = "sent", run_id, created[d.id]
            new.append(d)
        else:
            d.status = "already_sent"
    size = settings.command_batch_size
    commands = [
        SendCommunications(communications=[communication(d) for d in new[start : start + size]])
        for start in range(0, len(new), size)
    ]
    await emit_many(db, outbox, tenant_id, commands)


def counts(result: Plan) -> dict[str, Any]:
    sent = [d for d in result.digests if d.status in ("sent", "would_send")]
    return {
        "digests": len(sent),
        "rows": sum(d.group.row_count for d in sent),
        "already_sent": sum(1 for d in result.digests if d.status == "already_sent"),
        "unrouted": [
            {
                "alarm": u.alarm.value,
                "audience": u.audience.value,
                "reason": u.reason,
                "recipient_id": str(u.recipient_id) if u.recipient_id else None,
                "rows": u.rows,
                "customers": u.customers,
            }
            for u in result.unrouted
        ],
    }


async def execute_run(
    db: AsyncSession,
    engine: AsyncEngine,
    client: InternalClient,
    settings: AlarmsSettings,
    tenant: TenantView,
    run_id: uuid.UUID,
    alarms: list[Alarm],
    as_of: date,
) -> Plan:
    """Compute, send what is new, and record the run as completed: all in the caller's transaction."""
    result = await plan(db, engine, client, settings, tenant, alarms, as_of, run_id=run_id)
    await send(db, settings, tenant.tenant_id, run_id, result)
    summary = counts(result)
    await repository.complete_run(
        db,
        run_id,
        digests=summary["digests"],
        rows=summary["rows"],
        already_sent=summary["already_sent"],
        unrouted=summary["unrouted"],
        finished_at=wall_now(),
    )
    return result


async def create_run(
    db: AsyncSession,
    tenant_id: uuid.UUID,
    as_of: date,
    alarms: list[Alarm],
    trigger: str,
    requested_by: str | None,
    run_id: uuid.UUID | None = None,
) -> uuid.UUID:
    run_id = run_id or uuid.uuid4()
    await repository.create_run(db, run_id, tenant_id, as_of, [a.value for a in alarms], trigger, requested_by)
    return run_id
