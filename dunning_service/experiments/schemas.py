"""The API of strategy experiments (issue 19, point 3). Examples: a two-variant test of the "Mayoristas" strategy
against a firmer copy, stratified by segment (the story of ``dunning_service.examples``)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dunning_service.examples import ACTOR, STRATEGY_ID
from dunning_service.experiments.rules import Status, StratifyBy
from dunning_service.strategies.schemas import KEY_PATTERN

EXPERIMENT_ID = "0192f5c1-2a3b-7c4d-8e5f-6a7b8c9d0e1f"
FIRM_ID = "0192f5c1-3b4c-7d5e-9f6a-7b8c9d0e1f2a"
_VARIANTS = [
    {"key": "control", "name": "Mayoristas as is", "strategy_id": STRATEGY_ID, "weight": 1},
    {"key": "firm", "name": "Firmer from day 7", "strategy_id": FIRM_ID, "weight": 1},
]
CREATE_EXAMPLE: dict[str, Any] = {
    "name": "Mayoristas: firmer tone",
    "scope_strategy_id": STRATEGY_ID,
    "variants": _VARIANTS,
    "stratify_by": "segment",
    "ends_on": "2026-05-31",
    "window_days": 30,
}
OUT_EXAMPLE: dict[str, Any] = {
    "id": EXPERIMENT_ID,
    **CREATE_EXAMPLE,
    "status": "running",
    "started_on": "2026-03-10",
    "chosen_variant": None,
    "stopped_on": None,
    "assignments": [
        {"variant_key": "control", "stratum": "mayorista", "customers": 211},
        {"variant_key": "firm", "stratum": "mayorista", "customers": 210},
    ],
    "created_by": ACTOR,
    "created_at": "2026-03-09T18:02:11Z",
    "updated_at": "2026-03-10T08:00:03Z",
}
_RATE = {"value": 0.31, "low": 0.25, "high": 0.38, "n": 211, "successes": 65}
_MEAN = {"value": 12.4, "low": 10.9, "high": 13.9, "n": 380}
_DIFF = {"value": 0.04, "low": -0.05, "high": 0.13}
_VARIANT_RESULT = {
    "key": "firm",
    "name": "Firmer from day 7",
    "strategy_id": FIRM_ID,
    "customers": 210,
    "promise_rate": _RATE,
    "paid_within": {**_RATE, "n": 402, "successes": 161, "value": 0.4, "low": 0.35, "high": 0.45},
    "days_to_pay": _MEAN,
    "collected": [
        {
            "currency": "ARS",
            "total": "18250000.00",
            "per_customer": {"value": 86904.76, "low": 71020.5, "high": 102789.02, "n": 210},
            "vs_control": _DIFF | {"value": 5120.3, "low": -9830.1, "high": 20070.7},
        }
    ],
    "vs_control": {"promise_rate": _DIFF, "paid_within": _DIFF, "days_to_pay": _DIFF | {"value": -1.8}},
}
RESULTS_EXAMPLE: dict[str, Any] = {
    "experiment_id": EXPERIMENT_ID,
    "start": "2026-03-10",
    "end": "2026-05-31",
    "window_days": 30,
    "control": "control",
    "variants": [_VARIANT_RESULT],
}


class VariantIn(BaseModel):
    key: str = Field(pattern=KEY_PATTERN, description="Unique in the experiment", examples=["firm"])
    name: str = Field(min_length=1, max_length=120, examples=["Firmer from day 7"])
    strategy_id: uuid.UUID = Field(description="A live strategy (not archived); may be the scope strategy (control)")
    weight: int = Field(1, ge=1, le=1000, description="The variant's share: its weight over the sum of the weights")


class ExperimentCreate(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [CREATE_EXAMPLE]})

    name: str = Field(min_length=1, max_length=120)
    scope_strategy_id: uuid.UUID = Field(
        description="The population: the customers the normal selection gives this strategy"
    )
    variants: list[VariantIn] = Field(
        max_length=10,
        description="2 to 10 variants (fewer: 422 naming `variants`); the control is the first that runs the scope "
        "strategy, else the first",
    )
    stratify_by: StratifyBy = Field(
        StratifyBy.SEGMENT, description="Customers are dealt to the variants within each value of this attribute"
    )
    ends_on: date | None = Field(None, description="The end of the hold period: results count up to this day")
    window_days: int = Field(30, ge=1, le=365, description='"Paid within N days" of max(due date, start)')


class ExperimentStop(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"chosen_variant": "firm"}]})

    chosen_variant: str | None = Field(
        None,
        description="The variant everyone follows from now on: the assigned customers and the population's "
        "newcomers (the customers the normal selection gives the scope strategy get the chosen variant's strategy "
        "while this experiment stays stopped with that choice). None: everyone returns to the normal selection.",
    )


class AssignmentCount(BaseModel):
    variant_key: str
    stratum: str = Field(description="The value of `stratify_by` (lower case), `(none)` when missing, `all`")
    customers: int


class ExperimentOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [OUT_EXAMPLE]})

    id: uuid.UUID
    name: str
    status: Status
    scope_strategy_id: uuid.UUID
    variants: list[VariantIn]
    stratify_by: StratifyBy
    started_on: date | None
    ends_on: date | None
    window_days: int
    chosen_variant: str | None
    stopped_on: date | None
    assignments: list[AssignmentCount] = Field(description="Customers per variant and stratum")
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class RateOut(BaseModel):
    """A share with its 95% Wilson score interval."""

    value: float | None = Field(description="successes / n; null when n is 0")
    low: float | None
    high: float | None
    n: int
    successes: int


class MeanOut(BaseModel):
    """A mean with its 95% interval by the normal approximation (mean ± 1.96·s/√n); no interval below two values."""

    value: float | None
    low: float | None
    high: float | None
    n: int


class DiffOut(BaseModel):
    """The variant minus the control, with the 95% normal-approximation interval of a difference of independent
    estimates (√ of the sum of both squared standard errors)."""

    value: float | None
    low: float | None
    high: float | None


class CollectedOut(BaseModel):
    currency: str
    total: Decimal = Field(description="Collected from the variant's customers in the period, in this currency")
    per_customer: MeanOut = Field(description="Mean per customer of the variant (those who paid nothing count 0)")
    vs_control: DiffOut | None = Field(description="Null for the control itself")


class VersusControl(BaseModel):
    promise_rate: DiffOut
    paid_within: DiffOut
    days_to_pay: DiffOut


class VariantResult(BaseModel):
    key: str
    name: str
    strategy_id: uuid.UUID
    customers: int
    promise_rate: RateOut = Field(description="Customers who made at least one promise in the period (Wilson 95%)")
    paid_within: RateOut = Field(
        description="Invoices (due by the end, open at the start or falling due in the period) paid within "
        "`window_days` of max(due date, start), Wilson 95% (invoices taken as independent trials)"
    )
    days_to_pay: MeanOut = Field(description="Days from max(due date, start) to payment of those paid (normal 95%)")
    collected: list[CollectedOut]
    vs_control: VersusControl | None = Field(description="Null for the control itself")


class ResultsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [RESULTS_EXAMPLE]})

    experiment_id: uuid.UUID
    start: date
    end: date = Field(description="The earliest of today, the stop and the end of the hold period")
    window_days: int
    control: str | None = Field(description="The control variant's key (the first running the scope strategy)")
    variants: list[VariantResult]
