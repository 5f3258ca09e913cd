from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from alarms_service import examples
from alarms_service.tenant_settings.rules import Cadence


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


HOUR = Field(description="Local hour (tenant's time zone) from which the digest goes out", ge=0, le=23)
NEXT_AT = Field(description="When the next digest is due (tenant's local time); null when disabled")


class DailyAlarm(BaseModel):
    enabled: bool
    cadence: Cadence = Cadence.DAILY
    hour: int = HOUR
    weekdays: list[Weekday] = Field(description="Days it goes out (default Monday to Friday)")
    next_at: datetime | None = NEXT_AT


class BrokenPromisesAlarm(DailyAlarm):
    lookback_days: int = Field(description="A broken promise is listed while at most this many days old and unpaid")


class WeeklyAlarm(BaseModel):
    enabled: bool
    cadence: Cadence = Cadence.WEEKLY
    weekday: Weekday = Field(description="Day of the week it goes out (later that week if missed)")
    hour: int = HOUR
    next_at: datetime | None = NEXT_AT


class PaymentsReportedAlarm(WeeklyAlarm):
    threshold_days: int = Field(description='Seed 000\'s "x días": listed once reported more than this many days ago')


class AlarmSettingsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ALARM_SETTINGS_OUT]})

    timezone: str | None = Field(description="From the tenant (gateway): what the hours mean")
    language: str | None = Field(description="From the tenant: the digests' language")
    today: date | None = Field(description="Today in the tenant's time zone")
    actions: DailyAlarm = Field(description="Customers with actions to take, to the action owner")
    broken_promises: BrokenPromisesAlarm = Field(description="Broken promises, to each collector")
    payments_reported: PaymentsReportedAlarm = Field(description="Payments reported but not credited, to collectors")
    disputes: WeeklyAlarm = Field(description="Disputes, to each area's responsible and to each collector")


# Every field of an update may be left out, but not set to null: typed without None, defaulting to None (a default
# is not validated), so an explicit null is a 422 naming the field and the schema offers no null.


class DailyAlarmUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = None  # type: ignore[assignment]
    hour: int = Field(None, ge=0, le=23)  # type: ignore[assignment]
    weekdays: list[Weekday] = Field(
        None,  # type: ignore[arg-type]
        min_length=1,
        max_length=7,
        json_schema_extra={"uniqueItems": True},
    )


class BrokenPromisesUpdate(DailyAlarmUpdate):
    lookback_days: int = Field(None, ge=1, le=365)  # type: ignore[assignment]


class WeeklyAlarmUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = None  # type: ignore[assignment]
    weekday: Weekday = None  # type: ignore[assignment]
    hour: int = Field(None, ge=0, le=23)  # type: ignore[assignment]


class PaymentsReportedUpdate(WeeklyAlarmUpdate):
    threshold_days: int = Field(None, ge=0, le=90)  # type: ignore[assignment]


class AlarmSettingsUpdate(BaseModel):
    """Change some settings; what is left out stays as it is."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "broken_promises": {"hour": 9},
                    "payments_reported": {"weekday": "friday", "threshold_days": 7},
                    "disputes": {"enabled": False},
                }
            ]
        },
    )

    actions: DailyAlarmUpdate = None  # type: ignore[assignment]
    broken_promises: BrokenPromisesUpdate = None  # type: ignore[assignment]
    payments_reported: PaymentsReportedUpdate = None  # type: ignore[assignment]
    disputes: WeeklyAlarmUpdate = None  # type: ignore[assignment]
