import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from messaging_service import examples
from messaging_service.templates.schemas import RenderedWhatsApp
from shared.contracts.common import Channel
from shared.contracts.messaging import CommunicationKind, MessageState


class MessageOut(BaseModel):
    """A message as lists show it."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.MESSAGE_OUT]})

    id: uuid.UUID
    customer_id: uuid.UUID | None
    kind: CommunicationKind
    channel: Channel
    to: str = Field(validation_alias="to_address", examples=["pagos@delsur.com.ar"])
    recipient_name: str | None
    subject: str | None
    state: MessageState
    attempts: int
    scheduled_at: datetime = Field(description="When it goes (or went): later than created when deferred")
    deferred_reason: str | None = Field(examples=["quiet_hours", "holiday", "frequency_cap"])
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    error_code: str | None = Field(examples=["opted_out", "invalid_contact", "21211", "smtp_550"])
    error: str | None
    source: str = Field(examples=["dunning"])
    source_ref: str | None
    created_at: datetime
    updated_at: datetime


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    started_at: datetime
    finished_at: datetime
    outcome: str = Field(examples=["sent", "transient_error", "permanent_error", "interrupted"])
    provider_message_id: str | None
    error_code: str | None
    error: str | None


class MessageDetail(MessageOut):
    """A message with what it said and every attempt to deliver it."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.MESSAGE_DETAIL]})

    language: str
    tone: int | None
    timezone: str
    invoice_ids: list[uuid.UUID]
    template_ref: str | None = Field(examples=["default:overdue/email/es/1"])
    body_text: str | None
    body_html: str | None
    whatsapp: RenderedWhatsApp | None = Field(description="What a WhatsApp message sent: its template and parameters")
    provider_message_id: str | None
    dead_lettered: bool
    resend_count: int
    idempotency_key: str
    attempt_log: list[AttemptOut] = Field(description="Every attempt, in order")


class ResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.RESEND_IN]})

    to: str | None = Field(None, max_length=320, description="A corrected address; default: the same one")


class DayCount(BaseModel):
    date: date
    channel: Channel
    counts: dict[str, int] = Field(examples=[{"sent": 120, "delivered": 98, "failed": 3}])
    total: int


class MessageStats(BaseModel):
    """Messages per day (in the tenant's time zone, by creation) and channel, counted by current state."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.MESSAGE_STATS]})

    timezone: str
    days: list[DayCount]
