"""A deferred message never lands on a holiday (issue 10, point 6): the contact window's next opening skips the
tenant's public holidays (its country's, the ``holidays`` library) and its company holidays (dunning's settings,
announced as ``dunning.calendar_changed``), on the customer's local date, and stays inside the window and the cap."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.delivery.acceptance import accept
from messaging_service.delivery.rules import ContactWindow, FrequencyCap, next_opening, schedule
from shared.calendar import BusinessCalendar
from shared.outbox import relay_once
from tests.messaging.support import communication, messaging_tenant, run_messaging, settings

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
MONDAY_TO_SATURDAY = ContactWindow(time(8), time(20), frozenset(range(1, 7)))
ARGENTINA = BusinessCalendar("AR")  # 2026: Monday 7 December (bridge) and Tuesday 8 (Inmaculada Concepción)


def local(day: date, hour: int, minute: int = 0, tz: ZoneInfo = BUENOS_AIRES) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def test_a_message_deferred_from_a_saturday_evening_skips_the_argentine_holidays():
    saturday_evening = local(date(2026, 12, 5), 21)
    assert next_opening(saturday_evening, BUENOS_AIRES, MONDAY_TO_SATURDAY) == local(date(2026, 12, 7), 8)
    opening = next_opening(saturday_evening, BUENOS_AIRES, MONDAY_TO_SATURDAY, ARGENTINA)
    assert opening == local(date(2026, 12, 9), 8)  # Wednesday, past the bridge and the 8th


def test_christmas_eve_evening_waits_for_the_saturday_after_christmas():
    opening = next_opening(local(date(2026, 12, 24), 20, 30), BUENOS_AIRES, MONDAY_TO_SATURDAY, ARGENTINA)
    assert opening == local(date(2026, 12, 26), 8)


def test_a_message_accepted_during_a_holiday_waits_even_inside_the_hours():
    assert next_opening(local(date(2026, 12, 25), 11), BUENOS_AIRES, MONDAY_TO_SATURDAY) is None
    assert next_opening(local(date(2026, 12, 25), 11), BUENOS_AIRES, MONDAY_TO_SATURDAY, ARGENTINA) == local(
        date(2026, 12, 26), 8
    )


def test_the_reason_says_holiday_only_when_the_hours_were_open():
    """The timeline tells the collector why a message waits: a holiday inside the hours, else the quiet hours."""
    christmas_morning = local(date(2026, 12, 25), 11)
    assert schedule(christmas_morning, BUENOS_AIRES, MONDAY_TO_SATURDAY, calendar=ARGENTINA).reason == "holiday"
    saturday_evening = local(date(2026, 12, 5), 21)
    slot = schedule(saturday_evening, BUENOS_AIRES, MONDAY_TO_SATURDAY, calendar=ARGENTINA)
    assert (slot.at, slot.reason) == (local(date(2026, 12, 9), 8), "quiet_hours")


def test_company_holidays_are_skipped_too():
    company = BusinessCalendar("AR", extra_holidays=frozenset({date(2026, 12, 9), date(2026, 12, 10)}))
    opening = next_opening(local(date(2026, 12, 5), 21), BUENOS_AIRES, MONDAY_TO_SATURDAY, company)
    assert opening == local(date(2026, 12, 11), 8)


def test_the_customers_zone_decides_the_local_date_of_the_send():
    """20:30 on 24 December in Buenos Aires is already the 25th in Madrid: a Spanish customer waits for the 26th."""
    madrid = ZoneInfo("Europe/Madrid")
    at = local(date(2026, 12, 24), 20, 30)
    assert at.astimezone(madrid).date() == date(2026, 12, 25)
    assert next_opening(at, madrid, MONDAY_TO_SATURDAY, ARGENTINA) == local(date(2026, 12, 26), 8, tz=madrid)


def test_a_window_across_midnight_stops_at_the_holidays_midnight():
    night = ContactWindow(time(22), time(6))
    opening = next_opening(local(date(2026, 12, 7), 12), BUENOS_AIRES, night, ARGENTINA)
    assert opening == local(date(2026, 12, 9), 0)  # 22:00 on the 7th and on the 8th are holidays


def test_without_a_window_nothing_is_closed():
    """A tenant that set no window (null: messages go at any hour) is not held back by holidays either."""
    assert next_opening(local(date(2026, 12, 8), 3), BUENOS_AIRES, None, ARGENTINA) is None


def test_a_capped_message_pushed_onto_a_holiday_moves_past_it():
    cap = FrequencyCap(1, timedelta(days=1))
    now = local(date(2026, 12, 6), 10)  # Sunday; one message went at 9: the cap frees a place Monday at 9
    slot = schedule(now, BUENOS_AIRES, MONDAY_TO_SATURDAY, cap, [local(date(2026, 12, 6), 9)], ARGENTINA)
    assert (slot.at, slot.reason) == (local(date(2026, 12, 9), 8), "frequency_cap")


# A handful of countries' calendars and random company holidays around the moment asked.
zones = st.sampled_from(["America/Argentina/Buenos_Aires", "America/Santiago", "America/Mexico_City", "Europe/Madrid"])
countries = st.sampled_from(["AR", "CL", "MX", "BR", "CO", None])
windows = st.builds(
    lambda start, length, days: ContactWindow(time(start), time((start + length) % 24), days),
    st.integers(0, 23),
    st.integers(1, 23),
    st.frozensets(st.integers(1, 7), min_size=1),
)
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 1)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)


@given(moments, zones, windows, countries, st.lists(st.integers(-2, 20), max_size=8))
def test_never_on_a_holiday_never_outside_the_window_never_earlier_than_asked(at, zone, window, country, offsets):
    tz = ZoneInfo(zone)
    today = at.astimezone(tz).date()
    calendar = BusinessCalendar(country, extra_holidays=frozenset(today + timedelta(days=n) for n in offsets))
    opening = next_opening(at, tz, window, calendar)
    send = opening or at
    assert send >= at
    assert not calendar.is_holiday(send.astimezone(tz).date())
    assert next_opening(send, tz, window, calendar) is None  # inside the window (and no holiday)
    assert next_opening(send, tz, window) is None  # the plain window agrees
    if opening is not None:
        # the earliest: a second before, the window was still closed (or it was before the moment asked)
        before = opening - timedelta(seconds=1)
        assert before < at or next_opening(before, tz, window, calendar) is not None


@given(moments, zones, windows, countries, st.lists(st.integers(0, 72), max_size=4), st.integers(1, 3))
def test_the_cap_and_the_holidays_hold_together(now, zone, window, country, hours_ago, cap_messages):
    tz = ZoneInfo(zone)
    calendar = BusinessCalendar(country)
    cap = FrequencyCap(cap_messages, timedelta(days=1))
    earlier = [now - timedelta(hours=h) for h in hours_ago]
    slot = schedule(now, tz, window, cap, earlier, calendar)
    assert slot.at >= now
    assert not calendar.is_holiday(slot.at.astimezone(tz).date())
    assert next_opening(slot.at, tz, window, calendar) is None
    assert sum(1 for s in earlier if s > slot.at - cap.window) < cap.max_messages


async def test_a_company_holiday_set_in_dunning_reaches_messaging_and_defers_past_it(api, stack):
    tenant = await messaging_tenant(api, stack, always_open=False)  # default window: Monday to Saturday 8-20
    response = await api.patch("/v1/dunning-settings", json={"extra_holidays": ["2026-12-09"]}, headers=tenant.admin)
    assert response.status_code == 200, response.text
    while await relay_once(stack.engine, stack.arq, "dunning"):
        pass
    await run_messaging(settings())
    async with stack.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT company_holidays FROM messaging.tenant_settings WHERE tenant_id = :t"), {"t": tenant.id}
            )
        ).scalar_one()
    assert stored == [date(2026, 12, 9)]

    saturday_evening = local(date(2026, 12, 5), 21)
    async with AsyncSession(stack.engine) as session, session.begin():
        await accept(session, settings(), tenant.id, [communication(key="calendar-1")], saturday_evening)
    async with stack.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT state, deferred_reason, scheduled_at FROM messaging.messages WHERE tenant_id = :t"),
                {"t": tenant.id},
            )
        ).one()
    # Monday 7 and Tuesday 8 are public holidays in Argentina, Wednesday 9 the company's: Thursday at 8.
    assert (row.state, row.deferred_reason) == ("deferred", "quiet_hours")
    assert row.scheduled_at == local(date(2026, 12, 10), 8)
