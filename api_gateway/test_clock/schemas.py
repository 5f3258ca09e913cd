"""The bodies of ``/v1/test-clock`` and ``/v1/test-clock/advance`` (issue 15)."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from api_gateway import examples

ADVANCE_EXAMPLE: JsonDict = {"days": 7}
PROGRESS_EXAMPLE: JsonDict = {
    "status": "settled",
    "started_from": "2026-03-02T12:00:00Z",
    "target": "2026-03-09T12:00:00Z",
    "current": "2026-03-09T12:00:00Z",
    "stops_done": 8,
    "stops_total": 8,
    "work": {"dunning.runs": 6, "alarms.runs": 5, "receivables.promises_broken": 1, "messaging.due": 4},
    "started_at": "2026-12-06T19:40:02Z",
    "finished_at": "2026-12-06T19:40:09Z",
    "error": None,
}


class AdvanceRequest(BaseModel):
    """Where to move the clock: to an instant (``to``) or by whole days (``days``), one of the two."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ADVANCE_EXAMPLE]})

    to: AwareDatetime | None = Field(
        None, description="The instant to move the clock to (its current one: play and settle that instant's day)"
    )
    days: int | None = Field(None, ge=1, description="Move the clock this many days forward")

    @model_validator(mode="after")
    def _one_of(self) -> "AdvanceRequest":
        if (self.to is None) == (self.days is None):
            raise ValueError("give either `to` or `days`")
        return self


class AdvanceProgress(BaseModel):
    """An advance of the test clock: where it stands, and what the days played so far have run."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROGRESS_EXAMPLE]})

    status: Literal["advancing", "settled", "failed"]
    started_from: datetime = Field(description="The clock when the advance began")
    target: datetime = Field(description="Where the advance takes the clock")
    current: datetime = Field(description="The clock now")
    stops_done: int = Field(description="Instants played so far (the start, each day after it, the target)")
    stops_total: int
    work: dict[str, int] = Field(description="What the services did over the days played, `service.kind`: count")
    started_at: datetime = Field(description="When the advance began (the wall clock)")
    finished_at: datetime | None = Field(description="When it settled or failed (the wall clock)")
    error: str | None = None


class ClockStart(BaseModel):
    """Where a sandbox tenant's test clock starts."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [examples.TEST_CLOCK_START]})

    frozen_time: AwareDatetime = Field(
        description="The instant the tenant's clock stands at, with its offset (e.g. `2027-01-04T09:00:00-03:00`); "
        "it moves only when advanced. Between 2000 and 2099.",
    )


class ClockOut(BaseModel):
    """A sandbox tenant's clock: where it stands, and the tenant's date there."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.TEST_CLOCK_OUT]})

    tenant_id: uuid.UUID
    sandbox: bool = Field(description="Always true: only a sandbox tenant has a test clock")
    frozen_time: datetime | None = Field(
        description="The clock's instant (UTC); null while its start is not set: the tenant lives on the wall clock"
    )
    timezone: str = Field(description="The tenant's time zone, which says its date at `frozen_time`")
    today: date = Field(description="The tenant's date by its clock: every date rule of every service uses it")
    advance: AdvanceProgress | None = Field(
        None, description="The latest advance (`POST /v1/test-clock/advance`): under way, settled or failed"
    )
