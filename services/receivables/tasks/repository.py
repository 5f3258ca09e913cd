"""Task queries: by assignee ("my tasks"), supervisor, customer, status, overdue; keyset by due date. Rows come
back as ``TaskRow`` (the table as stored); whether a task is overdue depends on the tenant's today, so the service
adds it (``rules.is_overdue``)."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import Task
from shared.pagination import keyset

tasks = Task.__table__
NO_DATE = date(9999, 12, 31)  # undated tasks sort last
_due_key = func.coalesce(tasks.c.due_date, NO_DATE)


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A stored task (every column of ``receivables.tasks``)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID | None
    revision: int
    title: str
    description: str | None
    assignee_id: uuid.UUID | None
    supervisor_id: uuid.UUID | None
    due_date: date | None
    status: str
    source: str
    outcome_id: uuid.UUID | None
    idempotency_key: str | None
    created_by: str
    completed_at: datetime | None
    completed_by: str | None
    occurred_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ServiceTask:
    """A task another service asked for, as its insert returns it (what the timeline and the event need)."""

    id: uuid.UUID
    customer_id: uuid.UUID | None
    title: str
    status: str
    assignee_id: uuid.UUID | None
    due_date: date | None
    created_by: str


def _task(row: RowMapping) -> TaskRow:
    return TaskRow(**row)


async def get_task(session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID) -> TaskRow | None:
    query = select(tasks).where(tasks.c.tenant_id == tenant_id, tasks.c.id == task_id)
    row = (await session.execute(query)).mappings().first()
    return None if row is None else _task(row)


async def list_tasks(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None,
    today: date,
    assignee_id: uuid.UUID | None = None,
    supervisor_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
) -> list[TaskRow]:
    query = select(tasks).where(tasks.c.tenant_id == tenant_id)
    if assignee_id:
        query = query.where(tasks.c.assignee_id == assignee_id)
    if supervisor_id:
        query = query.where(tasks.c.supervisor_id == supervisor_id)
    if customer_id:
        query = query.where(tasks.c.customer_id == customer_id)
    if status:
        query = query.where(tasks.c.status == status)
    if overdue is True:
        query = query.where(tasks.c.status == "open", tasks.c.due_date < today)
    elif overdue is False:
        query = query.where(~((tasks.c.status == "open") & (tasks.c.due_date < today)) | tasks.c.due_date.is_(None))
    if due_before:
        query = query.where(tasks.c.due_date <= due_before)
    query = keyset(query, (_due_key, tasks.c.id), (date.fromisoformat, uuid.UUID), after, limit)
    return [_task(row) for row in (await session.execute(query)).mappings()]


async def insert_task(session: AsyncSession, tenant_id: uuid.UUID, actor: str, values: Mapping[str, Any]) -> TaskRow:
    statement = insert(tasks).values(id=uuid.uuid4(), tenant_id=tenant_id, created_by=actor, **values).returning(tasks)
    return _task((await session.execute(statement)).mappings().one())


async def update_task(session: AsyncSession, task_id: uuid.UUID, changed: Mapping[str, Any]) -> TaskRow:
    """Apply ``changed``, bump the revision; the task as it is now."""
    statement = (
        update(tasks)
        .where(tasks.c.id == task_id)
        .values(**changed, revision=tasks.c.revision + 1, updated_at=text("now()"))
        .returning(tasks)
    )
    return _task((await session.execute(statement)).mappings().one())


async def insert_service_tasks(
    session: AsyncSession, tenant_id: uuid.UUID, rows_json: str, today: date, now: datetime
) -> list[ServiceTask]:
    """Insert the tasks of ``rows_json`` (a JSON array, see ``service.insert_service_tasks``), skipping known keys;
    the ones created."""
    created = await session.execute(
        text(
            "INSERT INTO receivables.tasks (id, tenant_id, customer_id, title, description, assignee_id, "
            "due_date, status, source, idempotency_key, created_by, occurred_at) "
            "SELECT receivables.uuid7(), c.tenant_id, c.id, x.title, x.description, "
            "coalesce(x.assignee_id, c.collector_id), "
            "coalesce(x.due_date, CAST(:today AS date)), 'open', x.source, "
            "x.key, 'service:' || x.source, CAST(:now AS timestamptz) "
            "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS x(key text, customer_id uuid, title text, "
            "description text, assignee_id uuid, due_date date, source text) "
            "JOIN receivables.customers c ON c.tenant_id = :tenant_id AND c.id = x.customer_id "
            "ON CONFLICT (tenant_id, idempotency_key) DO NOTHING "
            "RETURNING id, customer_id, title, status, assignee_id, due_date, created_by"
        ),
        {"tenant_id": tenant_id, "rows": rows_json, "today": today, "now": now},
    )
    return [ServiceTask(**row) for row in created.mappings()]
