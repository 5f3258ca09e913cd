"""The pure rules of the alarms (seed 000, "Sub-proceso 3: Alarmas internas"): no database."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from alarms_service.digests import rules, wording
from alarms_service.digests.rules import Audience, Directory, Recipient
from alarms_service.tenant_settings.rules import Alarm, AlarmSchedule, Cadence

BUENOS_AIRES = "America/Argentina/Buenos_Aires"
MONDAY = date(2026, 11, 23)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock moment in Buenos Aires (UTC-3)."""
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) + timedelta(hours=3)
    return rules.local_now(moment, BUENOS_AIRES)


# --- when ------------------------------------------------------------------------------------------------------


def test_periods_are_local_days_and_iso_weeks():
    assert rules.period(Alarm.BROKEN_PROMISES, MONDAY) == "2026-11-23"
    assert rules.period(Alarm.DISPUTES, MONDAY) == "2026-W48"
    assert rules.period(Alarm.DISPUTES, date(2026, 11, 29)) == "2026-W48"  # Sunday: same week
    assert rules.period(Alarm.DISPUTES, date(2026, 11, 30)) == "2026-W49"
    assert rules.period(Alarm.PAYMENTS_REPORTED, date(2027, 1, 1)) == "2026-W53"  # ISO year, not calendar year
    assert rules.period_start(Alarm.DISPUTES, date(2026, 11, 26)) == MONDAY


def test_the_tenants_wall_clock_decides():
    now = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
    assert rules.local_now(now, BUENOS_AIRES).date() == date(2026, 11, 22)
    assert rules.local_now(now, "Asia/Tokyo").date() == MONDAY
    assert rules.local_now(now, "Not/AZone").tzinfo is not None  # an unknown zone counts as UTC


def test_daily_alarms_from_their_hour_on_their_weekdays():
    schedule = AlarmSchedule(Alarm.ACTIONS, hour=8)
    assert rules.due_period(schedule, local(MONDAY, 7, 59)) is None
    assert rules.due_period(schedule, local(MONDAY, 8)) == "2026-11-23"
    assert rules.due_period(schedule, local(MONDAY, 23, 45)) == "2026-11-23"  # a missed hour is caught up that day
    assert rules.due_period(schedule, local(date(2026, 11, 28), 9)) is None  # Saturday
    weekend = AlarmSchedule(Alarm.ACTIONS, weekdays=frozenset({6}))
    assert rules.due_period(weekend, local(date(2026, 11, 28), 9)) == "2026-11-28"
    assert rules.due_period(AlarmSchedule(Alarm.ACTIONS, enabled=False), local(MONDAY, 9)) is None


def test_weekly_alarms_from_their_weekday_and_hour_or_later_that_week():
    friday = AlarmSchedule(Alarm.DISPUTES, weekday=5, hour=9)
    assert rules.due_period(friday, local(date(2026, 11, 26), 23)) is None  # Thursday
    assert rules.due_period(friday, local(date(2026, 11, 27), 8)) is None
    assert rules.due_period(friday, local(date(2026, 11, 27), 9)) == "2026-W48"
    # a missed Friday is not caught up on the weekend (issue 10: weekly digests went out on a Sunday morning)
    assert rules.due_period(friday, local(date(2026, 11, 28), 9)) is None
    assert rules.due_period(friday, local(date(2026, 11, 29), 9)) is None
    assert rules.due_period(friday, local(date(2026, 11, 30), 9)) is None  # Monday of the next week


def test_due_alarms_in_a_stable_order():
    schedules = [AlarmSchedule(a) for a in reversed(list(Alarm))]
    assert rules.due_alarms(schedules, local(MONDAY, 8)) == [
        (Alarm.ACTIONS, "2026-11-23"),
        (Alarm.BROKEN_PROMISES, "2026-11-23"),
        (Alarm.PAYMENTS_REPORTED, "2026-W48"),
        (Alarm.DISPUTES, "2026-W48"),
        (Alarm.TASKS_OVERDUE, "2026-11-23"),
        (Alarm.UNASSIGNED_CUSTOMERS, "2026-11-23"),
        (Alarm.WORKLOAD, "2026-W48"),
        (Alarm.OVERDUE_THRESHOLD, "2026-11-23"),
        (Alarm.CONTACT_RATE, "2026-W48"),
        (Alarm.WARNING_SIGNS, "2026-W48"),
        (Alarm.PLANS_BROKEN, "2026-11-23"),
    ]
    # Tuesday: the weekly ones are still due for the same week (the scheduler takes each period once)
    assert rules.due_alarms(schedules, local(date(2026, 11, 24), 8)) == [
        (Alarm.ACTIONS, "2026-11-24"),
        (Alarm.BROKEN_PROMISES, "2026-11-24"),
        (Alarm.PAYMENTS_REPORTED, "2026-W48"),
        (Alarm.DISPUTES, "2026-W48"),
        (Alarm.TASKS_OVERDUE, "2026-11-24"),
        (Alarm.UNASSIGNED_CUSTOMERS, "2026-11-24"),
        (Alarm.WORKLOAD, "2026-W48"),
        (Alarm.OVERDUE_THRESHOLD, "2026-11-24"),
        (Alarm.CONTACT_RATE, "2026-W48"),
        (Alarm.WARNING_SIGNS, "2026-W48"),
        (Alarm.PLANS_BROKEN, "2026-11-24"),
    ]
    assert rules.due_alarms(schedules, local(date(2026, 11, 24), 7)) == [
        (Alarm.PAYMENTS_REPORTED, "2026-W48"),
        (Alarm.DISPUTES, "2026-W48"),
        (Alarm.WORKLOAD, "2026-W48"),
        (Alarm.CONTACT_RATE, "2026-W48"),
        (Alarm.WARNING_SIGNS, "2026-W48"),
    ]


def test_next_due():
    daily = AlarmSchedule(Alarm.BROKEN_PROMISES, hour=8)
    assert rules.next_due(daily, local(MONDAY, 9)) == local(MONDAY, 9)  # due and not sent: now
    assert rules.next_due(daily, local(MONDAY, 9), ["2026-11-23"]) == local(date(2026, 11, 24), 8)
    assert rules.next_due(daily, local(date(2026, 11, 27), 9), ["2026-11-27"]) == local(date(2026, 11, 30), 8)
    weekly = AlarmSchedule(Alarm.DISPUTES, weekday=3, hour=10)
    assert rules.next_due(weekly, local(MONDAY, 9)) == local(date(2026, 11, 25), 10)
    assert rules.next_due(weekly, local(date(2026, 11, 26), 9), ["2026-W48"]) == local(date(2026, 12, 2), 10)
    assert rules.next_due(AlarmSchedule(Alarm.DISPUTES, enabled=False), local(MONDAY, 9)) is None


schedules = st.builds(
    AlarmSchedule,
    alarm=st.sampled_from(list(Alarm)),
    hour=st.integers(0, 23),
    weekdays=st.frozensets(st.integers(1, 7), min_size=1),
    weekday=st.integers(1, 7),
)
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
zones = st.sampled_from([BUENOS_AIRES, "America/Mexico_City", "Europe/Madrid", "Asia/Kolkata", "UTC"])


@given(schedules, moments, zones, st.integers(1, 60 * 24 * 7))
def test_once_due_an_alarm_stays_due_until_its_period_ends(schedule, moment, zone, minutes_later):
    now = rules.local_now(moment, zone)
    later = rules.local_now(moment + timedelta(minutes=minutes_later), zone)
    due = rules.due_period(schedule, now)
    if due is None:
        return
    assert due == rules.period(schedule.alarm, now.date())
    if rules.period(schedule.alarm, later.date()) == due and (
        (schedule.cadence is Cadence.WEEKLY and rules.NO_HOLIDAYS.is_business_day(later.date()))
        or later.date() == now.date()
    ):
        assert rules.due_period(schedule, later) == due


@given(schedules, moments, zones)
def test_the_next_due_moment_is_due_and_not_before_now(schedule, moment, zone):
    now = rules.local_now(moment, zone)
    current = rules.due_period(schedule, now)
    done = [current] if current else []
    upcoming = rules.next_due(schedule, now, done)
    assert upcoming is not None and upcoming > now
    assert rules.due_period(schedule, upcoming) not in (None, current)


# --- what ------------------------------------------------------------------------------------------------------


def test_payments_reported_more_than_x_days_ago():
    """Seed 000: "pasados más de x días aún figuran impagas": exactly X days is not yet more than X."""
    reported = date(2026, 11, 18)
    assert not rules.reported_not_credited("payment_reported", Decimal("1"), reported, MONDAY, 5)
    assert rules.reported_not_credited("payment_reported", Decimal("1"), reported, MONDAY, 4)
    assert not rules.reported_not_credited("payment_reported", Decimal("0"), reported, MONDAY, 0)
    assert not rules.reported_not_credited("paid", Decimal("1"), reported, MONDAY, 0)
    assert not rules.reported_not_credited("payment_reported", Decimal("1"), None, MONDAY, 0)


@given(st.dates(date(2026, 1, 1), date(2026, 12, 31)), st.integers(0, 90))
def test_the_reported_cutoff_is_the_threshold(reported, threshold):
    listed = rules.reported_not_credited("payment_reported", Decimal("1"), reported, MONDAY, threshold)
    assert listed == ((MONDAY - reported).days > threshold)


def test_a_broken_promise_is_pending_until_handled():
    base = {
        "promised_date": date(2026, 11, 18),
        "broken_on": date(2026, 11, 20),
        "invoice_status": "normal",
        "invoice_open_amount": Decimal("10"),
        "invoice_promised_date": None,
        "as_of": MONDAY,
        "lookback_days": 30,
    }
    assert rules.broken_promise_pending(**base)
    assert rules.broken_promise_pending(**base | {"invoice_status": None})  # invoice not known yet
    assert rules.broken_promise_pending(  # the invoice's change back to normal has not arrived yet
        **base | {"invoice_status": "promise_to_pay", "invoice_promised_date": date(2026, 11, 18)}
    )
    assert not rules.broken_promise_pending(  # a new promise: handled
        **base | {"invoice_status": "promise_to_pay", "invoice_promised_date": date(2026, 11, 30)}
    )
    assert not rules.broken_promise_pending(**base | {"invoice_status": "dispute"})
    assert not rules.broken_promise_pending(**base | {"invoice_open_amount": Decimal("0")})
    assert not rules.broken_promise_pending(**base | {"broken_on": date(2026, 10, 23)})  # 31 days ago
    assert rules.broken_promise_pending(**base | {"broken_on": date(2026, 10, 24)})  # 30 days ago
    assert not rules.broken_promise_pending(**base | {"broken_on": date(2026, 11, 24)})  # after the as-of date


def test_an_action_is_pending_while_something_is_owed():
    assert rules.action_pending("open", MONDAY, MONDAY, known_invoices=2, owed_invoices=1)
    assert rules.action_pending("open", MONDAY, MONDAY, known_invoices=0, owed_invoices=0)
    assert not rules.action_pending("open", MONDAY, MONDAY, known_invoices=2, owed_invoices=0)
    assert not rules.action_pending("done", MONDAY, MONDAY, known_invoices=2, owed_invoices=2)
    assert not rules.action_pending("open", MONDAY, MONDAY - timedelta(days=1), known_invoices=1, owed_invoices=1)


# --- to whom ---------------------------------------------------------------------------------------------------


def test_routing_says_why_rows_have_no_recipient():
    carla = Recipient(uuid.uuid4(), "user", "Carla", "carla@x.example")
    gone = Recipient(uuid.uuid4(), "user", "Ida", "ida@x.example", active=False)
    mute = Recipient(uuid.uuid4(), "person", "Muda", None)
    directory = Directory(users={carla.id: carla, gone.id: gone}, people={mute.id: mute})
    assert rules.route(Audience.COLLECTOR, carla.id, None, directory) == carla
    assert rules.route(Audience.COLLECTOR, None, "no_collector", directory) == "no_collector"
    assert rules.route(Audience.ACTION_OWNER, None, None, directory) == "no_action_owner"
    assert rules.route(Audience.COLLECTOR, uuid.uuid4(), None, directory) == "unknown_user"
    assert rules.route(Audience.COLLECTOR, gone.id, None, directory) == "inactive_recipient"
    assert rules.route(Audience.AREA, mute.id, None, directory) == "recipient_without_email"
    assert rules.route(Audience.AREA, carla.id, None, directory) == "unknown_person"  # areas name people


def test_a_responsible_person_without_email_uses_their_users():
    user = Recipient(uuid.uuid4(), "user", "Marcos Díaz", "marcos@x.example", user_id=None)
    person = rules.person_recipient(
        {"id": str(uuid.uuid4()), "name": "Marcos", "email": None, "user_id": str(user.id), "active": True},
        {user.id: user},
    )
    assert (person.kind, person.email, person.user_id, person.name) == ("person", "marcos@x.example", user.id, "Marcos")


def test_one_idempotency_key_per_tenant_alarm_audience_recipient_and_period():
    tenant, recipient = uuid.uuid4(), uuid.uuid4()
    keys = {
        rules.idempotency_key(tenant, alarm, audience, recipient, per)
        for alarm in Alarm
        for audience in rules.AUDIENCES[alarm]
        for per in ("2026-11-23", "2026-W48")
    }
    # 14 (alarm, audience) pairs: disputes, overdue_threshold and plans_broken write to two audiences
    assert len(keys) == 28
    assert rules.idempotency_key(tenant, Alarm.DISPUTES, Audience.AREA, recipient, "2026-W48") == (
        f"alarms:{tenant}:disputes:area:{recipient}:2026-W48"
    )


# --- what it says ----------------------------------------------------------------------------------------------


def dispute_row(n: int) -> dict:
    return {
        "invoice_id": str(uuid.uuid4()),
        "number": f"D-{n}",
        "customer_name": "Norte",
        "currency": "USD",
        "open_amount": "10.50",
        "area_name": "Logística",
        "disputed_since": "2026-11-02",
        "days_in_dispute": 21,
    }


def test_a_long_digest_lists_the_first_lines_and_counts_the_rest():
    rows = [dispute_row(n) for n in range(5)]
    text = wording.compose(
        Alarm.DISPUTES,
        Audience.AREA,
        rows[:3],
        row_count=250,
        customers=40,
        totals={"USD": "2625.00", "ARS": "100"},
        areas=["Logística", "Precios"],
        max_lines=3,
        country="AR",
    )
    assert len(text.lines) == 4
    assert text.lines[0] == "Norte, factura D-0 (Logística): en disputa desde el 2 nov 2026 (21 días), saldo US$ 10,50"
    assert text.lines[-1] == "… y 247 más (el detalle completo está en cobranza: alarma disputes)."
    # amounts of different currencies side by side, never added
    assert (
        text.summary == "250 facturas con una disputa a resolver por Logística y Precios, saldo $ 100,00; US$ 2.625,00."
    )


def test_digests_speak_the_tenants_language():
    row = {
        "action_item_id": str(uuid.uuid4()),
        "customer_name": "Acme Inc.",
        "action": "write_off",
        "created_on": "2026-11-20",
        "days_open": 1,
        "invoices_owed": 1,
        "open_totals": {"USD": "99.90"},
    }
    common = {"row_count": 1, "customers": 1, "totals": {"USD": "99.90"}}
    en = wording.compose(Alarm.ACTIONS, Audience.ACTION_OWNER, [row], language="en", country="US", **common)
    assert en.title == "Customers with actions to take"
    assert en.lines == ("Acme Inc.: write off, since Nov 20, 2026 (1 day), 1 invoice, balance $99.90",)
    assert en.summary == "1 customer with pending actions (1 action), balance $99.90."
    pt = wording.compose(Alarm.ACTIONS, Audience.ACTION_OWNER, [row], language="pt", country="BR", **common)
    assert pt.lines[0].startswith("Acme Inc.: baixar a venda, desde 20 de nov. de 2026 (1 dia), 1 fatura, saldo US$")
    fallback = wording.compose(Alarm.ACTIONS, Audience.ACTION_OWNER, [row], language="fr", **common)
    assert fallback.title == "Clientes con los que se deben tomar acciones"
    assert set(en.data()) == {"title", "summary", "lines", "action"}


def test_rows_sort_oldest_case_first():
    rows = [
        {"reported_date": date(2026, 11, 10), "customer_name": "B", "number": "2", "invoice_id": "x"},
        {"reported_date": date(2026, 11, 2), "customer_name": "Z", "number": "9", "invoice_id": "y"},
        {"reported_date": date(2026, 11, 10), "customer_name": "A", "number": "5", "invoice_id": "z"},
    ]
    ordered = sorted(rows, key=lambda r: rules.sort_key(Alarm.PAYMENTS_REPORTED, Audience.COLLECTOR, r))
    assert [r["number"] for r in ordered] == ["9", "5", "2"]


@given(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("1e12"), places=3, allow_nan=False),
    st.sampled_from(["ARS", "USD", "EUR", "CLP", "JPY", "BRL", "MXN", "COP", "KWD"]),
    st.sampled_from([("es", "AR"), ("es", None), ("en", "US"), ("pt", "BR"), ("es", "MX"), ("es", "CO"), ("en", "GB")]),
)
def test_money_reads_as_babel_writes_it(amount, currency, place):
    """Digests write money with ``shared.words``, as messages do (issue 12, point 5): babel with that pattern."""
    words = wording.wording(*place)
    pattern = words.words.pattern(currency)
    expected = format_currency(amount, currency, format=pattern, locale=words.locale, currency_digits=True)
    assert words.amount(amount, currency) == expected
