"""The tenant's portal settings as the API shows and changes them."""

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.portal import examples
from services.portal.actions.rules import DisputeReason


class PortalSettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.SETTINGS_OUT]})

    enabled: bool = Field(description="Messages carry links to the customer's page, and the links open it")
    link_valid_days: int = Field(description="A link opens the page for this many days after its message")
    pay_online: bool = Field(description="The page offers payment through the payment provider")
    plan_max_installments: int = Field(description="The most installments a debtor may ask for (seed 004: three)")
    plan_min_down_payment_percent: Decimal = Field(description="The least down payment, in % of the debt")
    plan_min_amount: Decimal | None = Field(description="Debts below this cannot ask for a plan (none: no floor)")
    plan_max_amount: Decimal | None = Field(description="Debts above this cannot ask for a plan (none: no ceiling)")
    promise_max_days: int = Field(description="A debtor may promise to pay up to this many days from today")
    dispute_areas: dict[DisputeReason, uuid.UUID] = Field(
        description="The dispute area each reason goes to (seed 000: the area responsible); a reason not listed "
        "goes to the area of `other`, else to the tenant's first active area, else to a task for the collector"
    )
    links_revoked_before: datetime | None = Field(description="Every link issued before this was revoked")


class PortalSettingsUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"link_valid_days": 15, "plan_max_installments": 3}]}
    )

    enabled: bool | None = None
    link_valid_days: int | None = Field(None, ge=1, le=365)
    pay_online: bool | None = None
    plan_max_installments: int | None = Field(None, ge=1, le=24)
    plan_min_down_payment_percent: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    plan_min_amount: Decimal | None = Field(None, ge=0, decimal_places=2)
    plan_max_amount: Decimal | None = Field(None, gt=0, decimal_places=2)
    promise_max_days: int | None = Field(None, ge=1, le=365)
    dispute_areas: dict[DisputeReason, uuid.UUID] | None = Field(
        None, description="Replaces the whole mapping; each area must be one of receivables' dispute areas"
    )
