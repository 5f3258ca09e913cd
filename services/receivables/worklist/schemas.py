import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.receivables import examples
from services.receivables.worklist.rules import Objective, SuggestedChannel, Weights

DEFAULTS = Weights()


class Team(StrEnum):
    """``mine``: the collectors whose staff profile names the caller's person profile as supervisor; ``all``: the
    whole portfolio, customers without a collector included."""

    MINE = "mine"
    ALL = "all"


class WorklistCustomer(BaseModel):
    id: uuid.UUID
    external_id: str | None
    name: str
    collector_id: uuid.UUID | None


class ReasonOut(BaseModel):
    code: str = Field(
        description="overdue, broken_promise, promise_due, task_due, reply_waiting, portal_action, bounced_contact, "
        "warning_signs, days_since_contact"
    )
    weight: int = Field(description="The tenant's weight of this reason")
    points: Decimal = Field(description="What it adds to the score: the weight times the reason's factor")
    text: str = Field(description="The reason in a sentence, with its evidence")
    evidence: dict[str, Any] = Field(
        description="The facts behind the sentence, as data; an open object by design: one shape per reason code "
        "(amounts as strings, dates ISO)"
    )


class ObjectiveOut(BaseModel):
    code: Objective = Field(description="Seed 004's five objectives of a collections contact")
    why: str


class ChannelOut(BaseModel):
    code: SuggestedChannel | None = Field(description="null: no valid contact on any channel")
    address: str | None = Field(description="The phone or address to use")
    why: str


class WorklistItem(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.WORKLIST_ITEM]})

    customer: WorklistCustomer
    score: Decimal = Field(description="The sum of the reasons' points; the list is ranked by it")
    reasons: list[ReasonOut] = Field(description="Most points first")
    objective: ObjectiveOut
    channel: ChannelOut


class WeightsOut(BaseModel):
    """The points each reason of the worklist is worth (issue 18)."""

    overdue: int = Field(description="Times the overdue share (0-1): amount x days against the collector's debts")
    broken_promise: int = Field(
        description="A promise broken in the last 30 days, its invoice still owed, not followed up since"
    )
    promise_due: int = Field(description="A promise due today or tomorrow")
    task_due: int = Field(description="Open tasks of the customer due today or before")
    reply_waiting: int = Field(description="A reply of the customer since the last personal contact")
    portal_action: int = Field(description="What the debtor did on its page since the last personal contact")
    bounced_contact: int = Field(description="Contacts found invalid")
    warning_sign: int = Field(description="Per warning sign the customer shows")
    days_since_contact: int = Field(description="Per 30 days since the last personal contact (up to 90)")


def _weight(default: int) -> Any:
    return Field(None, ge=0, le=1000, description=f"Default {default}")


class WeightsUpdate(BaseModel):
    """Only the weights named change; each from 0 (the reason no longer counts) to 1000."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"broken_promise": 80, "overdue": 30}]})

    overdue: int | None = _weight(DEFAULTS.overdue)
    broken_promise: int | None = _weight(DEFAULTS.broken_promise)
    promise_due: int | None = _weight(DEFAULTS.promise_due)
    task_due: int | None = _weight(DEFAULTS.task_due)
    reply_waiting: int | None = _weight(DEFAULTS.reply_waiting)
    portal_action: int | None = _weight(DEFAULTS.portal_action)
    bounced_contact: int | None = _weight(DEFAULTS.bounced_contact)
    warning_sign: int | None = _weight(DEFAULTS.warning_sign)
    days_since_contact: int | None = _weight(DEFAULTS.days_since_contact)
