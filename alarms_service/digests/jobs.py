"""Worker jobs: every quarter hour, queue each tenant's alarms that are due at its local time on its clock (a
sandbox's test clock, issue 15) and on its business days (once per period: ``schedule_slots``), and execute queued
runs."""

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import structlog
from arq import Retry
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.digests import repository, rules, selection_repository
from alarms_service.digests.directory import DirectoryUnavailable
from alarms_service.digests.service import execute_run
from alarms_service.tenant_settings.repository import active_tenants, load_tenant, schedules_by_tenant
from alarms_service.tenant_settings.rules import DEFAULTS, Alarm
from shared.clock import wall_now
from shared.db import connection_unavailable, unit_of_work
from shared.internal import InternalClient
from shared.outbox import queue_name
from shared.worker import retry_delay

log = structlog.get_logger()

RUN_JOB = "alarms.run"
SCHEDULE_JOB = "alarms.schedule"
SWEEP_JOB = "alarms.sweep_runs"
LOST_AFTER_SECONDS = 60
CONNECTION_RETRY_SECONDS = 10


async def enqueue_run(arq: ArqRedis, run_id: uuid.UUID) -> None:
    """Each enqueue has its own job id: a dead worker's in-progress key or a failed result kept by arq would
    swallow an enqueue under a fixed one. Extra jobs are harmless: a run executes under its row lock, once."""
    job_id = f"{RUN_JOB}:{run_id}:{uuid.uuid4().hex[:12]}"
    await arq.enqueue_job(RUN_JOB, str(run_id), _queue_name=queue_name("alarms"), _job_id=job_id)


async def schedule_runs(
    ctx: dict[str, Any],
    now: datetime | None = None,
    *,
    tenant_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> int:
    """Queue a run for every tenant with alarms due now on its clock (its local time) whose period was not taken
    yet (``sweep_runs`` re-queues the runs whose job or worker was lost). ``now`` stands for the wall clock; a
    tenant with a test clock (issue 15) is scheduled by its test clock. ``tenant_id`` limits it to one tenant, and
    ``at`` plays that tenant's clock at that instant (advancing a test clock). Returns how many runs were created."""
    if at is not None and tenant_id is None:
        raise ValueError("at plays one tenant's clock: give its tenant_id")
    now = now or wall_now()
    async with ctx["engine"].begin() as conn, AsyncSession(bind=conn) as session:
        tenants = await active_tenants(session, tenant_id)
        schedules = await schedules_by_tenant(session, tenant_id)
        slots: list[tuple[uuid.UUID, str, str, uuid.UUID]] = []
        as_of = {}
        for tenant in tenants:
            instant = at or tenant.test_clock or now  # the tenant's clock (``shared.clock.tenant_now``)
            local = rules.local_now(instant, tenant.timezone)
            settings = schedules.get(tenant.tenant_id, DEFAULTS)
            due = rules.due_alarms([settings[alarm] for alarm in Alarm], local, tenant.calendar)
            if due:
                run_id = uuid.uuid4()
                as_of[run_id] = (tenant.tenant_id, local.date())
                slots.extend((tenant.tenant_id, alarm.value, per, run_id) for alarm, per in due)
        taken: dict[uuid.UUID, list[str]] = defaultdict(list)
        for slot in await repository.take_schedule_slots(session, slots):
            taken[slot.run_id].append(slot.alarm)
        runs = {
            run_id: (*as_of[run_id], [a.value for a in Alarm if a.value in alarms]) for run_id, alarms in taken.items()
        }
        await repository.insert_scheduled_runs(session, runs)
        await selection_repository.forget_stale_staging(session)
    for run_id in taken:
        await enqueue_run(ctx["redis"], run_id)
    return len(taken)


async def sweep_runs(ctx: dict[str, Any], now: datetime | None = None) -> list[uuid.UUID]:
    """Enqueue again every run still queued a minute after it was created or after the retry it waits for was
    due: its job was lost (an enqueue that failed, a worker killed mid-run: the run's transaction rolled back, a
    job that found no database connection, Redis lost it). So an interrupted run resumes within a minute."""
    stale = (now or wall_now()) - timedelta(seconds=LOST_AFTER_SECONDS)  # a lease: real time
    async with ctx["engine"].connect() as conn, AsyncSession(bind=conn) as session:
        lost = await repository.lost_runs(session, stale)
    for run_id in lost:
        await enqueue_run(ctx["redis"], run_id)
    if lost:
        log.warning("alarm_runs_resumed", runs=[str(r) for r in lost])
    return lost


def receivables(ctx: dict[str, Any]) -> InternalClient:
    """The worker's client of receivables' API (tests may put one routed in-process in the context)."""
    return ctx.get("receivables") or InternalClient(ctx["http"], ctx["settings"])


async def run_alarms(ctx: dict[str, Any], run_id: str) -> str:
    """Execute a queued run in one transaction. While receivables cannot say who the recipients are, the run
    waits (arq ``Retry`` with back-off) and, after ``run_max_tries``, is recorded as failed."""
    settings = ctx["settings"]
    rid = uuid.UUID(run_id)
    try:
        async with unit_of_work(ctx["sessionmaker"]) as session:
            # a run another job is executing right now is locked: skip it rather than wait and run it twice
            run = await repository.lock_run(session, rid)
            if run is None or run.status != "queued":
                return "skipped"
            tenant = await load_tenant(session, run.tenant_id)
            if tenant is None:
                await repository.fail_run(session, rid, "tenant not known")
                return "failed"
            alarms = [Alarm(a) for a in run.alarms]
            await execute_run(session, ctx["engine"], receivables(ctx), settings, tenant, rid, alarms, run.as_of)
        return "completed"
    except DirectoryUnavailable as exc:
        job_try = ctx.get("job_try", 1)
        if job_try < settings.run_max_tries:
            delay = retry_delay(job_try, settings.retry_base_seconds * 10)
            log.warning("alarms_run_retry", run_id=run_id, job_try=job_try, in_seconds=delay, error=exc.detail)
            async with ctx["engine"].begin() as conn, AsyncSession(bind=conn) as session:
                await repository.retry_run_at(session, rid, timedelta(seconds=delay))  # the sweeper waits for it
            raise Retry(defer=delay) from exc
        async with unit_of_work(ctx["sessionmaker"]) as session:
            await repository.fail_run(session, rid, exc.detail, finished_at=wall_now())
        return "failed"
    except Exception as exc:
        if connection_unavailable(exc):  # no connection to be had: retried shortly, not left queued
            raise Retry(defer=CONNECTION_RETRY_SECONDS) from exc
        raise
