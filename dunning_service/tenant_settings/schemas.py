import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from dunning_service import examples
from dunning_service.fees.schemas import FeeRuleIn

# Where the tenant's action owner is set: receivables' settings, its one owner (issue 16).
ACTION_OWNER_OWNER = "PATCH /v1/receivables-settings"


class ResyncReport(BaseModel):
    """What the last resync of the projection from receivables did (``dunning_service.projection.resync``)."""

    status: Literal["completed", "failed"] | None = Field(None, description="null while it runs")
    started_at: datetime
    finished_at: datetime | None = None
    customers: int = Field(description="Customers read from receivables")
    invoices: int = Field(description="Open invoices read from receivables")
    customers_deleted: int | None = Field(None, description="Customers receivables no longer lists")
    invoices_missing: int | None = Field(None, description="Open invoices receivables no longer lists as open")
    error: str | None = Field(None, description="Why it failed")


class DunningSettingsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DUNNING_SETTINGS_OUT]})

    country: str | None = Field(description="From the tenant (gateway): whose public holidays are not business days")
    timezone: str | None = Field(description="From the tenant: what 'today' and the run hour mean")
    language: str | None
    today: date = Field(description="Today in the tenant's time zone: the default as-of date")
    business_day_today: bool
    automatic: bool = Field(description="Run every day at `run_hour` (local time)")
    run_hour: int
    tolerances: dict[str, Decimal] = Field(
        description="Per currency: invoices with a smaller open amount are not chased"
    )
    holiday_subdivision: str | None = Field(description="A state or province whose holidays also apply")
    extra_holidays: list[date] = Field(description="Company holidays: not business days either")
    action_owner_id: uuid.UUID | None = Field(
        description="Who gets new action items (default: the collector). Read-only here: receivables owns it "
        f"(`{ACTION_OWNER_OWNER}`)"
    )
    reply_pause_days: int = Field(
        description="A customer's reply (not a STOP) pauses their automatic reminders for this many days"
    )
    last_resync: ResyncReport | None
    fee_rules: list[FeeRuleIn] = Field(
        default_factory=list,
        description="Issue 19: the late fees and interest of every customer whose strategy sets no `fees` of its own",
    )
    legal_max_annual_rate: Decimal | None = Field(
        None,
        description="A percent a year (75 is 75% a year): an invoice's late charges never add up to more than its "
        "open amount x this rate / 100 x its days overdue / 365, and no interest rule's rate may exceed it. "
        "Null: none.",
    )


class DunningSettingsUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"run_hour": 9, "tolerances": {"ARS": "500", "USD": "5.00"}}]}
    )

    automatic: bool | None = None
    run_hour: int | None = Field(None, ge=0, le=23)
    tolerances: dict[str, Decimal] | None = Field(None, max_length=50)
    holiday_subdivision: str | None = Field(None, max_length=10)
    extra_holidays: list[date] | None = Field(None, max_length=400)
    # Refused (a 422 naming it): receivables owns the action owner (issue 16). Out of the schema; caught to say where.
    action_owner_id: SkipJsonSchema[Any] = None
    reply_pause_days: int | None = Field(None, ge=0, le=60)
    fee_rules: list[FeeRuleIn] | None = Field(
        None, max_length=20, description="The default fee rules (no `at_step`: they belong to no strategy)"
    )
    legal_max_annual_rate: Decimal | None = Field(
        None, gt=0, le=1000, description="A percent a year (120 is 120% a year). Null removes it"
    )


class ResyncAccepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RESYNC_ACCEPTED]})

    status: str = Field(examples=["queued"])
    detail: str
