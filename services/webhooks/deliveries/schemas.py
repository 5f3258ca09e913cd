import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.webhooks import examples
from shared.contracts.webhooks import WebhookEventType


class WebhookEventOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.EVENT_OUT]})

    event_id: str = Field(description="The `webhook-id` every delivery of this event carries")
    type: str
    occurred_at: datetime
    data: dict[str, Any] = Field(
        description="The type's payload (the OpenAPI document's `webhooks` section has each type's shape): an open "
        "object by design here, since one list holds every type"
    )


class WebhookDeliveryOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DELIVERY_OUT]})

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: str
    event_type: str
    state: str = Field(description="pending, succeeded, failed (410 Gone) or abandoned (retries exhausted)")
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    replay: bool = Field(description="Created by a replay (or a test ping), not by the event itself")
    created_at: datetime
    updated_at: datetime


class WebhookAttemptOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ATTEMPTS[1]]})

    id: uuid.UUID
    at: datetime
    status_code: int | None = Field(description="The endpoint's answer; null when none came (see `error`)")
    latency_ms: int
    response_excerpt: str | None = Field(description="The first KB of the response body")
    error: str | None


class WebhookDeliveryDetail(WebhookDeliveryOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.DELIVERY_DETAIL]})

    attempts_log: list[WebhookAttemptOut] = Field(description="Every attempt, oldest first")


class WebhookReplayRange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "since": "2026-12-01T00:00:00Z",
                    "until": "2026-12-02T00:00:00Z",
                    "event_types": ["promise.broken"],
                }
            ]
        },
    )

    since: datetime
    until: datetime
    event_types: list[WebhookEventType] = Field(
        default_factory=list, max_length=50, description="Only these types; empty: the types the endpoint wants"
    )

    @model_validator(mode="after")
    def _ordered(self) -> "WebhookReplayRange":
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("since and until need a time zone")
        if self.until <= self.since:
            raise ValueError("until must be after since")
        return self


class WebhookReplayResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.REPLAY_RESULT]})

    deliveries: int = Field(description="New deliveries created (due at once)")
    delivery_ids: list[uuid.UUID]


class WebhookPingSent(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PING_SENT]})

    event_id: str
    delivery_id: uuid.UUID
