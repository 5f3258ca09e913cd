import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples
from services.receivables.signs.rules import RiskLevel
from shared.contracts.receivables import WarningSignKind


class RefreshStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class RefreshTrigger(StrEnum):
    MANUAL = "manual"
    DAILY = "daily"


class DaysLateTrendEvidence(BaseModel):
    """``days_late_trend``: the last invoice payments against the ones before them (last 365 days)."""

    model_config = ConfigDict(extra="forbid")

    recent_payments: int
    recent_avg_days_late: int
    earlier_payments: int
    earlier_avg_days_late: int


class SmallBeforeLargeEvidence(BaseModel):
    """``small_before_large``: invoices paid while a larger, older overdue one stayed open; the latest such."""

    model_config = ConfigDict(extra="forbid")

    payments: int
    window_days: int
    latest_paid: str | None = Field(description="The number of the smaller invoice paid")
    latest_left_open: str | None = Field(description="The number of the larger, older invoice left open")


class BrokenPromisesEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    broken: int
    window_days: int
    last_broken_on: date | None


class BadContactsEvidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invalid: int
    contacts: list[str] = Field(description="channel:address of each invalid contact point")


class GrowingOverdueEvidence(BaseModel):
    """``growing_overdue``: the overdue balance in the customer's currency with the most overdue, money as text."""

    model_config = ConfigDict(extra="forbid")

    currency: str | None
    overdue_60_days_ago: str
    overdue_30_days_ago: str
    overdue_now: str


Evidence = (
    DaysLateTrendEvidence
    | SmallBeforeLargeEvidence
    | BrokenPromisesEvidence
    | BadContactsEvidence
    | GrowingOverdueEvidence
)


class WarningSignOut(BaseModel):
    sign: WarningSignKind
    evidence: Evidence = Field(description="What the sign was computed from (its fields depend on the sign)")
    first_seen_on: date = Field(description="The first refresh that found it (kept while it stays)")
    refreshed_on: date = Field(description="The last refresh that found it")


class CustomerSignsOut(BaseModel):
    """A customer's warning signs and the computed risk, beside the ERP's label."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.CUSTOMER_SIGNS_OUT]})

    customer_id: uuid.UUID
    external_id: str | None
    name: str
    collector_id: uuid.UUID | None
    risk_level: str | None = Field(description="The ERP's label")
    computed_risk_level: RiskLevel | None = Field(description="From the signs: None until the first refresh")
    computed_risk_reasons: list[str]
    signs: list[WarningSignOut]


class WarningSignFilters(BaseModel):
    """The filters of the warning signs' list (query parameters)."""

    collector_id: uuid.UUID | None = None
    sign: WarningSignKind | None = Field(None, description="Customers showing this sign")
    computed_risk_level: RiskLevel | None = None


class RefreshOut(BaseModel):
    """A refresh of every customer's warning signs and computed risk: its counts once completed."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [examples.SIGNS_REFRESH_OUT, examples.SIGNS_REFRESH_QUEUED]}
    )

    id: uuid.UUID
    status: RefreshStatus = Field(description="queued, running (poll until it leaves them), completed or failed")
    day: date = Field(description="The tenant's today the signs are computed on")
    customers: int | None = Field(description="Customers refreshed (once completed)")
    changed: int | None = Field(description="Customers whose signs or computed risk changed (announced)")
    risk_changed: int | None = Field(description="Customers whose computed risk level or reasons changed")
    signs: int | None = Field(description="Signs shown after the refresh")
    trigger: RefreshTrigger = Field(description="manual: `POST /v1/warning-signs/refresh`; daily: the daily refresh")
    requested_by: str | None = Field(description="Who asked for it (`user:<id>`, `apikey:<id>`); null: daily")
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None = Field(description="Why a failed refresh failed")


class RefreshFilters(BaseModel):
    """The filters of the refreshes' list (query parameters)."""

    status: RefreshStatus | None = None
