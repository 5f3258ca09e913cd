import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict, JsonValue

from shared.contracts.common import MoneyAmount
from shared.contracts.receivables import PlanSource, PlanStatus
from shared.money import Currency

PLAN_ID = "0193a1f0-7c1e-7b6a-9f00-5e4d1c2b3a10"
CUSTOMER_ID = "0193a1f0-0000-7000-8000-000000000001"
INVOICE_IDS: list[JsonValue] = ["0193a1f0-0000-7000-8000-0000000000a1", "0193a1f0-0000-7000-8000-0000000000a2"]
INSTALLMENT_IDS: list[JsonValue] = ["0193a1f0-0000-7000-8000-0000000000b1", "0193a1f0-0000-7000-8000-0000000000b2"]

PROPOSE_EXAMPLE: JsonDict = {
    "customer_id": CUSTOMER_ID,
    "currency": "ARS",
    "invoice_ids": INVOICE_IDS,
    "rule": {"count": 3, "first_due_date": "2026-04-15", "every": "month"},
    "down_payment": "30000.00",
    "down_payment_due_date": "2026-03-20",
    "interest_annual_rate": "0",
    "grace_days": 5,
}
PLAN_OUT_EXAMPLE: JsonDict = {
    "id": PLAN_ID,
    "number": "PP-1",
    "customer_id": CUSTOMER_ID,
    "currency": "ARS",
    "status": "accepted",
    "source": "collector",
    "proposed_by": "user:0193a1f0-0000-7000-8000-0000000000c1",
    "external_id": None,
    "invoice_ids": INVOICE_IDS,
    "principal": "120000.00",
    "down_payment": "30000.00",
    "interest_annual_rate": "0",
    "interest_amount": "0.00",
    "total": "120000.00",
    "paid_amount": "30000.00",
    "grace_days": 5,
    "accepted_on": "2026-03-16",
    "completed_on": None,
    "broken_on": None,
    "reason": None,
    "revision": 3,
    "installments": [
        {
            "number": 0,
            "due_date": "2026-03-20",
            "amount": "30000.00",
            "interest": "0.00",
            "invoice_id": INSTALLMENT_IDS[0],
            "invoice_number": "PP-1 0/3",
            "paid_amount": "30000.00",
            "open_amount": "0.00",
            "status": "paid",
        },
        {
            "number": 1,
            "due_date": "2026-04-15",
            "amount": "30000.00",
            "interest": "0.00",
            "invoice_id": INSTALLMENT_IDS[1],
            "invoice_number": "PP-1 1/3",
            "paid_amount": "0.00",
            "open_amount": "30000.00",
            "status": "normal",
        },
    ],
    "created_at": "2026-03-16T15:42:03Z",
    "updated_at": "2026-03-20T10:02:11Z",
}


class PlanRule(BaseModel):
    """Installments by a rule: ``count`` of them from ``first_due_date``, every month (same day), every 2 weeks or
    every N days; equal shares, the remainder on the last, plus interest on the declining balance."""

    count: int = Field(ge=1, le=120, examples=[3])
    first_due_date: date
    every: Literal["month", "2 weeks"] | int = Field("month", description="'month', '2 weeks' or a number of days")


class ScheduledIn(BaseModel):
    due_date: date
    amount: Decimal = Field(gt=0, max_digits=18)


class PlanPropose(BaseModel):
    """A payment plan proposed. Exactly one of ``rule`` and ``schedule``. ``invoice_ids`` omitted: every open invoice
    of the customer in ``currency`` (normal or promise to pay) that is in no plan."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROPOSE_EXAMPLE]})

    customer_id: uuid.UUID | None = Field(None, description="The customer (or `customer_external_id`)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
    currency: Currency
    invoice_ids: list[uuid.UUID] | None = Field(None, min_length=1, max_length=500)
    invoice_external_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, min_length=1, max_length=500, description="The ERP's ids of the invoices, instead of `invoice_ids`"
    )
    rule: PlanRule | None = None
    schedule: list[ScheduledIn] | None = Field(None, min_length=1, max_length=120)
    down_payment: Decimal = Field(Decimal(0), ge=0, max_digits=18)
    down_payment_due_date: date | None = Field(None, description="Default: the day of the proposal")
    interest_annual_rate: Decimal = Field(
        Decimal(0), ge=0, le=1000, description="Percent a year (36 = 36%), simple, on the declining balance"
    )
    grace_days: int | None = Field(None, ge=0, le=90, description="Default: the tenant's plan_limits.grace_days")
    external_id: str | None = Field(None, min_length=1, max_length=100, description="The ERP's id of the plan")

    @model_validator(mode="after")
    def _one_schedule(self) -> "PlanPropose":
        if (self.rule is None) == (self.schedule is None):
            raise ValueError("give either a rule or a listed schedule (one of them)")
        return self


class ReasonIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "El cliente pidió otra fecha"}]})

    reason: str = Field(min_length=1, max_length=500)


class InstallmentOut(BaseModel):
    number: int = Field(description="0: the down payment")
    due_date: date
    amount: Decimal
    interest: Decimal = Decimal(0)
    invoice_id: uuid.UUID | None = Field(None, description="The installment's invoice, once the plan is accepted")
    invoice_number: str | None = None
    paid_amount: Decimal = Decimal(0)
    open_amount: Decimal | None = None
    status: str = Field("pending", description="pending (proposed), or its invoice's status")


class PlanOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [PLAN_OUT_EXAMPLE]})

    id: uuid.UUID
    number: str
    customer_id: uuid.UUID
    currency: str
    status: PlanStatus
    source: PlanSource
    proposed_by: str | None
    external_id: str | None
    invoice_ids: list[uuid.UUID]
    principal: Decimal
    down_payment: Decimal
    interest_annual_rate: Decimal
    interest_amount: Decimal
    total: Decimal
    paid_amount: Decimal = Decimal(0)
    grace_days: int
    accepted_on: date | None
    completed_on: date | None
    broken_on: date | None
    reason: str | None
    revision: int
    installments: list[InstallmentOut] = []
    created_at: datetime
    updated_at: datetime


class PlanKpisOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "date_from": "2026-03-01",
                    "date_to": "2026-03-31",
                    "created": 12,
                    "accepted": 9,
                    "completed": 4,
                    "broken": 1,
                    "kept_rate": "0.80",
                    "recovered": [{"currency": "ARS", "amount": "450000.00"}],
                }
            ]
        }
    )

    date_from: date
    date_to: date
    created: int = Field(description="Plans proposed in the period")
    accepted: int = Field(description="Plans accepted in the period")
    completed: int = Field(description="Plans kept: completed in the period")
    broken: int = Field(description="Plans broken in the period")
    kept_rate: Decimal | None = Field(description="completed / (completed + broken); null when neither happened")
    recovered: list[MoneyAmount] = Field(description="Money allocated to installments in the period, per currency")


class PlanDetectIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"as_of": "2026-03-16"}]})

    as_of: date | None = None


class PlansBrokenOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"as_of": "2026-03-16", "plan_ids": ["0193a1f0-7c1e-7b6a-9f00-5e4d1c2b3a10"]}]}
    )

    as_of: date
    plan_ids: list[uuid.UUID]
