"""Fee rules as the API takes and shows them: a strategy's ``fees`` and the tenant's defaults (issue 19)."""

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.common import ChargeKind
from shared.money import Currency

FEE_KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"

FEE_RULES_EXAMPLE: list[dict[str, Any]] = [
    {"key": "late-fee", "kind": "fixed", "at_step": "overdue-15", "amounts": {"ARS": "500.00", "USD": "5.00"}},
    {
        "key": "interest",
        "kind": "interest",
        "name": "Interés por mora",
        "annual_rate": "60",
        "grace_days": 5,
        "minimum": {"ARS": "50.00"},
        "cap": {"percent": "20"},
    },
]


class FeeCap(BaseModel):
    """The most a rule charges one invoice in all: a fixed amount per currency and/or a percent of the invoice's
    amount (the smaller wins)."""

    model_config = ConfigDict(json_schema_mode_override="validation")

    amounts: dict[Currency, Decimal] = Field(default_factory=dict, examples=[{"ARS": "5000.00"}])
    percent: Decimal | None = Field(None, gt=0, le=100, examples=["20"])


class FeeRuleIn(BaseModel):
    """A late fee or interest rule. ``fixed``: ``amounts`` per currency when the invoice reaches ``at_step`` (or
    once it is overdue past the grace days, without a step). ``percentage``: ``percent`` of the open amount, the same
    way. ``interest``: ``annual_rate`` (a percent a year: 60 is 60% a year) on the open amount for the days overdue
    after ``grace_days``, charged once per complete calendar month. Each charge is rounded to the currency's minor
    units, raised to ``minimum``, and never takes the rule's charges on an invoice above ``cap`` nor all its charges
    above the tenant's legal maximum."""

    model_config = ConfigDict(
        json_schema_mode_override="validation", json_schema_extra={"examples": list(FEE_RULES_EXAMPLE)}
    )

    key: str = Field(pattern=FEE_KEY_PATTERN, description="The rule's identity: part of each charge's key")
    kind: ChargeKind
    name: str | None = Field(None, max_length=80, description="How a charge is described (default: the key)")
    at_step: str | None = Field(
        None, description="fixed and percentage: the key of the strategy's step (overdue, call or action) it comes with"
    )
    amounts: dict[Currency, Decimal] = Field(default_factory=dict, description="fixed: the fee per currency")
    percent: Decimal | None = Field(None, gt=0, le=100, description="percentage: of the open amount")
    annual_rate: Decimal | None = Field(
        None, gt=0, le=1000, description="interest: a percent a year (60 is 60% a year), as `percent`"
    )
    grace_days: int = Field(0, ge=0, le=3650, description="No charge until the invoice is this many days overdue")
    minimum: dict[Currency, Decimal] = Field(default_factory=dict, description="Per currency: the smallest charge")
    cap: FeeCap | None = None
