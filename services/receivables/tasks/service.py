"""Tasks: created by people, by outcomes and by other services (idempotent by key); every change is announced."""

import uuid
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers.repository import load_customer
from services.receivables.events import emit_tasks_changed
from services.receivables.invoices.rules import FieldInvalid
from services.receivables.people.repository import require_user
from services.receivables.tasks import repository
from services.receivables.tasks.repository import ServiceTask, TaskRow
from services.receivables.tasks.rules import is_overdue, supervisor_for
from services.receivables.tasks.schemas import TaskCreate, TaskOut, TaskStatus, TaskUpdate
from services.receivables.tenant_settings.repository import load_profile
from services.receivables.timeline.repository import add_entries
from services.receivables.timeline.rules import occurred_at
from shared.contracts.receivables import CreateTask
from shared.identity import Identity
from shared.inbox import Received, messages_by_tenant
from shared.problems import Conflict, NotFound, ValidationProblem
from shared.tenant_users import TenantUsers


def task_out(row: TaskRow, today: date) -> TaskOut:
    """The API's task: the stored row and whether it is overdue on the tenant's ``today``."""
    return TaskOut.model_validate({**asdict(row), "overdue": is_overdue(row.status, row.due_date, today)})


def _entry(row: TaskRow | ServiceTask, summary: str, actor: str) -> dict[str, Any]:
    return {
        "customer_id": row.customer_id,
        "kind": "task",
        "ref_id": row.id,
        "summary": summary,
        "data": {
            "title": row.title,
            "status": row.status,
            "assignee_id": row.assignee_id,
            "due_date": row.due_date,
        },
        "actor": actor,
    }


async def insert_task(session: AsyncSession, tenant_id: uuid.UUID, values: dict[str, Any], actor: str) -> TaskRow:
    """Store a task, log it on the customer's timeline (at its ``occurred_at``: when it was given, default now on
    the tenant's clock) and announce it."""
    if values.get("occurred_at") is None:
        values = {**values, "occurred_at": (await load_profile(session, tenant_id)).clock.now()}
    row = await repository.insert_task(session, tenant_id, actor, values)
    if row.customer_id is not None:
        due = f", due {row.due_date.isoformat()}" if row.due_date else ""
        await add_entries(session, tenant_id, [_entry(row, f"Task: {row.title}{due}", actor)], at=row.occurred_at)
    await emit_tasks_changed(session, tenant_id, [row.id])
    return row


async def create_task(session: AsyncSession, identity: Identity, data: TaskCreate, gateway: TenantUsers) -> TaskRow:
    tenant_id = identity.tenant_id
    if data.customer_id and await load_customer(session, tenant_id, data.customer_id) is None:
        raise ValidationProblem.field("customer_id", "is not a customer of this tenant")
    values = data.model_dump(exclude={"customer_external_id"})
    try:
        values["occurred_at"] = occurred_at(data.occurred_at, (await load_profile(session, tenant_id)).clock.now())
    except FieldInvalid as exc:
        raise ValidationProblem.field(exc.field, exc.message) from None
    values["assignee_id"] = values["assignee_id"] or identity.user_id
    values["supervisor_id"] = supervisor_for(values["assignee_id"], values["supervisor_id"], identity.user_id)
    for field in ("assignee_id", "supervisor_id"):
        if values[field] is not None:
            await require_user(session, tenant_id, values[field], field, gateway=gateway)
    return await insert_task(session, tenant_id, {**values, "source": "manual"}, identity.actor)


async def update_task(
    session: AsyncSession, identity: Identity, task_id: uuid.UUID, data: TaskUpdate, gateway: TenantUsers
) -> TaskRow:
    tenant_id = identity.tenant_id
    current = await repository.get_task(session, tenant_id, task_id)
    if current is None:
        raise NotFound("Task not found")
    values = data.model_dump(exclude_unset=True)
    for field in ("title", "status"):
        if field in values and values[field] is None:
            values.pop(field)
    if "assignee_id" in values or "supervisor_id" in values:
        assignee = values.get("assignee_id", current.assignee_id)
        supervisor = values.get("supervisor_id", current.supervisor_id)
        values["supervisor_id"] = supervisor_for(assignee, supervisor, identity.user_id)
    for field in ("assignee_id", "supervisor_id"):
        if values.get(field) is not None:
            await require_user(session, tenant_id, values[field], field, gateway=gateway)
    changed = {k: v for k, v in values.items() if getattr(current, k) != v}
    if not changed:
        return current
    if "status" in changed:  # open <-> done / cancelled: who closed it and when
        closing = changed["status"] != TaskStatus.OPEN
        changed["completed_at"] = (await load_profile(session, tenant_id)).clock.now() if closing else None
        changed["completed_by"] = identity.actor if closing else None
    row = await repository.update_task(session, task_id, changed)
    if row.customer_id is not None:
        what = f"Task {row.status}: {row.title}" if "status" in values else f"Task changed: {row.title}"
        await add_entries(session, tenant_id, [_entry(row, what, identity.actor)])
    await emit_tasks_changed(session, tenant_id, [task_id])
    return row


async def close_answered_task(
    session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID, customer_id: uuid.UUID, actor: str, at: datetime
) -> TaskRow:
    """The task an outcome answers (a call step's, issue 18: the call was made) is done when the contact happened;
    one of another customer is refused naming ``closes_task_id``, one already closed is a conflict."""
    current = await repository.get_task(session, tenant_id, task_id)
    if current is None or current.customer_id != customer_id:
        raise ValidationProblem.field("closes_task_id", "is not a task of this customer")
    if current.status != TaskStatus.OPEN:
        raise Conflict(f"Task {current.title!r} is already {current.status}", field="closes_task_id")
    row = await repository.update_task(
        session, task_id, {"status": TaskStatus.DONE, "completed_at": at, "completed_by": actor}
    )
    await add_entries(session, tenant_id, [_entry(row, f"Task done: {row.title}", actor)], at=at)
    await emit_tasks_changed(session, tenant_id, [task_id])
    return row


async def on_create_task(ctx: dict[str, Any], session: AsyncSession, batch: list[Received[CreateTask]]) -> None:
    """Another service asks for a task (dunning: no channel left)."""
    for tenant_id, commands in messages_by_tenant(batch).items():
        rows = [
            {
                "key": c.idempotency_key,
                "customer_id": str(c.customer_id),
                "title": c.title[:200],
                "description": c.description,
                "assignee_id": str(c.assignee_id) if c.assignee_id else None,
                "due_date": c.due_date.isoformat() if c.due_date else None,
                "source": c.source[:40],
            }
            for c in commands
        ]
        await insert_service_tasks(session, tenant_id, rows)


async def insert_service_tasks(session: AsyncSession, tenant_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """Tasks another service asks for (``key``, ``customer_id``, ``title``, ``description``, ``assignee_id``,
    ``due_date``, ``source``), each logged on its customer's timeline and announced. Idempotent by key; the
    assignee defaults to the customer's collector and the due date to the tenant's today (its clock)."""
    if rows:
        profile = await load_profile(session, tenant_id)
        created = await repository.insert_service_tasks(
            session, tenant_id, orjson.dumps(rows).decode(), profile.today(), profile.clock.now()
        )
        await add_entries(
            session,
            tenant_id,
            [_entry(r, f"Task: {r.title}", r.created_by) for r in created],
        )
        await emit_tasks_changed(session, tenant_id, [r.id for r in created])
