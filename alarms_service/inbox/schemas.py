import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from alarms_service import examples
from alarms_service.tenant_settings.rules import Alarm


class InboxItemOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.INBOX_ITEM_OUT]})

    id: uuid.UUID
    digest_id: uuid.UUID = Field(description="The digest it is: `GET /v1/alarms/{digest_id}` has every row")
    alarm: Alarm
    period: str = Field(description="The local date (daily alarms) or ISO week (weekly: `2026-W48`)")
    title: str
    summary: str
    row_count: int
    created_at: datetime
    acknowledged_at: datetime | None = Field(description="When the user acknowledged it; null: not yet")


class AcknowledgedOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"acknowledged": 3, "unacknowledged": 0}]})

    acknowledged: int = Field(description="Items acknowledged by this call")
    unacknowledged: int = Field(description="Items still waiting in the user's inbox")
