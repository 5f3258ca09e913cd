"""The API's model of a reply: what a customer wrote back."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from messaging_service import examples
from shared.contracts.common import Channel


class ReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.REPLY_OUT]})

    id: uuid.UUID
    channel: Channel
    from_address: str = Field(examples=["+5491155551234"])
    customer_id: uuid.UUID | None = None
    in_reply_to: uuid.UUID | None = Field(None, description="Our message the customer answered, when known")
    subject: str | None = None
    body: str = Field(examples=["Ya pagué ayer por transferencia"])
    opt_out: bool = Field(description="A STOP/BAJA: recorded as an opt-out of the channel")
    received_at: datetime
