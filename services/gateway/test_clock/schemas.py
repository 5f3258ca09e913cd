import uuid
from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.gateway import examples
from services.gateway.test_clock.advance_schemas import AdvanceProgress


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
