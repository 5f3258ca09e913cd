"""Task queries: by assignee ("my tasks"), supervisor, customer, status, overdue; keyset by due date."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.models import Task, table
from shared.pagination import keyset

tasks = table(Task)
NO_DATE = date(9999, 12, 31)  # undated tasks sort last
_due_key = func.coalesce(tasks.c.due_date, NO_DATE)


async def get_task(session: AsyncSession, tenant_id: uuid.UUID, task_id: uuid.UUID) -> Any:
    query = select(tasks).where(tasks.c.tenant_id == tenant_id, tasks.c.id == task_id)
    return (await session.execute(query)).mappings().first()


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
) -> list[Any]:
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
    return list((await session.execute(query)).mappings().all())
