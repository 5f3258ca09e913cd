"""The pure rules of back-dated records (issue 15): default now, a little clock skew forgiven, never the future,
never before the invoices."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.receivables.invoices.rules import FieldInvalid
from services.receivables.timeline.rules import CLOCK_SKEW, check_not_before_issue, occurred_at

NOW = datetime(2027, 4, 10, 15, 0, tzinfo=UTC)


def test_default_now_back_dated_kept_and_a_device_slightly_ahead_taken_as_now():
    assert occurred_at(None, NOW) == NOW
    yesterday = NOW - timedelta(days=1)
    assert occurred_at(yesterday, NOW) == yesterday
    assert occurred_at(NOW + CLOCK_SKEW, NOW) == NOW


def test_the_future_is_refused_naming_the_field_and_the_tenants_now():
    with pytest.raises(FieldInvalid) as refused:
        occurred_at(NOW + CLOCK_SKEW + timedelta(seconds=1), NOW)
    assert refused.value.field == "occurred_at"
    assert "2027-04-10T15:00:00+00:00" in refused.value.message


def test_a_record_is_not_older_than_its_invoices():
    check_not_before_issue(date(2027, 4, 10), [(date(2027, 4, 10), "A-1"), (date(2027, 1, 1), "A-2")])
    with pytest.raises(FieldInvalid) as refused:
        check_not_before_issue(date(2027, 4, 9), [(date(2027, 1, 1), "A-2"), (date(2027, 4, 10), "A-1")])
    assert refused.value.field == "occurred_at" and "A-1" in refused.value.message
