import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples
from services.receivables.promises.rules import PromiseStatus


class PromiseOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PROMISE_OUT]})

    id: uuid.UUID
    customer_id: uuid.UUID
    invoice_id: uuid.UUID
    outcome_id: uuid.UUID | None
    promised_date: date
    currency: str
    amount: Decimal = Field(description="The open amount when the promise was made")
    collector_id: uuid.UUID | None
    status: PromiseStatus
    resolved_on: date | None
    created_by: str
    created_at: datetime
    occurred_at: datetime = Field(description="When it was made, on the tenant's calendar (its outcome's moment)")


class DetectBrokenIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DETECT_BROKEN_IN]})

    as_of: date | None = Field(
        None, description="The day to check as (default: the tenant's today); not after the tenant's today"
    )


class DetectBrokenOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DETECT_BROKEN_OUT]})

    as_of: date
    broken: int
    promise_ids: list[uuid.UUID]
