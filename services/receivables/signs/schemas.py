import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples
from services.receivables.signs.rules import RiskLevel
from shared.contracts.receivables import WarningSignKind


class WarningSignOut(BaseModel):
    sign: WarningSignKind
    evidence: dict[str, Any] = Field(description="What the sign was computed from (its fields depend on the sign)")
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"day": "2026-11-23", "customers": 1200, "changed": 37, "risk_changed": 12, "signs": 310}]
        }
    )

    day: date = Field(description="The tenant's today the signs were computed on")
    customers: int = Field(description="Customers refreshed")
    changed: int = Field(description="Customers whose signs or computed risk changed (announced)")
    risk_changed: int = Field(description="Customers whose computed risk level or reasons changed")
    signs: int = Field(description="Signs shown after the refresh")
