import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alarms_service import examples
from alarms_service.digests.repository import DigestRow
from alarms_service.digests.rules import Audience
from alarms_service.tenant_settings.rules import Alarm
from shared.contracts.receivables import WarningSignKind

# The dates a run may look at: wide, but with room for the date arithmetic of the thresholds.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
TOTALS = Field(description="Open amounts per currency (never added across currencies)", examples=[{"ARS": "1500.00"}])


class DigestStatus(StrEnum):
    SENT = "sent"  # handed to messaging (look it up in /v1/messages by its idempotency key or source_ref)
    WOULD_SEND = "would_send"  # dry run or preview: a run now would send it
    ALREADY_SENT = "already_sent"  # this period's digest went out before: a run sends nothing new


class RecipientOut(BaseModel):
    id: uuid.UUID = Field(description="A user id (collectors, action owner) or a person id (an area's responsible)")
    kind: str = Field(description="`user` or `person`", examples=["user"])
    user_id: uuid.UUID | None = Field(description="The user this recipient is, when known")
    name: str
    email: str


class ActionRow(BaseModel):
    """Actions list: one open action item (dunning) with what its invoices still owe."""

    action_item_id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None
    customer_external_id: str | None
    action: str = Field(examples=["suspend_service"], description="suspend_service, legal, write_off or call")
    notice_state: str | None = Field(
        None,
        description="The action notice to the customer: pending (not sent yet), sent, failed (a fallback or the "
        "collector is on it); null for an item a person created",
    )
    created_on: date
    days_open: int
    invoice_ids: list[uuid.UUID]
    invoices_owed: int = Field(description="Invoices of the item that still owe money")
    open_totals: dict[str, Decimal] = TOTALS


class BrokenPromiseOut(BaseModel):
    promise_id: uuid.UUID
    invoice_id: uuid.UUID
    number: str | None
    promised_date: date
    broken_on: date
    currency: str
    open_amount: Decimal


class BrokenPromiseRow(BaseModel):
    """Broken promises: one customer with its broken promises still unpaid."""

    customer_id: uuid.UUID
    customer_name: str | None
    customer_external_id: str | None
    oldest_broken_on: date
    promises: list[BrokenPromiseOut]
    open_totals: dict[str, Decimal] = TOTALS


class _InvoiceRow(BaseModel):
    """The invoice a row of the weekly digests is about."""

    invoice_id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    customer_name: str | None
    customer_external_id: str | None
    due_date: date
    currency: str
    open_amount: Decimal


class ReportedPaymentRow(_InvoiceRow):
    """Payments reported but not credited: one invoice still unpaid more than X days after the report."""

    reported_date: date
    days_reported: int


class DisputeRow(_InvoiceRow):
    """Disputes: one invoice in dispute, with the area that must resolve it."""

    area_id: uuid.UUID | None
    area_name: str | None = Field(description="Null: no area was named when the dispute was recorded")
    disputed_since: date = Field(description="When alarms saw the invoice enter dispute")
    days_in_dispute: int


class TaskRow(BaseModel):
    """Tasks overdue: one open task past its due date."""

    task_id: uuid.UUID
    title: str
    customer_id: uuid.UUID | None
    customer_name: str | None
    customer_external_id: str | None
    due_date: date
    days_overdue: int


class UnassignedCustomerRow(BaseModel):
    """Customers without collector: one customer with overdue debt and nobody assigned."""

    customer_id: uuid.UUID
    customer_name: str | None
    customer_external_id: str | None
    oldest_due_date: date
    days_overdue: int
    invoices: int = Field(description="Overdue invoices")
    overdue_totals: dict[str, Decimal] = TOTALS


class WorkloadRow(BaseModel):
    """Workload: one collector above the team's mean by more than the spread."""

    collector_id: uuid.UUID
    collector_name: str | None
    overdue_customers: int
    team_mean_customers: Decimal
    overdue_totals: dict[str, Decimal] = TOTALS
    team_mean_totals: dict[str, Decimal] = Field(description="The team's mean overdue amount per currency")
    over_customers: bool = Field(description="Above the spread by its overdue customers")
    over_currencies: list[str] = Field(description="The currencies whose overdue amount is above the spread")
    percent_of_mean: int = Field(description="The largest of its loads against the team's mean, in percent")


class OverdueThresholdRow(BaseModel):
    """Overdue threshold: a customer whose overdue total in a currency reached the tenant's threshold."""

    customer_id: uuid.UUID
    customer_name: str | None
    customer_external_id: str | None
    collector_id: uuid.UUID | None
    collector_name: str | None
    currency: str
    overdue_amount: Decimal
    threshold: Decimal
    invoices: int
    oldest_due_date: date


class ContactRateRow(BaseModel):
    """Contact rate: a collector with fewer contacts than planned over the last week."""

    collector_id: uuid.UUID
    collector_name: str | None
    contacts: int
    planned: int
    business_days: int
    week_from: date
    week_to: date
    percent_of_plan: int


class SignOut(BaseModel):
    """A warning sign as receivables computed it (seed 001), with its evidence."""

    sign: WarningSignKind
    evidence: dict[str, str | int | float | bool | list[str] | None] = Field(
        description="What the sign was computed from (e.g. `recent_avg_days_late`, `broken`, `overdue_now`)"
    )
    first_seen_on: date


class WarningSignsRow(BaseModel):
    """Warning signs: one customer with its signs (and their evidence) and its computed risk (seed 001)."""

    customer_id: uuid.UUID
    customer_name: str | None
    customer_external_id: str | None
    risk_level: str | None
    risk_reasons: list[str]
    signs: list[SignOut]
    refreshed_on: date


class BrokenPlanRow(BaseModel):
    """Payment plans broken (issue 19): one plan broken within the look-back, its invoices back to normal."""

    plan_id: uuid.UUID
    customer_id: uuid.UUID
    customer_name: str | None
    customer_external_id: str | None
    collector_id: uuid.UUID | None = Field(description="The plan's collector, else the customer's; null: nobody")
    broken_on: date
    currency: str
    principal: Decimal = Field(description="The debt the plan grouped")
    paid_amount: Decimal = Field(description="What its installments collected")
    unpaid_amount: Decimal = Field(description="What it left unpaid (the grouped invoices' open amounts now)")
    installments: int
    unpaid_installments: int
    reason: str | None


Row = (
    ActionRow
    | BrokenPromiseRow
    | ReportedPaymentRow
    | DisputeRow
    | TaskRow
    | UnassignedCustomerRow
    | WorkloadRow
    | OverdueThresholdRow
    | ContactRateRow
    | WarningSignsRow
    | BrokenPlanRow
)


class DigestOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DIGEST_OUT]})

    id: uuid.UUID
    run_id: uuid.UUID | None = Field(description="The run that sent it (null in dry runs and previews)")
    alarm: Alarm
    audience: Audience
    period: str = Field(description="The local date (daily alarms) or ISO week (weekly: `2026-W48`)")
    as_of: date
    recipient: RecipientOut
    language: str
    row_count: int
    customers: int
    totals: dict[str, Decimal] = TOTALS
    title: str
    summary: str
    lines: list[str] = Field(description="What the email lists (the first lines; the last one counts the rest)")
    action: str
    status: DigestStatus
    idempotency_key: str = Field(description="The key messaging got: one digest per alarm, recipient and period")
    created_at: datetime | None
    rows: list[Row] | None = Field(
        None, description="Every row, sorted as the email lists them (detail, dry runs and previews)"
    )


class UnroutedOut(BaseModel):
    """Rows no digest carries, and why: `no_collector` (customer without collector), `no_action_owner` (no owner
    set and the item has no assignee), `unknown_user` / `unknown_person`, `inactive_recipient`,
    `recipient_without_email`, `no_area`, `unknown_area`, `area_without_responsible`."""

    alarm: Alarm
    audience: Audience
    reason: str = Field(examples=["no_collector"])
    recipient_id: uuid.UUID | None
    rows: int
    customers: int


class RunCounts(BaseModel):
    digests: int = Field(description="Digests sent (dry run: that would be sent)")
    rows: int = Field(description="Rows in those digests")
    already_sent: int = Field(description="Digests of the same period sent before: not sent again")


class RunOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RUN_OUT]})

    id: uuid.UUID | None = Field(description="Null for a dry run (nothing is stored)")
    as_of: date
    trigger: str = Field(examples=["manual"], description="`schedule` or `manual`")
    alarms: list[Alarm]
    dry_run: bool
    status: str = Field(examples=["completed"], description="`queued`, `completed` or `failed`")
    counts: RunCounts
    unrouted: list[UnroutedOut]
    requested_by: str | None
    error: str | None
    created_at: datetime | None
    finished_at: datetime | None


class RunDetail(RunOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RUN_DETAIL]})

    digests: list[DigestOut]


class RunCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"as_of": "2026-11-23", "alarms": ["broken_promises"], "dry_run": True}]},
    )

    as_of: date | None = Field(
        None,
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="The date the alarms look at (default: the tenant's today); a real run: not in the future",
    )
    alarms: list[Alarm] | None = Field(
        None, min_length=1, description="Which alarms (default: the enabled ones); a named alarm runs even if disabled"
    )
    dry_run: bool = Field(False, description="Answer the digests without storing or sending anything")


def digest_out(row: DigestRow, include_rows: bool) -> dict[str, Any]:
    """A stored digest (a row of ``alarms.digests``) as the API shows it."""
    data = row.data
    return {
        "id": row.id,
        "run_id": row.run_id,
        "alarm": row.alarm,
        "audience": row.audience,
        "period": row.period,
        "as_of": row.as_of,
        "recipient": {
            "id": row.recipient_id,
            "kind": row.recipient_kind,
            "user_id": row.recipient_user_id,
            "name": row.recipient_name,
            "email": row.recipient_email,
        },
        "language": row.language,
        "row_count": row.row_count,
        "customers": row.customers,
        "totals": row.totals,
        "title": data["title"],
        "summary": data["summary"],
        "lines": data["lines"],
        "action": data["action"],
        "status": row.status,
        "idempotency_key": row.idempotency_key,
        "created_at": row.created_at,
        "rows": row.rows if include_rows else None,
    }
