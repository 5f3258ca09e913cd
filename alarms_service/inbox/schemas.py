import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alarms_service import examples
from alarms_service.tenant_settings.rules import Alarm


class InboxKind(StrEnum):
    DIGEST = "digest"  # an alarm's digest addressed to the user
    LOGIN_ALERT = "login_alert"  # to each admin: an account failed to log in too often
    WEBHOOK_DISABLED = "webhook_disabled"  # to each admin: a webhook endpoint was disabled


class InboxItemOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.INBOX_ITEM_OUT]})

    id: uuid.UUID
    kind: InboxKind
    source_id: uuid.UUID = Field(
        description="A digest's id (`GET /v1/alarms/{id}` has every row), a login alert's "
        "(`GET /v1/alarms/login-alerts`), or the event of a webhook endpoint's disabling"
    )
    alarm: Alarm | None = Field(description="A digest's alarm; null for an alert")
    period: str | None = Field(description="A digest's local date (daily) or ISO week (weekly: `2026-W48`)")
    title: str
    summary: str
    lines: list[str] = Field(description="What the email listed")
    action: str
    row_count: int = Field(description="A digest's rows (the email lists the first ones); 1 for an alert")
    created_at: datetime
    acknowledged_at: datetime | None = Field(description="When the user acknowledged it; null: not yet")


class AcknowledgedOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"acknowledged": 3, "unacknowledged": 0}]})

    acknowledged: int = Field(description="Items acknowledged by this call")
    unacknowledged: int = Field(description="Items still waiting in the user's inbox")
