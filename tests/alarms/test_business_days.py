"""Digests keep to the tenant's business days (issue 10, point 6): the daily alarms (actions, broken promises) skip
its public and company holidays, the weekly ones go out on the first business day of the week (never a Sunday,
never a holiday), and the "next due" the alarm settings show follows the same calendar."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from alarms_service.digests import rules
from alarms_service.digests.jobs import schedule_runs
from alarms_service.settings import AlarmsSettings
from alarms_service.tenant_settings.rules import Alarm, AlarmSchedule, Cadence
from shared.calendar import BusinessCalendar, local_today
from shared.contracts.dunning import CalendarChanged
from tests.alarms.support import alarms_tenant, feed

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
ARGENTINA = BusinessCalendar("AR")  # 2026: Monday 23 November, Monday 7 and Tuesday 8 December, Friday 25
DAILY = AlarmSchedule(Alarm.BROKEN_PROMISES)  # Monday to Friday from 8
WEEKLY = AlarmSchedule(Alarm.DISPUTES)  # Monday from 8


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BUENOS_AIRES)


def test_daily_alarms_skip_a_public_holiday():
    assert rules.due_period(DAILY, local(date(2026, 11, 23), 9)) == "2026-11-23"  # a calendar without holidays
    assert rules.due_period(DAILY, local(date(2026, 11, 23), 9), ARGENTINA) is None
    assert rules.due_period(DAILY, local(date(2026, 12, 8), 9), ARGENTINA) is None
    assert rules.due_period(DAILY, local(date(2026, 12, 9), 9), ARGENTINA) == "2026-12-09"


def test_daily_alarms_never_on_a_sunday_even_when_asked_for_every_day_but_holidays():
    every_day = AlarmSchedule(Alarm.ACTIONS, weekdays=frozenset(range(1, 8)))
    assert rules.due_period(DAILY, local(date(2026, 12, 6), 9), ARGENTINA) is None  # Sunday, default weekdays
    assert rules.due_period(every_day, local(date(2026, 12, 6), 9), ARGENTINA) == "2026-12-06"  # chosen: it goes
    assert rules.due_period(every_day, local(date(2026, 12, 25), 9), ARGENTINA) is None  # a holiday never


def test_the_next_daily_digest_after_friday_skips_the_weekend_and_the_holidays():
    friday = local(date(2026, 12, 4), 9)
    assert rules.next_due(DAILY, friday, ["2026-12-04"], ARGENTINA) == local(date(2026, 12, 9), 8)
    company = BusinessCalendar("AR", extra_holidays=frozenset({date(2026, 12, 9)}))
    assert rules.next_due(DAILY, friday, ["2026-12-04"], company) == local(date(2026, 12, 10), 8)


def test_weekly_alarms_go_out_on_the_first_business_day_of_the_week():
    assert rules.due_period(WEEKLY, local(date(2026, 11, 23), 9), ARGENTINA) is None  # Monday: a holiday
    assert rules.due_period(WEEKLY, local(date(2026, 11, 24), 7), ARGENTINA) is None  # Tuesday before the hour
    assert rules.due_period(WEEKLY, local(date(2026, 11, 24), 8), ARGENTINA) == "2026-W48"
    # Monday 7 and Tuesday 8 December are holidays: Wednesday
    assert rules.next_due(WEEKLY, local(date(2026, 12, 4), 9), ["2026-W49"], ARGENTINA) == local(date(2026, 12, 9), 8)


def test_a_missed_weekly_digest_is_caught_up_on_a_business_day_never_on_the_weekend():
    friday_weekly = AlarmSchedule(Alarm.PAYMENTS_REPORTED, weekday=5, hour=9)
    assert rules.due_period(friday_weekly, local(date(2026, 12, 25), 9), ARGENTINA) is None  # Christmas
    assert rules.due_period(friday_weekly, local(date(2026, 12, 26), 9), ARGENTINA) is None  # Saturday
    assert rules.due_period(friday_weekly, local(date(2026, 12, 27), 9), ARGENTINA) is None  # Sunday
    # a week whose chosen day and the rest of it are closed: the week's first business day
    assert rules.weekly_day(friday_weekly, date(2026, 12, 21), ARGENTINA) == date(2026, 12, 21)
    sunday_weekly = AlarmSchedule(Alarm.DISPUTES, weekday=7)
    assert rules.weekly_day(sunday_weekly, date(2026, 12, 6), ARGENTINA) == date(2026, 11, 30)  # W49's Monday


schedules = st.builds(
    AlarmSchedule,
    alarm=st.sampled_from(list(Alarm)),
    hour=st.integers(0, 23),
    weekdays=st.frozensets(st.integers(1, 7), min_size=1),
    weekday=st.integers(1, 7),
)
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC))
calendars = st.builds(
    lambda country, days: BusinessCalendar(country, extra_holidays=days),
    st.sampled_from(["AR", "MX", "CL", "BR", None]),
    st.frozensets(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 2, 28)), max_size=60),
)


@given(schedules, moments, calendars)
def test_a_digest_is_never_due_on_a_holiday_and_a_weekly_one_only_on_business_days(schedule, moment, calendar):
    now = rules.local_now(moment, "America/Argentina/Buenos_Aires")
    due = rules.due_period(schedule, now, calendar)
    if due is None:
        return
    assert not calendar.is_holiday(now.date())
    if schedule.cadence is Cadence.WEEKLY:
        assert calendar.is_business_day(now.date())
        assert now.date() >= rules.weekly_day(schedule, now.date(), calendar)


@given(schedules, moments, calendars)
def test_the_next_due_moment_is_due_on_the_same_calendar(schedule, moment, calendar):
    now = rules.local_now(moment, "America/Argentina/Buenos_Aires")
    current = rules.due_period(schedule, now, calendar)
    upcoming = rules.next_due(schedule, now, [current] if current else [], calendar)
    if upcoming is not None:
        assert upcoming > now
        assert rules.due_period(schedule, upcoming, calendar) not in (None, current)


def ctx(stack) -> dict:
    return {"engine": stack.engine, "redis": stack.arq, "settings": AlarmsSettings()}


async def scheduled_days(stack) -> list[date]:
    async with stack.engine.connect() as conn:
        result = await conn.execute(text("SELECT as_of FROM alarms.runs WHERE trigger = 'schedule' ORDER BY as_of"))
        return list(result.scalars())


async def test_the_scheduler_keeps_to_public_and_company_holidays(api, stack):
    tenant = await alarms_tenant(api, stack)  # Argentina; daily Monday to Friday at 8, weekly on Monday at 8
    await feed(stack, tenant.id, [CalendarChanged(company_holidays=[date(2026, 12, 9)])])
    c = ctx(stack)
    for day in (date(2026, 12, 6), date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 10)):
        await schedule_runs(c, now=local(day, 9).astimezone(UTC))
    # Sunday 6, the bridge on Monday 7, Tuesday 8 and the company's Wednesday 9 are skipped
    assert await scheduled_days(stack) == [date(2026, 12, 10)]
    async with stack.engine.connect() as conn:
        alarms = (await conn.execute(text("SELECT alarms FROM alarms.runs"))).scalar_one()
    # the weekly ones on Thursday
    assert alarms == ["actions", "broken_promises", "payments_reported", "disputes", "plans_broken"]


async def test_the_settings_show_the_next_digest_on_a_business_day(api, stack):
    tenant = await alarms_tenant(api, stack)
    today = local_today("America/Argentina/Buenos_Aires")
    closed = [today + timedelta(days=n) for n in range(10)]
    await feed(stack, tenant.id, [CalendarChanged(company_holidays=closed)])
    body = (await api.get("/v1/alarm-settings", headers=tenant.admin)).json()
    business = BusinessCalendar("AR", extra_holidays=frozenset(closed))
    for alarm in ("actions", "broken_promises", "payments_reported", "disputes"):
        next_at = datetime.fromisoformat(body[alarm]["next_at"])
        assert next_at.date() > closed[-1]
        assert business.is_business_day(next_at.date())


async def test_an_older_calendar_announcement_never_overwrites_a_newer_one(api, stack):
    tenant = await alarms_tenant(api, stack)
    now = datetime.now(UTC)
    await feed(stack, tenant.id, [CalendarChanged(company_holidays=[date(2026, 12, 31)])], at=now)
    await feed(stack, tenant.id, [CalendarChanged(company_holidays=[])], at=now - timedelta(minutes=1))
    async with stack.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT company_holidays FROM alarms.tenant_calendars"))).scalar_one()
    assert stored == [date(2026, 12, 31)]
