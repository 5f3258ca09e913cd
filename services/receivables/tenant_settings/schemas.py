import uuid

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples
from services.receivables.worklist.schemas import WeightsOut, WeightsUpdate


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
