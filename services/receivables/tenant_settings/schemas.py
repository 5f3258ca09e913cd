import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples
from services.receivables.worklist.schemas import WeightsOut, WeightsUpdate


class SignThresholds(BaseModel):
    """The warning signs' thresholds (issue 18, seed 001: ``signs/rules.py``); each sign fires at or above its own."""

    recent_payments: int = Field(3, ge=1, le=20, description="The days-late trend looks at the last N invoice payments")
    days_late_increase: int = Field(
        10, ge=1, le=365, description="... late on average by this many days more than the payments before them"
    )
    small_before_large: int = Field(
        2, ge=1, le=100, description="Smaller invoices paid while larger, older overdue ones stay open, in 90 days"
    )
    broken_promises: int = Field(1, ge=1, le=100, description="Promises broken in 90 days")
    bad_contacts: int = Field(1, ge=1, le=20, description="Contact points bounced or found invalid")
    overdue_growth_pct: int = Field(
        20, ge=0, le=10_000, description="The overdue balance grew 60 -> 30 days ago -> today, by this % overall"
    )
    for_high_risk: int = Field(2, ge=1, le=5, description="Signs that make the computed risk high (one: medium)")


class SignThresholdsUpdate(BaseModel):
    """Some of the thresholds; those left out stay."""

    recent_payments: int | None = Field(None, ge=1, le=20)
    days_late_increase: int | None = Field(None, ge=1, le=365)
    small_before_large: int | None = Field(None, ge=1, le=100)
    broken_promises: int | None = Field(None, ge=1, le=100)
    bad_contacts: int | None = Field(None, ge=1, le=20)
    overdue_growth_pct: int | None = Field(None, ge=0, le=10_000)
    for_high_risk: int | None = Field(None, ge=1, le=5)


class PlanLimits(BaseModel):
    """The limits of the payment plans the portal proposes (issue 19, ``plans/rules.PlanLimits``); staff and the
    ERP are not held to them."""

    max_installments: int = Field(6, ge=1, le=120, description="Installments besides the down payment")
    max_days: int = Field(180, ge=1, le=3660, description="Days from the proposal to the last installment")
    min_down_payment_percent: Decimal = Field(Decimal(0), ge=0, le=100, description="Of the principal")
    max_interest_annual_rate: Decimal = Field(Decimal(100), ge=0, le=1000, description="Percent a year")
    grace_days: int = Field(5, ge=0, le=90, description="Default grace days of a plan, before it breaks")
    portal_auto_accept: bool = Field(False, description="A portal proposal within the limits is accepted at once")


class PlanLimitsUpdate(BaseModel):
    """Some of the plan limits; those left out stay."""

    max_installments: int | None = Field(None, ge=1, le=120)
    max_days: int | None = Field(None, ge=1, le=3660)
    min_down_payment_percent: Decimal | None = Field(None, ge=0, le=100)
    max_interest_annual_rate: Decimal | None = Field(None, ge=0, le=1000)
    grace_days: int | None = Field(None, ge=0, le=90)
    portal_auto_accept: bool | None = None


class SettingsOut(BaseModel):
    """The tenant as receivables sees it: its profile (from the gateway) and its collections settings."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.SETTINGS_OUT]})

    tenant_id: uuid.UUID
    name: str | None = None
    country: str | None = Field(None, description="Holidays of this country are not business days")
    timezone: str | None = Field(None, description="The tenant's 'today' (promises, overdue, tasks)")
    language: str | None = None
    default_currency: str | None = None
    today: str = Field(description="The tenant's local date now", examples=["2026-11-23"])
    promise_grace_days: int = Field(description="Days after the promised date a payment still keeps the promise")
    follow_up_days: int = Field(description="Days until the follow-up task of a no-commitment outcome")
    action_owner_id: uuid.UUID | None = Field(None, description="The user who receives the daily actions list")
    auto_apply_credits: bool = Field(
        True,
        description="Credit notes and over-payments settle open invoices by themselves (oldest first unless they "
        "name invoices, never across currencies); false: they stay as credit, reported in statements and messages",
    )
    worklist_weights: WeightsOut = Field(description="The points of each reason of the worklist (`GET /v1/worklist`)")
    warning_signs: SignThresholds = Field(
        default_factory=SignThresholds, description="The warning signs' thresholds (issue 18)"
    )
    plan_limits: PlanLimits = Field(
        default_factory=PlanLimits, description="The limits of the payment plans the portal proposes (issue 19)"
    )


class SettingsUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"promise_grace_days": 2, "follow_up_days": 3, "action_owner_id": None, "auto_apply_credits": True}
            ]
        }
    )

    promise_grace_days: int | None = Field(None, ge=0, le=30)
    follow_up_days: int | None = Field(None, ge=1, le=90)
    action_owner_id: uuid.UUID | None = None
    auto_apply_credits: bool | None = None
    worklist_weights: WeightsUpdate | None = Field(
        None, description="The worklist's weights to change; a weight given as null goes back to its default"
    )
    warning_signs: SignThresholdsUpdate | None = None
    plan_limits: PlanLimitsUpdate | None = None
