import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NoteCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": "7b1d6a8e-8a4f-4f7e-9a39-6a3a3b8e2f10",
                    "body": "Hablé con Pedro. No canceló porque traspapeló la factura; mañana pasa el vendedor a "
                    "retirar el pago. #olvido #retiro",
                    "invoice_ids": [],
                }
            ]
        }
    )

    customer_id: uuid.UUID
    body: str = Field(min_length=1, max_length=5000, description="Who I spoke with, why, what next; #hashtags")
    invoice_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)


class NoteOut(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    body: str
    hashtags: list[str] = Field(description="Parsed from the body, lower-cased, without '#'")
    invoice_ids: list[uuid.UUID]
    outcome_id: uuid.UUID | None
    author: str
    author_user_id: uuid.UUID | None
    created_at: datetime
