import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.receivables import examples
from shared.contracts.common import ChargeKind, ChargeStatus

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Document = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ChargeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CHARGE_OUT]})

    id: uuid.UUID
    key: str = Field(description="The idempotency key dunning derived from (invoice, rule, period)")
    invoice_id: uuid.UUID
    customer_id: uuid.UUID
    kind: ChargeKind
    description: str
    currency: str
    amount: Decimal
    charged_on: date = Field(description="The run's day that assessed it, on the tenant's calendar")
    status: ChargeStatus
    waived_by: str | None = None
    waived_at: datetime | None = None
    waive_reason: str | None = None
    erp_document: str | None = Field(None, description="The ERP's document that invoiced it")
    invoiced_at: datetime | None = None
    revision: int
    created_at: datetime
    updated_at: datetime


class ChargeWaiveIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CHARGE_WAIVE_IN]})

    reason: Reason = Field(description="Why it is forgiven (required): kept on the charge and the timeline")


class ChargeInvoicedIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.CHARGE_INVOICED_IN]})

    erp_document: Document = Field(description="The ERP's document (invoice, debit note) that now carries it")
