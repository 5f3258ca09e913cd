from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

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


class WorkloadAlarm(WeeklyAlarm):
    spread_percent: int = Field(
        description="A collector is listed when their overdue customers or overdue amount (per currency) is above "
        "the team's mean by more than this percent"
    )


class OverdueThresholdAlarm(DailyAlarm):
    thresholds: dict[str, Decimal] = Field(
        description="Per currency, the overdue total of a customer whose crossing is told (once per crossing); "
        "none set: the alarm tells nothing",
        examples=[{"ARS": "1000000.00", "USD": "5000.00"}],
    )


class ContactRateAlarm(WeeklyAlarm):
    contacts_per_day: int = Field(
        description="The contacts planned per collector and business day: a collector who made fewer over the "
        "last week is listed"
    )


class AlarmSettingsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.ALARM_SETTINGS_OUT]})

    timezone: str | None = Field(description="From the tenant (gateway): what the hours mean")
    language: str | None = Field(description="From the tenant: the digests' language")
    today: date | None = Field(description="Today in the tenant's time zone")
    actions: DailyAlarm = Field(description="Customers with actions to take, to the action owner")
    broken_promises: BrokenPromisesAlarm = Field(description="Broken promises, to each collector")
    payments_reported: PaymentsReportedAlarm = Field(description="Payments reported but not credited, to collectors")
    disputes: WeeklyAlarm = Field(description="Disputes, to each area's responsible and to each collector")
    tasks_overdue: DailyAlarm = Field(description="Open tasks past their due date, to each assignee")
    unassigned_customers: DailyAlarm = Field(description="Customers with overdue debt and no collector, to managers")
    workload: WorkloadAlarm = Field(description="Collectors above the team's mean workload, to managers")
    overdue_threshold: OverdueThresholdAlarm = Field(
        description="Customers whose overdue total reached the threshold, to their collector and the managers"
    )
    contact_rate: ContactRateAlarm = Field(description="Collectors with fewer contacts than planned, to managers")
    warning_signs: WeeklyAlarm = Field(description="Each collector's customers with warning signs (seed 001)")
    plans_broken: BrokenPromisesAlarm = Field(
        description="Payment plans broken in the last `lookback_days` (issue 19), to the plan's collector, else "
        "the managers"
    )


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


class WorkloadUpdate(WeeklyAlarmUpdate):
    spread_percent: int = Field(None, ge=1, le=1000)  # type: ignore[assignment]


class OverdueThresholdUpdate(DailyAlarmUpdate):
    thresholds: dict[str, Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)]] = Field(
        None,  # type: ignore[arg-type]
        max_length=20,
        description="The whole set of thresholds per currency (replaces the current one; `{}`: none)",
    )


class ContactRateUpdate(WeeklyAlarmUpdate):
    contacts_per_day: int = Field(None, ge=1, le=500)  # type: ignore[assignment]


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
    tasks_overdue: DailyAlarmUpdate = None  # type: ignore[assignment]
    unassigned_customers: DailyAlarmUpdate = None  # type: ignore[assignment]
    workload: WorkloadUpdate = None  # type: ignore[assignment]
    overdue_threshold: OverdueThresholdUpdate = None  # type: ignore[assignment]
    contact_rate: ContactRateUpdate = None  # type: ignore[assignment]
    warning_signs: WeeklyAlarmUpdate = None  # type: ignore[assignment]
    plans_broken: BrokenPromisesUpdate = None  # type: ignore[assignment]
