import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.receivables import examples
from services.receivables.outcomes.rules import Excuse


class NoteCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "7b1d6a8e-8a4f-4f7e-9a39-6a3a3b8e2f10",
                    "body": "Hablé con Pedro. No canceló porque traspapeló la factura; mañana pasa el vendedor a "
                    "retirar el pago. #olvido #retiro",
                    "spoken_with": "Pedro (tesorería)",
                    "reason": "forgetting",
                    "agreed": "Mañana el vendedor retira el pago",
                    "invoice_ids": [],
                }
            ]
        }
    )

    customer_id: uuid.UUID | None = Field(None, description="The customer (or `customer_external_id`)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
    body: str = Field(min_length=1, max_length=5000, description="Who I spoke with, why, what next; #hashtags")
    spoken_with: str | None = Field(None, max_length=200, description="Who? The customer's person spoken to")
    reason: Excuse | None = Field(None, description="Why has the customer not paid? (seed 004's five, or other)")
    agreed: str | None = Field(None, max_length=2000, description="What was agreed: the customer's commitment")
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    invoice_external_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=200, description="The ERP's ids of the invoices, instead of `invoice_ids`"
    )
    occurred_at: AwareDatetime | None = Field(
        None,
        description="When it happened (default now on the tenant's clock; not in the future, not before its "
        "invoices were issued): a collector noting yesterday's talk records it as yesterday",
    )


class NoteOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.NOTE_OUT]})

    id: uuid.UUID
    customer_id: uuid.UUID
    body: str
    spoken_with: str | None
    reason: Excuse | None
    agreed: str | None
    hashtags: list[str] = Field(description="Parsed from the body, lower-cased, without '#'")
    invoice_ids: list[uuid.UUID]
    outcome_id: uuid.UUID | None
    author: str
    author_user_id: uuid.UUID | None
    occurred_at: datetime = Field(description="When it happened, on the tenant's calendar (the timeline's order)")
    created_at: datetime
