"""The digests of the internal alarms of seed 000 ("Sub-proceso 3: Alarmas internas"), as pure functions: no I/O.

"Alarmas internas que deben dispararse en forma automática, sin depender de que alguien tenga que ocuparse de
revisar cliente por cliente":

1. actions list, daily, to the person responsible for taking actions with customers (suspend, legal, write off);
2. broken payment promises, daily, to each collector ("deben ser gestionados con suma urgencia");
3. payments reported but not credited after more than X days, weekly, to each collector;
4. disputed invoices, weekly, to the person responsible for each area, and to each collector naming the area.

This module decides when a set alarm is due for a tenant (its local time), which rows belong in a digest (the same
predicates the SQL in ``digests/selection_repository.py`` applies to the whole portfolio, checked against each other in
``tests/alarms/test_rules.py``), in which order and to whom. What a digest says is ``digests/wording.py``; the
alarms and a tenant's setting of each are ``tenant_settings/rules.py``.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from alarms_service.tenant_settings.rules import CADENCE, Alarm, AlarmSchedule, Cadence
from shared import calendar


class Audience(StrEnum):
    ACTION_OWNER = "action_owner"  # the tenant's action owner (receivables setting), else each item's assignee
    COLLECTOR = "collector"
    AREA = "area"  # the person responsible for a dispute area
    ASSIGNEE = "assignee"  # the person a task is assigned to (issue 18)
    MANAGER = "manager"  # the tenant's active managers; a tenant without one, its active admins (issue 18)


# Whom each alarm writes to; the disputes alarm writes two digests (seed 000: "Además se envía otro mail semanal
# a cada cobrador ... indicando el área responsable de resolverla").
AUDIENCES: dict[Alarm, tuple[Audience, ...]] = {
    Alarm.ACTIONS: (Audience.ACTION_OWNER,),
    Alarm.BROKEN_PROMISES: (Audience.COLLECTOR,),
    Alarm.PAYMENTS_REPORTED: (Audience.COLLECTOR,),
    Alarm.DISPUTES: (Audience.AREA, Audience.COLLECTOR),
    # issue 18 (seed 004: "El cobrador esta sobrecargado y nadie se detiene a observar su labor"; seed 001's signs)
    Alarm.TASKS_OVERDUE: (Audience.ASSIGNEE,),
    Alarm.UNASSIGNED_CUSTOMERS: (Audience.MANAGER,),
    Alarm.WORKLOAD: (Audience.MANAGER,),
    Alarm.OVERDUE_THRESHOLD: (Audience.COLLECTOR, Audience.MANAGER),
    Alarm.CONTACT_RATE: (Audience.MANAGER,),
    Alarm.WARNING_SIGNS: (Audience.COLLECTOR,),
    # issue 19: a broken payment plan to its collector (the plan's, else the customer's), else to the managers
    Alarm.PLANS_BROKEN: (Audience.COLLECTOR, Audience.MANAGER),
}
OWED_STATUSES = ("normal", "promise_to_pay", "payment_reported", "dispute")
# A tenant whose calendar is not known: weekends only, no holidays.
NO_HOLIDAYS = calendar.BusinessCalendar()
# How far ahead the next digest is looked for (past weeks of company holidays).
NEXT_DUE_HORIZON_DAYS = 60


# --- when -----------------------------------------------------------------------------------------------------


def local_now(now: datetime, timezone: str | None) -> datetime:
    """``now`` (aware) on the tenant's wall clock; an unknown zone counts as UTC."""
    return calendar.local_now(timezone, now)


def period(alarm: Alarm, day: date) -> str:
    """The period a digest covers: the local date (daily) or the ISO week (weekly), e.g. ``2026-W48``."""
    if CADENCE[alarm] is Cadence.DAILY:
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_start(alarm: Alarm, day: date) -> date:
    if CADENCE[alarm] is Cadence.DAILY:
        return day
    return day - timedelta(days=day.isoweekday() - 1)


def weekly_day(schedule: AlarmSchedule, day: date, business: calendar.BusinessCalendar) -> date | None:
    """The day the weekly digest of ``day``'s week goes out: the first business day from the chosen weekday on
    (a holiday Monday moves it to Tuesday); when the rest of the week has none, the week's first business day; None
    for a week without a business day."""
    monday = day - timedelta(days=day.isoweekday() - 1)
    open_days = [d for d in (monday + timedelta(days=n) for n in range(7)) if business.is_business_day(d)]
    later = [d for d in open_days if d.isoweekday() >= schedule.weekday]
    first = later or open_days
    return first[0] if first else None


def due_period(schedule: AlarmSchedule, now: datetime, business: calendar.BusinessCalendar = NO_HOLIDAYS) -> str | None:
    """The period whose digest is due at the local moment ``now``, or None. Due from the configured hour on; the
    scheduler sends each period once, so a missed hour (a worker down) is caught up later the same day (daily) or
    on a later business day of the week (weekly). Daily digests skip the tenant's public and company holidays;
    weekly ones go out on business days only (``weekly_day``)."""
    if not schedule.enabled:
        return None
    day = now.date()
    if schedule.cadence is Cadence.DAILY:
        if day.isoweekday() in schedule.weekdays and not business.is_holiday(day) and now.hour >= schedule.hour:
            return period(schedule.alarm, day)
        return None
    sending = weekly_day(schedule, day, business)
    if sending is not None and business.is_business_day(day) and (day, now.hour) >= (sending, schedule.hour):
        return period(schedule.alarm, day)
    return None


def due_alarms(
    schedules: Iterable[AlarmSchedule], now: datetime, business: calendar.BusinessCalendar = NO_HOLIDAYS
) -> list[tuple[Alarm, str]]:
    """Every alarm due at the local moment ``now`` with its period, in the order of ``Alarm``."""
    due = {s.alarm: p for s in schedules if (p := due_period(s, now, business)) is not None}
    return [(alarm, due[alarm]) for alarm in Alarm if alarm in due]


def next_due(
    schedule: AlarmSchedule,
    now: datetime,
    done: Iterable[str] = (),
    business: calendar.BusinessCalendar = NO_HOLIDAYS,
) -> datetime | None:
    """The next local moment the alarm will go out, given the periods already sent: ``now`` itself when it is due
    and not sent yet (the scheduler takes it at its next quarter hour)."""
    if not schedule.enabled:
        return None
    sent = set(done)
    current = due_period(schedule, now, business)
    if current is not None and current not in sent:
        return now
    for ahead in range(1, NEXT_DUE_HORIZON_DAYS):
        day = now.date() + timedelta(days=ahead)
        moment = datetime.combine(day, time(schedule.hour), tzinfo=now.tzinfo)
        candidate = due_period(schedule, moment, business)
        if candidate is not None and candidate not in sent:
            return moment
    return None


# --- what ------------------------------------------------------------------------------------------------------


def reported_cutoff(as_of: date, threshold_days: int) -> date:
    """Payments reported strictly before this date were reported more than ``threshold_days`` ago."""
    return as_of - timedelta(days=threshold_days)


def broken_since(as_of: date, lookback_days: int) -> date:
    """Promises broken on or after this date are still listed."""
    return as_of - timedelta(days=lookback_days)


def owes(status: str | None, open_amount: Decimal | None) -> bool:
    return status in OWED_STATUSES and open_amount is not None and open_amount > 0


def reported_not_credited(
    status: str, open_amount: Decimal, reported_date: date | None, as_of: date, threshold_days: int
) -> bool:
    """Seed 000: "facturas que sus clientes dicen haber pagado, pero pasados más de x días aún figuran impagas"."""
    return (
        status == "payment_reported"
        and open_amount > 0
        and reported_date is not None
        and reported_date < reported_cutoff(as_of, threshold_days)
    )


def pending_dispute(status: str, open_amount: Decimal) -> bool:
    """An invoice in dispute that still owes money: its area has something to resolve."""
    return status == "dispute" and open_amount > 0


def broken_promise_pending(
    *,
    promised_date: date,
    broken_on: date,
    invoice_status: str | None,
    invoice_open_amount: Decimal | None,
    invoice_promised_date: date | None,
    as_of: date,
    lookback_days: int,
) -> bool:
    """A broken promise the collector must still handle: broken within the look-back, and its invoice still owed
    and back in ``normal`` (a new promise, a reported payment or a dispute means it was handled). An invoice not
    known yet, or still showing the very promise that broke (its change has not arrived), counts as pending."""
    if broken_on > as_of or broken_on < broken_since(as_of, lookback_days):
        return False
    if invoice_status is None:
        return True
    if invoice_open_amount is None or invoice_open_amount <= 0:
        return False
    if invoice_status == "normal":
        return True
    return (
        invoice_status == "promise_to_pay"
        and invoice_promised_date is not None
        and invoice_promised_date <= promised_date
    )


def plan_broken_pending(status: str, broken_on: date | None, as_of: date, lookback_days: int) -> bool:
    """Issue 19: a payment plan broken within the look-back (seed 004, "Renegociar la deuda a tres plazos": the
    renegotiation failed, its invoices are back to normal and the collector must call again). A plan accepted again
    or otherwise changed since is no longer broken."""
    return status == "broken" and broken_on is not None and broken_since(as_of, lookback_days) <= broken_on <= as_of


def action_pending(status: str, created_on: date, as_of: date, known_invoices: int, owed_invoices: int) -> bool:
    """An open action item still worth taking: some of its invoices still owe money (or none is known yet)."""
    return status == "open" and created_on <= as_of and (known_invoices == 0 or owed_invoices > 0)


# --- what: the manager's alarms (issue 18) -----------------------------------------------------------------------
# Seed 004 asks to follow every collector up and to notice an unmanageable volume ("El cobrador esta sobrecargado y
# nadie se detiene a observar su labor"); the statements in ``digests/selection_repository.py`` apply these.


def overdue(status: str | None, open_amount: Decimal | None, due_date: date, as_of: date) -> bool:
    """Owed and due before the day the alarm looks at."""
    return owes(status, open_amount) and due_date < as_of


def task_overdue(status: str, due_date: date | None, as_of: date) -> bool:
    """An open task past its due date (receivables' ``tasks.rules.is_overdue``)."""
    return status == "open" and due_date is not None and due_date < as_of


def above_spread(value: Decimal, team_total: Decimal, team_size: int, spread_percent: int) -> bool:
    """A collector's overdue customers or amount (one currency) above the team's mean (``team_total`` over
    ``team_size``) by more than the spread; compared without dividing, so no rounded mean decides an edge."""
    return value * 100 * team_size > team_total * (100 + spread_percent)


def threshold_crossed(overdue_total: Decimal, threshold: Decimal | None, told: bool) -> bool:
    """A customer's overdue total in a currency reaches the tenant's threshold for that currency, and this crossing
    was not told yet (told once per crossing: falling back under it forgets it)."""
    return threshold is not None and overdue_total >= threshold and not told


def contact_week(as_of: date) -> tuple[date, date]:
    """The week the contact-rate digest of ``as_of``'s week looks at: the ISO week before (Monday to the next
    Monday, exclusive), a whole week of contacts."""
    monday = as_of - timedelta(days=as_of.isoweekday() - 1)
    return monday - timedelta(days=7), monday


def business_days(since: date, until: date, business: calendar.BusinessCalendar) -> int:
    """The business days from ``since`` to ``until`` (exclusive): the days a collector was expected to call."""
    return sum(1 for n in range((until - since).days) if business.is_business_day(since + timedelta(days=n)))


def below_plan(contacts: int, contacts_per_day: int, days: int) -> bool:
    """Fewer contacts than planned over the week (a week without business days plans none)."""
    return contacts < contacts_per_day * days


def sort_key(alarm: Alarm, audience: Audience, row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The order of a digest's rows: the oldest case first, then the customer, then the invoice. Names compare
    by code point (the SQL orders with ``COLLATE "C"``)."""
    name = row.get("customer_name") or ""
    if alarm is Alarm.ACTIONS:
        return (row["created_on"], name, str(row["action_item_id"]))
    if alarm is Alarm.BROKEN_PROMISES:
        return (row["oldest_broken_on"], name, str(row["customer_id"]))
    if alarm is Alarm.PAYMENTS_REPORTED:
        return (row["reported_date"], name, row["number"], str(row["invoice_id"]))
    if alarm is Alarm.PLANS_BROKEN:
        return (row["broken_on"], name, str(row["plan_id"]))
    if audience is Audience.AREA:
        return (row.get("area_name") or "", row["disputed_since"], name, row["number"], str(row["invoice_id"]))
    return (row["disputed_since"], name, row["number"], str(row["invoice_id"]))


# --- to whom ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A user of the tenant (collector, action owner) or a person of receivables (a dispute area's responsible)."""

    id: uuid.UUID
    kind: str  # "user" | "person"
    name: str
    email: str | None
    active: bool = True
    user_id: uuid.UUID | None = None  # the user this recipient is (a person may be one)


@dataclass(frozen=True)
class Area:
    id: uuid.UUID
    name: str
    responsible_id: uuid.UUID | None


@dataclass(frozen=True)
class Directory:
    """Who is who at digest time: users (projection of the gateway's events), and what no event carries
    (the action owner, the dispute areas and their responsible people: receivables' API)."""

    users: Mapping[uuid.UUID, Recipient] = field(default_factory=dict)
    people: Mapping[uuid.UUID, Recipient] = field(default_factory=dict)
    areas: Sequence[Area] = ()
    action_owner_id: uuid.UUID | None = None


def person_recipient(person: Mapping[str, Any], users: Mapping[uuid.UUID, Recipient]) -> Recipient:
    """A responsible person; without an email of its own, the email of the user it is (if any)."""
    user_id = uuid.UUID(str(person["user_id"])) if person.get("user_id") else None
    user = users.get(user_id) if user_id else None
    return Recipient(
        id=uuid.UUID(str(person["id"])),
        kind="person",
        name=person.get("name") or (user.name if user else ""),
        email=person.get("email") or (user.email if user else None),
        active=bool(person.get("active", True)) and (user.active if user else True),
        user_id=user_id,
    )


def route(audience: Audience, key: uuid.UUID | None, problem: str | None, directory: Directory) -> Recipient | str:
    """The recipient of a group of rows, or why there is none (the run reports those rows as unrouted)."""
    if key is None:
        return problem or ("no_action_owner" if audience is Audience.ACTION_OWNER else "no_collector")
    recipient = (directory.people if audience is Audience.AREA else directory.users).get(key)
    if recipient is None:
        return "unknown_person" if audience is Audience.AREA else "unknown_user"
    if not recipient.active:
        return "inactive_recipient"
    if not recipient.email:
        return "recipient_without_email"
    return recipient


def idempotency_key(tenant_id: uuid.UUID, alarm: Alarm, audience: Audience, recipient_id: uuid.UUID, per: str) -> str:
    """One digest per tenant, alarm, audience, recipient and period: a rerun or a crash never sends it twice."""
    return f"alarms:{tenant_id}:{alarm.value}:{audience.value}:{recipient_id}:{per}"


def digest_id(key: str) -> uuid.UUID:
    """A digest's id, from its idempotency key: a preview or a dry run names a digest by the id it will be stored
    under, and asking again answers the same id (the key is unique per tenant, alarm, audience, recipient and
    period, as the stored digests are)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, key)
