import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dunning_service import examples
from dunning_service.models import Run
from dunning_service.runs.repository import RunRow
from dunning_service.strategies.rules import ActionKind, StepKind
from shared.contracts.common import Channel, InvoiceStatus, MoneyAmount
from shared.contracts.messaging import DISPATCHES_ASKED_AT_ONCE, CommunicationKind


class RunCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"as_of": "2026-03-02", "dry_run": True}]})

    as_of: date | None = Field(
        None, description="Default: today in the tenant's time zone. Real runs: not in the future"
    )
    dry_run: bool = Field(False, description="Compute and return the plan; send nothing, record nothing on invoices")


class StepCount(BaseModel):
    strategy_id: uuid.UUID
    strategy: str | None
    step_key: str
    kind: StepKind | None
    tone: int | None
    invoices: int


class ChargeCounts(BaseModel):
    """Issue 19: the late charges of a run."""

    count: int = 0
    amounts: list[MoneyAmount] = Field(default_factory=list, description="Per currency, never added across")


class RunCounts(BaseModel):
    customers: int = 0
    invoices: int = 0
    communications: int = 0
    tasks: int = Field(0, description="Customers with no channel left: a task for the collector instead")
    calls: int = Field(0, description="Call steps' tasks (one per customer and call step), with their scripts")
    action_notices: int = 0
    by_step: list[StepCount] = Field(default_factory=list, description="Invoices per step")
    by_channel: dict[str, int] = Field(
        default_factory=dict, description="Communications per channel (and tasks, calls)"
    )
    by_tone: dict[str, int] = Field(default_factory=dict, description="Communications per tone")
    by_kind: dict[str, int] = Field(default_factory=dict, description="Communications per kind")
    charges: ChargeCounts | None = Field(
        None, description="Late charges assessed (a dry run: that it would assess), when the tenant has fee rules"
    )
    seconds: dict[str, float] | None = Field(None, description="Time spent planning and writing (operations)")


class RunOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RUN_OUT]})

    id: uuid.UUID
    as_of: date
    dry_run: bool
    trigger: str = Field(description="manual or schedule")
    status: str = Field(description="queued, running, completed, skipped (not a business day), failed, interrupted")
    requested_by: str | None
    counts: RunCounts
    strategy_versions: dict[str, int] = Field(description="Strategy id -> the version the run used")
    note: str | None
    delivery: dict[str, int] | None = Field(
        None, description="Real runs: dispatches per state now (pending, accepted, failed, task)"
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PlannedInvoice(BaseModel):
    invoice_id: uuid.UUID
    number: str
    step_key: str
    step_kind: StepKind
    days_overdue: int
    open_amount: Decimal
    currency: str


class OpenInvoice(BaseModel):
    """What every dunning view of an open invoice shows first (a message's position line, explain)."""

    invoice_id: uuid.UUID
    number: str
    status: InvoiceStatus
    currency: str
    open_amount: Decimal
    due_date: date


class PositionInvoice(OpenInvoice):
    days_overdue: int = Field(description="Negative: days left to the due date")
    triggered: bool = Field(description="Reached the step that causes the message")
    demanded: bool = Field(description="False while paused (promise to pay, payment reported, dispute)")
    promised_date: date | None = None
    reported_date: date | None = None


class Amount(BaseModel):
    currency: str
    amount: Decimal


class PositionOut(BaseModel):
    """The customer's whole open position as the message states it (issue 12)."""

    invoices: list[PositionInvoice] = Field(description="Overdue first (oldest first), then not yet due")
    totals: list[Amount] = Field(description="Overdue and demanded, net of credits, per currency")
    open_totals: list[Amount] = Field(description="Everything open and demanded, net of credits, per currency")
    credits: list[Amount] = Field(description="Unapplied credits per currency")
    overdue_count: int
    oldest_days_overdue: int | None


class PlannedCommunicationOut(BaseModel):
    customer_id: uuid.UUID
    customer_name: str
    channel: Channel | None = Field(description="Null for a task (no channel left, or a call step)")
    to: str | None
    kind: CommunicationKind = Field(description="A call step's task shows `overdue` (the debt it is about)")
    tone: int
    action: ActionKind | None
    task: bool
    call: bool = Field(False, description="A call step's task: the collector calls with the step's script")
    idempotency_key: str
    invoices: list[PlannedInvoice] = Field(description="The invoices that reached a step: they cause the message")
    position: PositionOut | None = Field(None, description="Messages (not tasks): what the message states")


class RunWithPlan(RunOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RUN_WITH_PLAN]})

    plan: list[PlannedCommunicationOut] | None = Field(
        None,
        description="Dry runs, once computed (status completed or skipped): what would go out, the first "
        "`plan_limit` entries; null while queued or running. Real runs: empty on creation, null when read",
    )
    plan_truncated: bool | None = Field(
        None, description="Dry runs, once computed: the plan has more entries than shown (the counts cover all)"
    )


class DispatchOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DISPATCH_OUT]})

    id: uuid.UUID
    customer_id: uuid.UUID
    channel: Channel | None
    to: str | None = Field(validation_alias="address")
    kind: str
    tone: int
    action: str | None
    state: str = Field(description="pending (awaiting messaging), accepted, failed, or task")
    delivery_state: str | None
    error: str | None
    idempotency_key: str
    invoice_ids: list[uuid.UUID]
    step_keys: list[str]
    created_at: datetime
    resolved_at: datetime | None


def run_out(row: RunRow | Run, delivery: dict[str, int] | None = None) -> dict[str, Any]:
    """A run as the API shows it, from its typed row or the ORM object a request just created."""
    return {
        "id": row.id,
        "as_of": row.as_of,
        "dry_run": row.dry_run,
        "trigger": row.trigger,
        "status": row.status,
        "requested_by": row.requested_by,
        "counts": row.counts or {},
        "strategy_versions": row.strategy_versions or {},
        "note": row.note,
        "delivery": delivery,
        "created_at": row.created_at,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
    }


def run_with_plan_out(row: RunRow, delivery: dict[str, int] | None = None) -> dict[str, Any]:
    """A run with its dry-run plan, once the worker stored it (``{"items": [...], "truncated": bool}``)."""
    plan = row.plan
    return {
        **run_out(row, delivery),
        "plan": plan["items"] if plan else None,
        "plan_truncated": plan["truncated"] if plan else None,
    }


class DispatchedAsked(BaseModel):
    """Messaging's question for a run's communications (``SendDispatchedCommunications``' ids, several commands'
    worth at a time)."""

    dispatch_ids: list[uuid.UUID] = Field(min_length=1, max_length=DISPATCHES_ASKED_AT_ONCE)
