"""Where an advance of a test clock stops (pure rules)."""

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from api_gateway.test_clock.rules import advance_steps, advance_target

START = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)  # noon in Buenos Aires


def test_whole_days_stop_at_the_start_and_at_each_day_after_it():
    steps = advance_steps(START, START + timedelta(days=3))
    assert steps == [START + timedelta(days=n) for n in range(4)]


def test_a_partial_day_ends_at_the_target():
    target = START + timedelta(days=2, hours=5)
    assert advance_steps(START, target) == [START, START + timedelta(days=1), START + timedelta(days=2), target]


def test_less_than_a_day_plays_the_start_and_the_target():
    assert advance_steps(START, START + timedelta(hours=1)) == [START, START + timedelta(hours=1)]


def test_the_target_is_an_instant_or_whole_days():
    assert advance_target(START, None, 90) == START + timedelta(days=90)
    assert advance_target(START, START + timedelta(hours=7), None) == START + timedelta(hours=7)


@given(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=400)))
def test_steps_are_in_order_a_day_apart_at_most_and_end_at_the_target(span):
    steps = advance_steps(START, START + span)
    assert steps[0] == START and steps[-1] == START + span
    gaps = [b - a for a, b in itertools.pairwise(steps)]
    assert all(timedelta(0) < gap <= timedelta(days=1) for gap in gaps)
    assert len(steps) == span.days + (2 if span % timedelta(days=1) else 1)


def test_advancing_to_the_current_instant_plays_it_once():
    assert advance_steps(START, START) == [START]
