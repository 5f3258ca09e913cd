"""The alarms a tenant sets (seed 000, "Sub-proceso 3: Alarmas internas"; the manager's alarms and the warning
signs digest of issue 18, from seed 004's "El cobrador esta sobrecargado y nadie se detiene a observar su labor"
and seed 001's signs of a customer in trouble), as pure data and decisions: which alarms there are, their cadence,
a tenant's setting of each (``AlarmSchedule``, the defaults) and how a change to it is checked and applied
(``merge``). When a set alarm is due is the digests' decision (``digests/rules.py``)."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Alarm(StrEnum):
    ACTIONS = "actions"
    BROKEN_PROMISES = "broken_promises"
    PAYMENTS_REPORTED = "payments_reported"
    DISPUTES = "disputes"
    # issue 18: the manager's alarms and the collectors' weekly warning signs
    TASKS_OVERDUE = "tasks_overdue"
    UNASSIGNED_CUSTOMERS = "unassigned_customers"
    WORKLOAD = "workload"
    OVERDUE_THRESHOLD = "overdue_threshold"
    CONTACT_RATE = "contact_rate"
    WARNING_SIGNS = "warning_signs"
    # issue 19: payment plans broken, to the plan's collector (else the managers); on by default, like broken promises
    PLANS_BROKEN = "plans_broken"


class Cadence(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


CADENCE = {
    Alarm.ACTIONS: Cadence.DAILY,
    Alarm.BROKEN_PROMISES: Cadence.DAILY,
    Alarm.PAYMENTS_REPORTED: Cadence.WEEKLY,
    Alarm.DISPUTES: Cadence.WEEKLY,
    Alarm.TASKS_OVERDUE: Cadence.DAILY,
    Alarm.UNASSIGNED_CUSTOMERS: Cadence.DAILY,
    Alarm.WORKLOAD: Cadence.WEEKLY,
    Alarm.OVERDUE_THRESHOLD: Cadence.DAILY,
    Alarm.CONTACT_RATE: Cadence.WEEKLY,
    Alarm.WARNING_SIGNS: Cadence.WEEKLY,
    Alarm.PLANS_BROKEN: Cadence.DAILY,
}
# The alarms of issue 18: a tenant turns them on (``enabled`` defaults to false), so a tenant that did not ask for
# them gets no new email.
MANAGER_ALARMS = frozenset(
    {
        Alarm.TASKS_OVERDUE,
        Alarm.UNASSIGNED_CUSTOMERS,
        Alarm.WORKLOAD,
        Alarm.OVERDUE_THRESHOLD,
        Alarm.CONTACT_RATE,
        Alarm.WARNING_SIGNS,
    }
)
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
    lookback_days: int = 30  # broken promises (and plans): listed while broken at most this many days ago
    spread_percent: int = 50  # workload: a collector above the team's mean by more than this (overdue or customers)
    contacts_per_day: int = 20  # contact rate: the contacts planned per collector and business day
    # overdue threshold: per currency, the overdue total whose crossing is told (none set: nothing is told)
    thresholds: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def cadence(self) -> Cadence:
        return CADENCE[self.alarm]


DEFAULTS = {alarm: AlarmSchedule(alarm, enabled=alarm not in MANAGER_ALARMS) for alarm in Alarm}


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
        elif name == "thresholds":
            values[name], problems = thresholds(where, value)
            errors.extend(problems)
        else:
            values[name] = value
    return dataclasses.replace(current, **values), errors


def thresholds(where: str, value: Mapping[str, Any]) -> tuple[dict[str, Decimal], list[dict[str, str]]]:
    """The overdue thresholds per currency (ISO 4217 code, upper case; a positive amount), or the errors naming
    each currency. Amounts are never compared across currencies: each currency has its own threshold."""
    errors: list[dict[str, str]] = []
    out: dict[str, Decimal] = {}
    for currency, amount in value.items():
        code = str(currency).upper()
        if len(code) != 3 or not code.isalpha():
            errors.append({"field": f"{where}.{currency}", "message": "a currency is a 3-letter ISO 4217 code"})
        elif not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            errors.append({"field": f"{where}.{currency}", "message": "the threshold is a positive amount"})
        elif code in out:
            errors.append({"field": f"{where}.{currency}", "message": "names a currency twice"})
        else:
            out[code] = amount
    return out, errors
