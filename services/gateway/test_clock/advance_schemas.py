"""The bodies of ``/v1/test-clock/advance`` (issue 15)."""

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

ADVANCE_EXAMPLE = {"days": 7}
PROGRESS_EXAMPLE = {
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
