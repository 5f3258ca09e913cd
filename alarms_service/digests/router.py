"""Alarms: digests sent (list, detail with rows), what a digest would hold now (preview), and runs (on demand,
dry run, list, detail). A collector (without a manager's or supervisor's role) sees only their own digests."""

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from alarms_service.digests import repository, service
from alarms_service.digests.auth import AlarmsRead, AlarmsRun, own_digests_only
from alarms_service.digests.directory import ReceivablesDep
from alarms_service.digests.repository import RunRow
from alarms_service.digests.rules import Audience
from alarms_service.digests.schemas import (
    FIRST_DAY,
    LAST_DAY,
    DigestOut,
    RunCreate,
    RunDetail,
    RunOut,
    digest_out,
)
from alarms_service.tenant_settings.repository import TenantView, load_schedules, load_tenant
from alarms_service.tenant_settings.rules import Alarm
from shared import calendar
from shared.db import EngineDep, SessionDep
from shared.pagination import Page, PageDep, make_page, page_of
from shared.problems import Conflict, Forbidden, NotFound, ValidationProblem, problem_responses

router = APIRouter(prefix="/v1/alarms", tags=["alarms"], responses=problem_responses(401, 403, 422))
runs_router = APIRouter(prefix="/v1/alarms/runs", tags=["alarm-runs"], responses=problem_responses(401, 403, 422))

UNAVAILABLE = problem_responses(409, 503)


async def require_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> TenantView:
    tenant = await load_tenant(session, tenant_id)
    if tenant is None:
        raise Conflict("The tenant's profile has not reached alarms yet (gateway.tenant_changed): try again shortly")
    return tenant


def today(tenant: TenantView) -> date:
    """The tenant's today on its clock (a sandbox's test clock, issue 15)."""
    return tenant.clock.today()


def check_as_of(as_of: date | None, tenant: TenantView) -> date:
    return as_of or today(tenant)


def planned_out(d: service.Planned, include_rows: bool) -> dict[str, Any]:
    return {
        "id": d.id,
        "run_id": d.run_id,
        "alarm": d.alarm,
        "audience": d.audience,
        "period": d.period,
        "as_of": d.as_of,
        "recipient": {
            "id": d.recipient.id,
            "kind": d.recipient.kind,
            "user_id": d.recipient.user_id,
            "name": d.recipient.name,
            "email": d.recipient.email,
        },
        "language": d.language,
        "row_count": d.group.row_count,
        "customers": d.group.customers,
        "totals": d.group.totals,
        **d.text.data(),
        "status": d.status,
        "idempotency_key": d.idempotency_key,
        "created_at": d.created_at,
        "rows": d.group.rows if include_rows else None,
    }


def run_out(row: RunRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "as_of": row.as_of,
        "trigger": row.trigger,
        "alarms": row.alarms,
        "dry_run": False,
        "status": row.status,
        "counts": {"digests": row.digests, "rows": row.rows, "already_sent": row.already_sent},
        "unrouted": row.unrouted,
        "requested_by": row.requested_by,
        "error": row.error,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
    }


@runs_router.post("", response_model=RunDetail, status_code=status.HTTP_201_CREATED, responses=UNAVAILABLE)
async def create_alarm_run(
    identity: AlarmsRun,
    data: RunCreate,
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    receivables: ReceivablesDep,
    include_rows: Annotated[bool, Query(description="Dry runs: every digest with all its rows")] = False,
) -> dict[str, Any]:
    """Run alarms now for an as-of date (default: the tenant's today) and answer the digests. A real run sends
    the new ones through messaging; running the same period again sends nothing new (`already_sent`). A dry run
    answers the digests (with their rows if `include_rows`) and stores and sends nothing. 503 when receivables
    cannot say who receives them (action owner, dispute areas); 409 while the tenant is not known to alarms yet."""
    settings = request.app.state.settings
    tenant = await require_tenant(session, identity.tenant_id)
    as_of = check_as_of(data.as_of, tenant)
    if data.alarms:
        alarms = [a for a in Alarm if a in data.alarms]
    else:
        schedules = await load_schedules(session, identity.tenant_id)
        alarms = [a for a in Alarm if schedules[a].enabled]
        if not alarms:
            raise ValidationProblem.field("alarms", "every alarm is disabled for this tenant: name the ones to run")
    if not data.dry_run and (refusal := calendar.future_as_of(as_of, today(tenant))):
        raise ValidationProblem.field("as_of", refusal)  # it would mark the period sent before its day
    if not data.dry_run and not tenant.active:
        raise Conflict("The tenant is not active: its alarms are not sent")
    if data.dry_run:
        result = await service.plan(
            session, engine, receivables, settings, tenant, alarms, as_of, all_rows=include_rows
        )
        summary = service.counts(result)
        return {
            "id": None,
            "as_of": as_of,
            "trigger": "manual",
            "alarms": alarms,
            "dry_run": True,
            "status": "completed",
            "counts": {k: summary[k] for k in ("digests", "rows", "already_sent")},
            "unrouted": summary["unrouted"],
            "requested_by": identity.actor,
            "error": None,
            "created_at": None,
            "finished_at": None,
            "digests": [planned_out(d, include_rows=include_rows) for d in result.digests],
        }
    run_id = await service.create_run(session, identity.tenant_id, as_of, alarms, "manual", identity.actor)
    result = await service.execute_run(session, engine, receivables, settings, tenant, run_id, alarms, as_of)
    row = await repository.get_run(session, identity.tenant_id, run_id)
    assert row is not None, "the run was created in this transaction"
    return {**run_out(row), "digests": [planned_out(d, include_rows=False) for d in result.digests]}


@runs_router.get("", response_model=Page[RunOut])
async def list_alarm_runs(
    identity: AlarmsRead,
    session: SessionDep,
    page: PageDep,
    trigger: Annotated[str | None, Query(description="`schedule` or `manual`")] = None,
    run_status: Annotated[str | None, Query(alias="status", description="`queued`, `completed`, `failed`")] = None,
) -> dict[str, Any]:
    """Runs, newest first: when each alarm ran, what it sent, which rows had nobody to go to."""
    rows = await repository.list_runs(
        session, identity.tenant_id, limit=page.limit, after=page.cursor, trigger=trigger, status=run_status
    )
    return make_page(rows, page.limit, key=lambda r: [r.created_at.isoformat(), r.id], item=run_out)


@runs_router.get("/{run_id}", response_model=RunDetail, responses=problem_responses(404))
async def get_alarm_run(identity: AlarmsRead, run_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    """A run and the digests it sent (a collector sees only theirs)."""
    only = own_digests_only(identity)
    row = await repository.get_run(session, identity.tenant_id, run_id)
    if row is None:
        raise NotFound("Alarm run not found")
    digests = await repository.run_digests(session, identity.tenant_id, run_id)
    visible = [d for d in digests if only is None or d.recipient_user_id == only]
    return {**run_out(row), "digests": [digest_out(d, include_rows=False) for d in visible]}


@router.get("/preview", response_model=Page[DigestOut], responses=UNAVAILABLE)
async def preview_alarm_digests(
    identity: AlarmsRead,
    params: PageDep,
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    receivables: ReceivablesDep,
    alarm: Annotated[Alarm | None, Query(description="One alarm (default: every alarm)")] = None,
    recipient: Annotated[uuid.UUID | None, Query(description="A user or person id (default: everyone)")] = None,
    as_of: Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="Default: the tenant's today")] = None,
    include_rows: Annotated[bool, Query(description="All rows of every digest (always, for one recipient)")] = False,
) -> dict[str, Any]:
    """What the digests would contain now; nothing is stored or sent. A recipient's digests come with every row.
    `status` says whether this period's digest already went out. In the order of their idempotency keys (alarm,
    audience, recipient, period)."""
    only = own_digests_only(identity)
    if only is not None:
        if recipient is not None and recipient != only:
            raise Forbidden("A collector previews only their own digests")
        recipient = only
    tenant = await require_tenant(session, identity.tenant_id)
    day = check_as_of(as_of, tenant)
    alarms = [alarm] if alarm else list(Alarm)
    result = await service.plan(
        session, engine, receivables, request.app.state.settings, tenant, alarms, day, recipient, all_rows=include_rows
    )
    full = include_rows or recipient is not None
    return page_of(
        result.digests,
        params,
        key=lambda d: [d.idempotency_key],
        types=(str,),
        item=lambda d: planned_out(d, include_rows=full),
    )


@router.get("", response_model=Page[DigestOut])
async def list_alarm_digests(
    identity: AlarmsRead,
    session: SessionDep,
    page: PageDep,
    alarm: Alarm | None = None,
    audience: Audience | None = None,
    recipient: Annotated[uuid.UUID | None, Query(description="A user or person id")] = None,
    period: Annotated[str | None, Query(max_length=10, description="`2026-11-23` or `2026-W48`")] = None,
    run_id: uuid.UUID | None = None,
    as_of_from: date | None = None,
    as_of_to: date | None = None,
) -> dict[str, Any]:
    """Digests sent, newest first: alarm, recipient, period, row count, status (rows: see the detail)."""
    rows = await repository.list_digests(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        alarm=alarm,
        audience=audience,
        recipient_id=recipient,
        period=period,
        run_id=run_id,
        as_of_from=as_of_from,
        as_of_to=as_of_to,
        only_user=own_digests_only(identity),
    )
    return make_page(
        rows,
        page.limit,
        key=lambda r: [r.created_at.isoformat(), r.id],
        item=lambda r: digest_out(r, include_rows=False),
    )


@router.get("/{digest_id}", response_model=DigestOut, responses=problem_responses(404))
async def get_alarm_digest(identity: AlarmsRead, digest_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    """A digest with every row, in the order the email lists them."""
    row = await repository.get_digest(session, identity.tenant_id, digest_id)
    only = own_digests_only(identity)
    if row is None or (only is not None and row.recipient_user_id != only):
        raise NotFound("Alarm digest not found")
    return digest_out(row, include_rows=True)
