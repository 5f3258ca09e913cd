"""The receivables worker: consumes the events it needs, answers commands, breaks due promises and payment plans
(issue 19) every hour, refreshes each tenant's warning signs once a day (issue 18) and computes the refreshes the
API records (issue 13, point 6)."""

import uuid
from datetime import date
from typing import Any

from arq import cron
from arq.worker import func

import services.receivables.events  # noqa: F401  (registers the deferred outbox rows the relay expands)
from services.receivables.charges.handlers import on_charges_assessed
from services.receivables.customers.handlers import on_contact_invalidated, on_opt_out_recorded
from services.receivables.models import SCHEMA
from services.receivables.people.handlers import on_user_changed
from services.receivables.plans.lifecycle import break_due
from services.receivables.promises.repository import detect_broken
from services.receivables.settings import ReceivablesSettings
from services.receivables.signs.jobs import REFRESH_JOB, redrive_refreshes, refresh_signs
from services.receivables.signs.service import refresh_due_tenants
from services.receivables.tasks.service import on_create_task
from services.receivables.tenant_settings.handlers import on_tenant_changed
from services.receivables.timeline.handlers import on_message_status_changed
from services.receivables.timeline.replies import on_reply_received
from shared.clock import wall_now
from shared.contracts.dunning import ChargesAssessed
from shared.contracts.gateway import TenantChanged, UserChanged
from shared.contracts.messaging import ContactInvalidated, MessageStatusChanged, OptOutRecorded, ReplyReceived
from shared.contracts.receivables import CreateTask
from shared.db import unit_of_work
from shared.inbox import Handlers
from shared.worker import worker_settings

settings = ReceivablesSettings()

HANDLERS: Handlers = {
    UserChanged: on_user_changed,
    TenantChanged: on_tenant_changed,
    MessageStatusChanged: on_message_status_changed,
    ContactInvalidated: on_contact_invalidated,
    OptOutRecorded: on_opt_out_recorded,
    CreateTask: on_create_task,
    ReplyReceived: on_reply_received,
    ChargesAssessed: on_charges_assessed,
}


async def detect_broken_promises(ctx: dict[str, Any], tenant_id: str | None = None, as_of: str | None = None) -> int:
    """Break every due promise, each tenant at its own local date (or ``as_of``). Idempotent, set-based."""
    async with unit_of_work(ctx["sessionmaker"]) as session:
        count, _ = await detect_broken(
            session, uuid.UUID(tenant_id) if tenant_id else None, date.fromisoformat(as_of) if as_of else None
        )
    return count


async def detect_broken_plans(ctx: dict[str, Any], tenant_id: str | None = None, as_of: str | None = None) -> int:
    """Break every accepted payment plan with an installment unpaid past its grace days, each tenant at its own
    local date on its clock (or ``as_of``). Idempotent."""
    async with unit_of_work(ctx["sessionmaker"]) as session:
        broken = await break_due(
            session, uuid.UUID(tenant_id) if tenant_id else None, date.fromisoformat(as_of) if as_of else None
        )
    return len(broken)


async def refresh_warning_signs(ctx: dict[str, Any], tenant_id: str | None = None) -> int:
    """The daily refresh of the warning signs: each tenant once on its local day (its clock), on the first run of
    the hourly cron after its midnight; and the refreshes the API recorded whose job was lost queued again.
    Answers how many tenants were refreshed."""
    await redrive_refreshes(ctx["sessionmaker"], ctx["redis"])
    return await refresh_due_tenants(ctx["sessionmaker"], wall_now(), uuid.UUID(tenant_id) if tenant_id else None)


WorkerSettings = worker_settings(
    settings,
    schema=SCHEMA,
    handlers=HANDLERS,
    functions=[
        detect_broken_promises,
        detect_broken_plans,
        refresh_warning_signs,
        func(refresh_signs, name=REFRESH_JOB),
    ],
    cron_jobs=[
        cron(
            detect_broken_promises,
            minute={settings.broken_promises_minute},
            name="receivables.detect_broken_promises",
            unique=True,
        ),
        cron(
            detect_broken_plans,
            minute={settings.broken_plans_minute},
            name="receivables.detect_broken_plans",
            unique=True,
        ),
        cron(
            refresh_warning_signs,
            minute={settings.warning_signs_minute},
            name="receivables.refresh_warning_signs",
            unique=True,
        ),
    ],
)
