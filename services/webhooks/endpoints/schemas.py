import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.webhooks import examples
from shared.contracts.webhooks import WebhookEventType


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://erp.example.com/cobranza/webhooks",
                    "description": "ERP: suspend service on action items",
                    "event_types": ["action_item.created", "promise.broken"],
                }
            ]
        },
    )

    url: str = Field(max_length=2000, description="https (http only in development); a public address")
    description: str | None = Field(None, max_length=500)
    event_types: list[WebhookEventType] = Field(
        default_factory=list, max_length=50, description="The event types wanted; empty: every type"
    )
    enabled: bool = True


class WebhookEndpointUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"event_types": ["invoice.status_changed"], "enabled": False}]},
    )

    url: str | None = Field(None, max_length=2000)
    description: str | None = Field(None, max_length=500)
    event_types: list[WebhookEventType] | None = Field(None, max_length=50)
    enabled: bool | None = Field(None, description="false disables it; true enables it (as `/enable` does)")


class WebhookEndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [examples.ENDPOINT_OUT]})

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[str] = Field(description="Empty: every type")
    enabled: bool
    disabled_reason: str | None = Field(description="Why it was disabled: by request, gone (410), or failing")
    disabled_at: datetime | None
    failing_since: datetime | None = Field(description="First failed attempt since the last success")
    last_success_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpointOut):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ENDPOINT_CREATED]})

    secret: str = Field(description="The signing secret (`whsec_` + base64): shown this once, never again")


class WebhookSecretRotation(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"overlap_seconds": 86400}]})

    overlap_seconds: int | None = Field(
        None, ge=0, le=7 * 86400, description="How long the previous secret keeps signing too (default 24 h)"
    )


class WebhookSecretRotated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.SECRET_ROTATED]})

    secret: str = Field(description="The new signing secret: shown this once")
    previous_expires_at: datetime = Field(description="Until then every delivery carries both signatures")
