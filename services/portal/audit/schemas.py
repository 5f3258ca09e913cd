"""What a debtor did on the page, as the tenant's people read it."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.portal import examples


class ActionKind(StrEnum):
    OPENED = "opened"
    STATEMENT_DOWNLOADED = "statement_downloaded"
    CHECKOUT_STARTED = "checkout_started"
    PAYMENT_NOTIFIED = "payment_notified"  # the provider said what became of an online payment
    PAYMENT_REPORTED = "payment_reported"
    PROMISE = "promise"
    DISPUTE = "dispute"
    CALL_REQUESTED = "call_requested"
    OPTED_OUT = "opted_out"
    PLAN_REQUESTED = "plan_requested"


class ActionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ACTION_OUT]})

    id: uuid.UUID
    link_id: uuid.UUID
    customer_id: uuid.UUID
    kind: ActionKind
    detail: dict[str, Any] = Field(
        description="What the debtor asked (dates, invoices, amounts, reason...): an open object by design, its "
        "keys depend on `kind`"
    )
    result: dict[str, Any] = Field(
        description="What it became (the outcome, task, payment or receipt's ids): an open object by design, its "
        "keys depend on `kind`"
    )
    ip: str | None = Field(description="Where the request came from")
    user_agent: str | None
    at: datetime
