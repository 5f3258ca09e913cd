import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.receivables import examples


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskCreate(BaseModel):
    """Seed 004: a task says what I will do, is actionable, may be for someone else with a supervisor."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "7b1d6a8e-8a4f-4f7e-9a39-6a3a3b8e2f10",
                    "title": "Conciliar el pago de este cliente",
                    "description": "Depósito 23763172736 informado por Maribel",
                    "assignee_id": "5a2c8f5e-1111-4c1e-9d44-2b0f5f0b6e77",
                    "supervisor_id": None,
                    "due_date": "2026-11-25",
                }
            ]
        }
    )

    customer_id: uuid.UUID | None = None
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    assignee_id: uuid.UUID | None = Field(None, description="A user of the tenant; default: the caller")
    supervisor_id: uuid.UUID | None = Field(
        None,
        description="A user who follows the task up; a task for someone else without one is supervised by the "
        "person who gives it (an integration must name one)",
    )
    due_date: date | None = None
    occurred_at: AwareDatetime | None = Field(
        None, description="When the task was given (default now on the tenant's clock; not in the future)"
    )


class TaskUpdate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TASK_UPDATE]})

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    assignee_id: uuid.UUID | None = None
    supervisor_id: uuid.UUID | None = None
    due_date: date | None = None
    status: TaskStatus | None = None


class TaskOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.TASK_OUT]})

    id: uuid.UUID
    revision: int
    customer_id: uuid.UUID | None
    title: str
    description: str | None
    assignee_id: uuid.UUID | None
    supervisor_id: uuid.UUID | None
    due_date: date | None
    status: TaskStatus
    overdue: bool = Field(description="Open and due before the tenant's today")
    source: str = Field(description="manual, outcome, or the service that asked for it (dunning)")
    outcome_id: uuid.UUID | None
    created_by: str
    completed_at: datetime | None
    completed_by: str | None
    occurred_at: datetime = Field(description="When it was given, on the tenant's calendar")
    created_at: datetime
    updated_at: datetime
