"""The pure decisions of issue 18's alarms (``digests/rules.py``, ``tenant_settings/rules.py``): no I/O."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from alarms_service.digests import rules, wording
from alarms_service.digests.rules import Audience
from alarms_service.tenant_settings.rules import DEFAULTS, MANAGER_ALARMS, Alarm, merge
from shared.calendar import BusinessCalendar


def test_the_new_alarms_are_off_until_a_tenant_turns_them_on():
    assert {alarm for alarm, schedule in DEFAULTS.items() if not schedule.enabled} == MANAGER_ALARMS
    assert all(rules.AUDIENCES[alarm] for alarm in Alarm)


def test_the_contact_week_is_the_whole_iso_week_before():
    assert rules.contact_week(date(2026, 11, 23)) == (date(2026, 11, 16), date(2026, 11, 23))
    assert rules.contact_week(date(2026, 11, 29)) == (date(2026, 11, 16), date(2026, 11, 23))
    weekends_only = BusinessCalendar()
    assert rules.business_days(date(2026, 11, 16), date(2026, 11, 23), weekends_only) == 5
    holiday = BusinessCalendar(None, None, frozenset({date(2026, 11, 18)}))
    assert rules.business_days(date(2026, 11, 16), date(2026, 11, 23), holiday) == 4


@given(st.integers(0, 200), st.integers(1, 50), st.integers(0, 7))
def test_below_plan_is_fewer_contacts_than_planned(contacts, per_day, days):
    assert rules.below_plan(contacts, per_day, days) is (contacts < per_day * days)
    assert not rules.below_plan(contacts, per_day, 0)


@given(st.integers(0, 10_000), st.integers(0, 100_000), st.integers(1, 30), st.integers(1, 300))
def test_above_spread_is_strictly_above_the_mean_plus_the_spread(value, total, size, spread):
    above = rules.above_spread(Decimal(value), Decimal(total), size, spread)
    assert above is (Fraction(value) > Fraction(total, size) * (1 + Fraction(spread, 100)))
    assert not rules.above_spread(Decimal(5), Decimal(10), 3, 50)  # 5 is exactly 10/3 x 1.5: not above


def test_a_crossing_is_told_once():
    assert rules.threshold_crossed(Decimal("5000"), Decimal("5000"), told=False)
    assert not rules.threshold_crossed(Decimal("5000"), Decimal("5000"), told=True)
    assert not rules.threshold_crossed(Decimal("4999.99"), Decimal("5000"), told=False)
    assert not rules.threshold_crossed(Decimal("9"), None, told=False)


def test_overdue_is_owed_and_due_before_the_day():
    as_of = date(2026, 11, 23)
    assert rules.overdue("normal", Decimal("1"), date(2026, 11, 22), as_of)
    assert not rules.overdue("normal", Decimal("1"), as_of, as_of)
    assert not rules.overdue("paid", Decimal("0"), date(2026, 1, 1), as_of)
    assert rules.task_overdue("open", date(2026, 11, 22), as_of)
    assert not rules.task_overdue("done", date(2026, 11, 22), as_of)
    assert not rules.task_overdue("open", None, as_of)


def test_thresholds_are_checked_per_currency():
    current = DEFAULTS[Alarm.OVERDUE_THRESHOLD]
    changed, errors = merge(current, Alarm.OVERDUE_THRESHOLD, {"thresholds": {"ars": Decimal("10")}})
    assert errors == [] and changed.thresholds == {"ARS": Decimal("10")}
    _, errors = merge(current, Alarm.OVERDUE_THRESHOLD, {"thresholds": {"AR": Decimal("1"), "USD": Decimal("0")}})
    assert [e["field"] for e in errors] == ["overdue_threshold.thresholds.AR", "overdue_threshold.thresholds.USD"]


def test_a_sign_reads_in_words_and_falls_back_to_its_label():
    words = wording.wording("en", "US")
    trend = {
        "sign": "days_late_trend",
        "evidence": {
            "recent_payments": 3,
            "recent_avg_days_late": 21,
            "earlier_payments": 9,
            "earlier_avg_days_late": 4,
        },
    }
    assert wording.sign_words(trend, words) == "pays later than before (21 days late on the last 3 payments against 4)"
    assert wording.sign_words({"sign": "bad_contacts", "evidence": {}}, words) == "bounced or invalid contacts"
    text = wording.compose(
        Alarm.WARNING_SIGNS,
        Audience.COLLECTOR,
        [{"customer_name": "Acme", "risk_level": "high", "signs": [trend]}],
        row_count=1,
        customers=1,
        totals={},
        language="en",
        country="US",
    )
    assert text.lines == ("Acme (high risk): " + wording.sign_words(trend, words),)
    for language in wording.LANGUAGES:
        for alarm in MANAGER_ALARMS:
            for audience in rules.AUDIENCES[alarm]:
                key = (alarm.value, audience.value)
                table = wording.wording(language, None).t
                assert all(key in table[part] for part in ("title", "summary", "action", "line")), (language, key)
