"""The alarms a tenant sets (seed 000, "Sub-proceso 3: Alarmas internas"), as pure data and decisions: which alarms
there are, their cadence, a tenant's setting of each (``AlarmSchedule``, the defaults) and how a change to it is
checked and applied (``merge``). When a set alarm is due is the digests' decision (``digests/rules.py``)."""

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Alarm(StrEnum):
    ACTIONS = "actions"
    BROKEN_PROMISES = "broken_promises"
    PAYMENTS_REPORTED = "payments_reported"
    DISPUTES = "disputes"


class Cadence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


CADENCE = {
    Alarm.ACTIONS: Cadence.DAILY,
    Alarm.BROKEN_PROMISES: Cadence.DAILY,
    Alarm.PAYMENTS_REPORTED: Cadence.WEEKLY,
    Alarm.DISPUTES: Cadence.WEEKLY,
}
WORKDAYS = frozenset({1, 2, 3, 4, 5})
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class AlarmSchedule:
    """A tenant's setting of one alarm. Daily alarms go out on ``weekdays`` (ISO, 1 = Monday) from ``hour``, not on
    holidays; weekly ones on the first business day from ``weekday`` on, from ``hour``, or on a later business day
    of the same week if that moment was missed."""

    alarm: Alarm
    enabled: bool = True
    hour: int = 8
    weekdays: frozenset[int] = WORKDAYS
    weekday: int = 1
    threshold_days: int = 5  # payments reported: listed once reported more than this many days ago (seed: "x días")
    lookback_days: int = 30  # broken promises: listed while broken at most this many days ago and still unpaid

    @property
    def cadence(self) -> Cadence:
        return CADENCE[self.alarm]


DEFAULTS = {alarm: AlarmSchedule(alarm) for alarm in Alarm}


def merge(current: AlarmSchedule, alarm: Alarm, changes: dict[str, Any]) -> tuple[AlarmSchedule, list[dict[str, str]]]:
    """The alarm's setting with ``changes`` applied, or the errors naming each field."""
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    for name, value in changes.items():
        where = f"{alarm.value}.{name}"
        if name == "weekdays":
            days = [WEEKDAY_NAMES.index(d) + 1 for d in value]
            if len(set(days)) != len(days):
                errors.append({"field": where, "message": "names a day twice"})
            values[name] = frozenset(days)
        elif name == "weekday":
            values[name] = WEEKDAY_NAMES.index(value) + 1
        else:
            values[name] = value
    return dataclasses.replace(current, **values), errors
