"""The pure decisions of the incremental assessment of late charges (issue 19, ``fees/watermark.py``): when the full
statement must run, which due dates became chargeable since the last assessment, what the fingerprint covers."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dunning_service.fees.watermark import (
    MARGIN,
    Watermark,
    changed_since,
    decide,
    due_windows,
    fingerprint,
    month_completed,
)

MARK = Watermark(date(2026, 3, 16), datetime(2026, 3, 16, 11, tzinfo=UTC), "f1")


def test_full_without_a_watermark_before_it_on_another_configuration_or_a_month_of_interest():
    assert decide(None, date(2026, 3, 17), "f1", False) is None
    assert decide(MARK, date(2026, 3, 13), "f1", False) is None  # an earlier day
    assert decide(MARK, date(2026, 3, 17), "f2", False) is None  # a rule, the legal maximum or a strategy changed
    assert decide(MARK, date(2026, 4, 1), "f1", True) is None  # March's interest is due from every overdue invoice
    assert decide(MARK, date(2026, 5, 4), "f1", True) is None


def test_incremental_otherwise_the_same_day_again_too():
    for day, interest in [(date(2026, 3, 17), True), (date(2026, 3, 31), True), (date(2026, 4, 1), False)]:
        assert decide(MARK, day, "f1", interest) == MARK, day
    assert decide(MARK, MARK.as_of, "f1", True) == MARK  # only what changed since and the retries


def test_month_completed_is_a_first_day_in_the_range_after_the_watermark():
    assert not month_completed(date(2026, 3, 1), date(2026, 3, 31))  # the 1st itself was the watermark's day
    assert month_completed(date(2026, 2, 28), date(2026, 3, 1))
    assert month_completed(date(2025, 12, 31), date(2026, 1, 2))
    assert not month_completed(date(2026, 3, 5), date(2026, 3, 5))


def test_due_windows_are_the_due_dates_whose_threshold_fell_since():
    # od-15 and od-1 thresholds, from Friday the 13th to Monday the 16th
    windows = due_windows([15, 1, 15], date(2026, 3, 13), date(2026, 3, 16))
    assert windows == [(date(2026, 2, 26), date(2026, 3, 1)), (date(2026, 3, 12), date(2026, 3, 15))]
    assert due_windows([1, 2], date(2026, 3, 13), date(2026, 3, 16)) == [(date(2026, 3, 11), date(2026, 3, 15))]
    assert due_windows([1], date(2026, 3, 16), date(2026, 3, 16)) == []  # the same day: nothing became due
    assert due_windows([], date(2026, 3, 13), date(2026, 3, 16)) == []


@given(
    st.lists(st.integers(1, 90), max_size=6),
    st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    st.integers(0, 40),
    st.dates(date(2025, 9, 1), date(2027, 3, 1)),
)
def test_due_windows_hold_exactly_the_due_dates_with_a_period_newly_due(thresholds, since, days, due):
    as_of = since + timedelta(days=days)
    inside = any(after < due <= up_to for after, up_to in due_windows(thresholds, since, as_of))
    assert inside == any(since < due + timedelta(days=t) <= as_of for t in thresholds)


def test_changes_are_taken_from_a_margin_before_the_watermark():
    assert changed_since(MARK) == MARK.at - MARGIN == datetime(2026, 3, 16, 10, tzinfo=UTC)


def test_the_fingerprint_reads_the_configuration_not_the_day_or_the_run():
    params = {"fr_key": ["fee"], "fr_amounts": ['{"ARS":"500"}'], "legal": "120", "m1_seg": ["retail"]}
    base = fingerprint({**params, "tenant_id": 1, "as_of": date(2026, 3, 2), "run_id": 7}, "CASE", "cu.k", None)
    assert base == fingerprint({**params, "tenant_id": 1, "as_of": date(2026, 3, 3), "run_id": 8}, "CASE", "cu.k", None)
    assert base == fingerprint(dict(reversed(list(params.items()))) | {"tenant_id": 1}, "CASE", "cu.k", None)
    assert base != fingerprint({**params, "legal": "150"}, "CASE", "cu.k", None)
    assert base != fingerprint({**params, "m1_seg": ["wholesale"]}, "CASE", "cu.k", None)
    assert base != fingerprint(params, "CASE WHEN", "cu.k", None)
    assert base != fingerprint(params, "CASE", "cu.k", "coalesce(xa.k, m.k0)")  # an experiment in force
