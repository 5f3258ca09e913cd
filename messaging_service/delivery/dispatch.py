"""Sending, in arq jobs: ``dispatch`` (cron) starts ``deliver`` jobs while messages are due; each ``deliver``
claims batches of due messages (``SKIP LOCKED``), sends them concurrently and records every outcome in one
statement per batch.

At least once at the provider, never twice by two senders: a message is claimed (``sending``) in its own committed
transaction before it is handed to the provider, so no other job takes it while its sender holds it; the sender
renews that hold (a lease) while the batch is in flight. If the worker dies (kill -9, a lost database, a deploy
that could not wait), the lease runs out and ``dispatch`` makes the message due again: it is sent once more with the
same ``Message-ID`` (email) or provider reference (SMS, WhatsApp), so a receiver can tell the repeat. After the
last attempt it is dead-lettered (``failed``, ``interrupted``). See the README's "Delivery guarantee".
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.channels.config import policy
from messaging_service.channels.email import SmtpPool
from messaging_service.delivery import queue, repository
from messaging_service.delivery.events import status_changed, status_rows
from messaging_service.delivery.jobs import start_deliveries
from messaging_service.delivery.rows import Claimed, Reclaimed, Recorded, Tenant
from messaging_service.delivery.rules import Outcome, RetryPolicy, SendResult, after_attempt, next_opening, zone
from messaging_service.delivery.senders import send_one
from messaging_service.delivery.suppressions import INVALID, OPT_OUT, suppress
from messaging_service.models import outbox
from messaging_service.settings import MessagingSettings
from messaging_service.tenant_settings.rules import tenant_calendar
from shared.clock import tenant_now
from shared.db import transient_conflict, unit_of_work
from shared.internal import InternalClient
from shared.outbox import emit_many
from shared.statement import PDF_THREADS, pdf_rate

log = structlog.get_logger()

TENANT_CACHE_SECONDS = 10.0
# Messages one dispatch pass makes due again after their sender died (the rest wait ten seconds for the next).
RECLAIM_LIMIT = 5000
# How often a batch in flight records the results that came in: what a crash can make repeat is at most this much
# sending (plus the sends then in the SMTP and HTTP pipes).
RECORD_EVERY_SECONDS = 0.25
# A write of results that meets a deadlock (a callback locking the same messages in another order) is tried again:
# failing it would make the whole lot look unsent, and be sent again after the lease.
RECORD_TRIES = 3
# A PDF batch holds what the PDF threads make in this long (at least a few); before any PDF was timed, a PDF is
# taken to cost the upper end of what was measured (~0.1-0.5 s of CPU each).
BATCH_PDF_SECONDS = 20.0
MIN_PDF_BATCH = 5
FIRST_PDF_SECONDS = 0.5


def pdf_batch_limit(settings: MessagingSettings) -> int:
    """Emails with a PDF statement one deliver job claims at once: no more than this process's PDF threads make in
    ``BATCH_PDF_SECONDS``, shared by its parallel jobs. A batch must end well within the job's timeout, or its
    unsent messages wait for their lease and count an interrupted attempt. Other messages are claimed apart, at
    ``delivery_batch_size``: PDFs never shrink their batches."""
    rate = pdf_rate() or PDF_THREADS / FIRST_PDF_SECONDS
    fits = int(rate * BATCH_PDF_SECONDS / max(1, settings.delivery_parallelism))
    return max(MIN_PDF_BATCH, min(settings.delivery_batch_size, fits))


def retry_policy(settings: MessagingSettings) -> RetryPolicy:
    return RetryPolicy(settings.retry_max_attempts, settings.retry_base_seconds, settings.retry_max_seconds)


async def startup(ctx: dict[str, Any]) -> None:
    settings: MessagingSettings = ctx["settings"]
    ctx["smtp"] = SmtpPool(settings.smtp_connections)
    ctx["provider_slots"] = asyncio.Semaphore(settings.provider_concurrency)
    ctx["tenant_cache"] = {}
    ctx.setdefault("dunning", InternalClient(ctx["http"], settings))  # a run's messages' content (tests route it)


async def shutdown(ctx: dict[str, Any]) -> None:
    if "smtp" in ctx:
        await ctx["smtp"].close()


async def dispatch(ctx: dict[str, Any]) -> int:
    """Make messages whose sender died due again (or dead-letter them); start the deliver jobs when messages are
    due. Runs every ten seconds: after a crash or a Redis that lost its jobs, delivery resumes on its own."""
    settings: MessagingSettings = ctx["settings"]
    async with unit_of_work(ctx["sessionmaker"]) as session:
        reclaimed = await queue.reclaim_interrupted(
            session, settings.sending_lease_seconds, settings.retry_max_attempts, RECLAIM_LIMIT
        )
        if reclaimed:
            await queue.insert_attempts(
                session,
                [
                    {
                        "message_id": r.id,
                        "tenant_id": r.tenant_id,
                        "number": r.attempts,
                        "started_at": r.sending_since,
                        "finished_at": datetime.now(UTC),
                        "outcome": "interrupted",
                        "provider_message_id": None,
                        "error_code": "interrupted",
                        "error": "the worker stopped while sending",
                    }
                    for r in reclaimed
                ],
            )
            await _keep_to_the_window(ctx, session, [r for r in reclaimed if r.state == "queued"])
            dead = [r for r in reclaimed if r.state == "failed"]
            for tenant_id in {r.tenant_id for r in dead}:
                events = [status_changed(r, at=r.failed_at) for r in dead if r.tenant_id == tenant_id]
                await emit_many(session, outbox, tenant_id, events)
    async with ctx["sessionmaker"]() as session:
        due = await queue.due_exists(session)
    if due:
        await start_deliveries(ctx["redis"], settings.delivery_parallelism)
    return len(reclaimed)


async def _keep_to_the_window(ctx: dict[str, Any], session: AsyncSession, requeued: list[Reclaimed]) -> None:
    """A message made due again goes now only if its contact window is open now (seed 002: never outside the allowed
    hours, never on a holiday); else at the window's next opening, as a retry would."""
    tenants = await _tenants(ctx, {row.tenant_id for row in requeued})
    later = []
    for row in requeued:
        tenant = tenants.get(row.tenant_id)
        if tenant is not None:
            window = policy(tenant.channels, row.channel).window
            opening = next_opening(tenant_now(row.test_clock), zone(row.timezone), window, tenant_calendar(tenant))
            if opening is not None:
                later.append((row.id, opening))
    await queue.reschedule(session, later)


async def deliver(ctx: dict[str, Any]) -> int:
    """Send due messages until none is due, the time budget is spent or the worker is stopping (the batch in hand
    is finished first); answers how many were sent. Two lanes run side by side: emails that attach a PDF statement
    (small batches at the PDF threads' pace) and all the others (full batches), so a tenant's PDFs never slow
    another's SMS or plain emails (issue 11's noisy neighbour)."""
    settings: MessagingSettings = ctx["settings"]
    deadline = time.monotonic() + settings.delivery_time_budget_seconds
    active = {False: True, True: True}
    # A lane that fails (the database away) does not cancel the other's batch in flight: that would only make its
    # handed-over sends repeat after the lease. The error is raised once both have ended.
    results = await asyncio.gather(
        _lane(ctx, deadline, active, pdf=False), _lane(ctx, deadline, active, pdf=True), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return sum(result for result in results if not isinstance(result, BaseException))


async def _lane(ctx: dict[str, Any], deadline: float, active: dict[bool, bool], *, pdf: bool) -> int:
    """Claim and send one lane's batches. A lane with nothing due lingers while the other lane is still sending:
    messages accepted meanwhile go at once, not when the other lane's long run ends."""
    settings: MessagingSettings = ctx["settings"]
    idle_until = time.monotonic() + settings.delivery_linger_seconds
    sent = 0
    try:
        while time.monotonic() < deadline and not ctx.get("stopping"):
            limit = pdf_batch_limit(settings) if pdf else settings.delivery_batch_size
            async with unit_of_work(ctx["sessionmaker"]) as session:
                claimed = await queue.claim_due(session, limit, pdf=pdf)
            if claimed:
                active[pdf] = True
                async with _holding(ctx, [row.id for row in claimed]):
                    sent += await send_batch(ctx, claimed)
                idle_until = time.monotonic() + settings.delivery_linger_seconds
                continue
            active[pdf] = time.monotonic() < idle_until
            if not active[pdf] and not active[not pdf]:
                break
            await asyncio.sleep(0.2)  # acceptance may be committing the next batch right now
    finally:
        active[pdf] = False
    return sent


@asynccontextmanager
async def _holding(ctx: dict[str, Any], ids: list[uuid.UUID]) -> AsyncIterator[None]:
    """Renew the lease on a claimed batch every third of the lease while it is being sent."""
    period = ctx["settings"].sending_lease_seconds / 3

    async def renew() -> None:
        while True:
            await asyncio.sleep(period)
            try:
                async with unit_of_work(ctx["sessionmaker"]) as session:
                    await queue.renew_lease(session, ids)
            except Exception:  # the database may be away for a moment; the next renewal tries again
                log.warning("sending_lease_not_renewed", messages=len(ids))

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _tenants(ctx: dict[str, Any], tenant_ids: set[uuid.UUID]) -> dict[uuid.UUID, Tenant]:
    cache: dict[uuid.UUID, tuple[float, Tenant]] = ctx.setdefault("tenant_cache", {})
    now = time.monotonic()
    missing = [t for t in tenant_ids if t not in cache or cache[t][0] < now]
    if missing:
        async with ctx["sessionmaker"]() as session:
            for tenant_id, row in (await repository.tenant_settings(session, missing)).items():
                cache[tenant_id] = (now + TENANT_CACHE_SECONDS, row)
    return {t: cache[t][1] for t in tenant_ids if t in cache}


@dataclass(frozen=True, slots=True)
class Finished:
    """One attempt's result and when it ran."""

    row: Claimed
    result: SendResult
    started: datetime
    finished: datetime


async def send_batch(ctx: dict[str, Any], claimed: list[Claimed]) -> int:
    """Send a claimed batch concurrently, recording results as they come (every ``RECORD_EVERY_SECONDS``), so a
    worker that dies mid-batch repeats only what was handed over in that last moment, not the whole batch."""
    tenants = await _tenants(ctx, {row.tenant_id for row in claimed})
    sending = {asyncio.create_task(_timed(ctx, row, tenants.get(row.tenant_id))) for row in claimed}
    sent = 0
    try:
        while sending:
            done, sending = await asyncio.wait(sending, timeout=RECORD_EVERY_SECONDS)
            if done:
                finished = [task.result() for task in done]
                await _record(ctx, tenants, finished)
                sent += sum(1 for f in finished if f.result.outcome is Outcome.SENT)
    finally:  # stopping (a deploy that could not wait): what is unrecorded is made due again after the lease
        for task in sending:
            task.cancel()
    return sent


async def _timed(ctx: dict[str, Any], row: Claimed, tenant: Tenant | None) -> Finished:
    started = datetime.now(UTC)
    result = await send_one(ctx, row, tenant)
    return Finished(row, result, started, datetime.now(UTC))


async def _record(ctx: dict[str, Any], tenants: dict[uuid.UUID, Tenant], finished: list[Finished]) -> None:
    """Every outcome, its attempt and its event in one transaction."""
    policy_ = retry_policy(ctx["settings"])
    results, attempts = [], []
    for f in finished:
        row, result, tenant = f.row, f.result, tenants.get(f.row.tenant_id)
        at = calendar_instant(row.test_clock, f.finished)
        decision = after_attempt(result, row.attempts, policy_, at)
        retry_at = decision.retry_at
        if retry_at is not None and tenant is not None:
            window = policy(tenant.channels, row.channel).window
            retry_at = next_opening(retry_at, zone(row.timezone), window, tenant_calendar(tenant)) or retry_at
        results.append(
            {
                "id": row.id,
                "state": decision.state.value,
                "provider_message_id": result.provider_message_id,
                "error_code": decision.error_code,
                "error": decision.error,
                "dead_lettered": decision.dead_lettered,
                "retry_at": retry_at,
                "at": at,
            }
        )
        attempts.append(
            {
                "message_id": row.id,
                "tenant_id": row.tenant_id,
                "number": row.attempts,
                "started_at": f.started,
                "finished_at": f.finished,
                "outcome": result.outcome.value,
                "provider_message_id": result.provider_message_id,
                "error_code": result.error_code,
                "error": result.error,
            }
        )
    for attempt in range(1, RECORD_TRIES + 1):
        try:
            await _write_results(ctx, finished, results, attempts)
            return
        except Exception as exc:
            if attempt == RECORD_TRIES or not transient_conflict(exc):
                raise
            log.warning("delivery_results_retried", error=f"{type(exc).__name__}: {exc}"[:300])


async def _write_results(
    ctx: dict[str, Any], finished: list[Finished], results: list[dict[str, Any]], attempts: list[dict[str, Any]]
) -> None:
    async with unit_of_work(ctx["sessionmaker"]) as session:
        updated = await queue.record_results(session, results)
        await queue.insert_attempts(session, attempts)
        await _announce(session, updated, {r["id"]: r["at"] for r in results})
        for f in finished:
            if f.result.invalid_contact or f.result.opted_out:
                await suppress(
                    session,
                    f.row.tenant_id,
                    kind=OPT_OUT if f.result.opted_out else INVALID,
                    channel=f.row.channel,
                    address=f.row.to_address,
                    customer_id=f.row.customer_id,
                    source=f"{f.row.channel}_provider",
                    reason=f"{f.result.error_code}: {f.result.error}",
                )


async def _announce(session: AsyncSession, updated: list[Recorded], at: dict[uuid.UUID, datetime]) -> None:
    """Sent, failed and bounced are announced, each at its tenant's instant; a retry scheduled is not (the message
    stays queued)."""
    events = []
    for row in updated:
        if row.changed and row.state in ("sent", "failed", "bounced"):
            events.extend(status_rows(row.tenant_id, [row], at[row.id], False))
    await repository.copy_outbox(session, events)


def calendar_instant(test_clock: datetime | None, finished: datetime) -> datetime:
    """When an attempt happened in the tenant's calendar: when it ended, or the tenant's test clock as the claim
    read it (issue 15), so a replayed message is sent, retried and announced on the day being played (not on the
    day a cached tenant row remembers). The attempt's own timing stays real."""
    return test_clock if test_clock is not None else finished


async def purge_old_bodies(ctx: dict[str, Any]) -> int:
    async with unit_of_work(ctx["sessionmaker"]) as session:
        return await queue.purge_bodies(session, ctx["settings"].body_retention_days)
