import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from services.receivables.external_ids.service import fields_named_as_sent, resolved
from services.receivables.tasks import repository, service
from services.receivables.tasks.auth import TaskRead, TaskWrite
from services.receivables.tasks.schemas import TaskCreate, TaskOut, TaskStatus, TaskUpdate
from services.receivables.tenant_settings.repository import load_profile
from shared.db import SessionDep
from shared.identity import Identity
from shared.pagination import Page, PageDep, make_page
from shared.problems import NotFound, ValidationProblem, problem_responses
from shared.tenant_users import TenantUsersDep

router = APIRouter(prefix="/v1/tasks", tags=["tasks"], responses=problem_responses(401, 403, 422))


@router.post("", response_model=TaskOut, status_code=status.HTTP_201_CREATED, responses=problem_responses(503))
async def create_task(identity: TaskWrite, data: TaskCreate, session: SessionDep, gateway: TenantUsersDep) -> TaskOut:
    """A task: what to do, for whom (default: me), under which supervisor, by when (seed 004); its customer by
    `customer_id` or by the ERP's `customer_external_id`."""
    with fields_named_as_sent(data):
        data = await resolved(session, identity.tenant_id, data, customer_required=False)
        row = await service.create_task(session, identity, data, gateway)
    return service.task_out(row, (await load_profile(session, identity.tenant_id)).today())


async def _list(identity: Identity, session: SessionDep, page: PageDep, **filters: object) -> dict[str, Any]:
    today = (await load_profile(session, identity.tenant_id)).today()
    rows = await repository.list_tasks(
        session,
        identity.tenant_id,
        limit=page.limit,
        after=page.cursor,
        today=today,
        **filters,  # type: ignore[arg-type]
    )
    return make_page(
        rows,
        page.limit,
        key=lambda r: [r.due_date or repository.NO_DATE, r.id],
        item=lambda r: service.task_out(r, today),
    )


@router.get("", response_model=Page[TaskOut])
async def list_tasks(
    identity: TaskRead,
    session: SessionDep,
    page: PageDep,
    assignee_id: uuid.UUID | None = None,
    supervisor_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    task_status: Annotated[TaskStatus | None, Query(alias="status")] = None,
    overdue: Annotated[bool | None, Query(description="Open and due before the tenant's today")] = None,
    due_before: date | None = None,
) -> dict[str, Any]:
    """Tasks by due date (undated last); filter by assignee, supervisor, customer, status, overdue."""
    return await _list(
        identity,
        session,
        page,
        assignee_id=assignee_id,
        supervisor_id=supervisor_id,
        customer_id=customer_id,
        status=task_status,
        overdue=overdue,
        due_before=due_before,
    )


@router.get("/mine", response_model=Page[TaskOut])
async def list_my_tasks(
    identity: TaskRead,
    session: SessionDep,
    page: PageDep,
    task_status: Annotated[TaskStatus | None, Query(alias="status")] = TaskStatus.OPEN,
    overdue: bool | None = None,
) -> dict[str, Any]:
    """The caller's tasks (a collector's to-do list), open ones by default."""
    if identity.user_id is None:
        raise ValidationProblem.field("Authorization", "my tasks are a person's: call with a user's token")
    return await _list(identity, session, page, assignee_id=identity.user_id, status=task_status, overdue=overdue)


@router.get("/supervised", response_model=Page[TaskOut])
async def list_supervised_tasks(
    identity: TaskRead,
    session: SessionDep,
    page: PageDep,
    task_status: Annotated[TaskStatus | None, Query(alias="status")] = TaskStatus.OPEN,
    overdue: bool | None = None,
) -> dict[str, Any]:
    """The tasks the caller supervises (seed 004: a task given to someone else has a supervisor who follows it
    up), open ones by default."""
    if identity.user_id is None:
        raise ValidationProblem.field("Authorization", "supervised tasks are a person's: call with a user's token")
    return await _list(identity, session, page, supervisor_id=identity.user_id, status=task_status, overdue=overdue)


@router.get("/{task_id}", response_model=TaskOut, responses=problem_responses(404))
async def get_task(identity: TaskRead, task_id: uuid.UUID, session: SessionDep) -> TaskOut:
    row = await repository.get_task(session, identity.tenant_id, task_id)
    if row is None:
        raise NotFound("Task not found")
    return service.task_out(row, (await load_profile(session, identity.tenant_id)).today())


@router.patch("/{task_id}", response_model=TaskOut, responses=problem_responses(404, 503))
async def update_task(
    identity: TaskWrite, task_id: uuid.UUID, data: TaskUpdate, session: SessionDep, gateway: TenantUsersDep
) -> TaskOut:
    """Change a task: reassign, reschedule, mark done or cancelled (or reopen)."""
    row = await service.update_task(session, identity, task_id, data, gateway)
    return service.task_out(row, (await load_profile(session, identity.tenant_id)).today())
