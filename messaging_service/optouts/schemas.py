"""The API's models of opt-outs and invalid contacts (both are suppressions of an address on a channel)."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from messaging_service import examples
from messaging_service.delivery.acceptance import normalize_address
from shared.contracts.common import Channel


class SuppressionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.SUPPRESSION_OUT]})

    id: uuid.UUID
    channel: Channel
    address: str
    customer_id: uuid.UUID | None
    source: str = Field(examples=["sms_stop", "unsubscribe_link", "api", "email_provider"])
    reason: str | None
    created_at: datetime


class OptOutIn(BaseModel):
    """Record that a customer asked not to be contacted on a channel (e.g. told a collector on the phone)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.OPT_OUT_IN]})

    channel: Channel
    address: str = Field(min_length=3, max_length=320, examples=["+5491155551234"])
    customer_id: uuid.UUID | None = Field(None, description="The customer (or `customer_external_id`; else none)")
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The ERP's id of the customer, instead of `customer_id`"
    )
    reason: str | None = Field(None, max_length=500, examples=["Pidió por teléfono no recibir más SMS"])

    @model_validator(mode="after")
    def _normalize(self) -> "OptOutIn":
        try:
            self.address = normalize_address(self.channel, self.address)
        except ValueError as exc:
            raise ValueError(f"address: {exc}") from None
        return self
