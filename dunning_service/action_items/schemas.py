import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from dunning_service import examples
from dunning_service.strategies.rules import ActionKind


class ActionItemStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class NoticeState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Resolution(StrEnum):
    DONE = "done"
    CANCELLED = "cancelled"


class ActionItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.ACTION_ITEM_OUT]})

    id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None = None
    invoice_ids: list[uuid.UUID]
    action: ActionKind
    status: ActionItemStatus
    source: str = Field(description="`step` (an action notice of a strategy) or `manual`")
    assignee_id: uuid.UUID | None
    created_on: date
    note: str | None
    notice_state: NoticeState | None = Field(
        description="The action notice's real state: `pending` (messaging holds it, not sent yet), `sent`, or "
        "`failed` (it failed and a fallback is on its way, or no channel was left: a task for the collector); "
        "null for a manual item, which has no notice"
    )
    strategy_id: uuid.UUID | None
    step_key: str | None
    resolution_reason: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class ActionItemCreate(BaseModel):
    """An action decided by a person (the run creates the others from action steps)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "6f1c1f8e-2b59-4a43-9a57-2f0f1f3c9a10",
                    "invoice_ids": ["0b7d2c4e-8f7a-4a8e-bb1a-2d5d4f1e9c21"],
                    "action": "suspend_service",
                    "note": "Tercer reclamo sin respuesta",
                }
            ]
        }
    )

    customer_id: uuid.UUID | None = Field(None, description="The customer (or `customer_external_id`)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
    invoice_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="At least one of the customer's invoices"
    )
    invoice_external_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=500, description="The ERP's ids of the invoices, instead of `invoice_ids`"
    )
    action: ActionKind
    assignee_id: uuid.UUID | None = None
    note: str | None = Field(None, max_length=4000)


class Assignment(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ASSIGNMENT]})

    assignee_id: uuid.UUID | None = Field(description="The person who takes the action; null unassigns")


class ResolutionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"resolution": "cancelled", "reason": "Customer paid before suspension"}]}
    )

    resolution: Resolution
    reason: str | None = Field(None, max_length=2000, description="Required when cancelling")
