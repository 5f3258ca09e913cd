import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.webhooks import WebhookEventType


class EventOut(BaseModel):
    event_id: str = Field(description="The `webhook-id` every delivery of this event carries")
    type: str
    occurred_at: datetime
    data: dict[str, Any]


class DeliveryOut(BaseModel):
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


class AttemptOut(BaseModel):
    id: uuid.UUID
    at: datetime
    status_code: int | None = Field(description="The endpoint's answer; null when none came (see `error`)")
    latency_ms: int
    response_excerpt: str | None = Field(description="The first KB of the response body")
    error: str | None


class DeliveryDetail(DeliveryOut):
    attempts_log: list[AttemptOut] = Field(description="Every attempt, oldest first")


class ReplayRange(BaseModel):
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
    def _ordered(self) -> "ReplayRange":
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("since and until need a time zone")
        if self.until <= self.since:
            raise ValueError("until must be after since")
        return self


class ReplayResult(BaseModel):
    deliveries: int = Field(description="New deliveries created (due at once)")
    delivery_ids: list[uuid.UUID]


class PingSent(BaseModel):
    event_id: str
    delivery_id: uuid.UUID
