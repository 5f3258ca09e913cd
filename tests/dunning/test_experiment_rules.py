"""Strategy experiments' pure rules (issue 19): the deal (stable, reproducible, stratified, balanced by weight), the
steering of the selection, and the statistics of the results on hand-computed examples."""

import hashlib
import uuid
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dunning_service.experiments import stats
from dunning_service.experiments.rules import (
    ExperimentState,
    HeldAssignment,
    Status,
    StratifyBy,
    Variant,
    assign,
    choose,
    customer_hash,
    deal,
    in_force,
    stratum,
)
from dunning_service.projection.rules import CustomerView
from dunning_service.strategies.rules import Match, Strategy

EXPERIMENT = uuid.UUID("0192f5c1-2a3b-7c4d-8e5f-6a7b8c9d0e1f")
S_A, S_B, S_C = (uuid.UUID(int=n) for n in (1, 2, 3))
AB = (Variant("a", "A", S_A, 1), Variant("b", "B", S_B, 1))
ABC = (*AB, Variant("c", "C", S_C, 1))
SEGMENTS = [None, "retail", "Retail", "wholesale", "gov"]


def _customers(seeds: list[tuple[int, int]]) -> list[CustomerView]:
    return [CustomerView(uuid.UUID(int=n + 1000), f"C{n}", segment=SEGMENTS[s]) for n, s in seeds]


population = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, len(SEGMENTS) - 1)), unique_by=lambda t: t[0])


def test_the_hash_is_the_md5_of_experiment_and_customer():
    customer = uuid.UUID("0192f5a4-6b1e-7c3d-9a2f-3e4b5c6d7e81")
    expected = hashlib.md5(f"{EXPERIMENT}:{customer}".encode()).hexdigest()  # noqa: S324 (the SQL's md5)
    assert customer_hash(EXPERIMENT, customer) == expected


def test_strata_fold_case_and_name_what_is_missing():
    c = CustomerView(uuid.uuid4(), "X", segment="Retail", risk_level=None, computed_risk_level="high")
    assert stratum(c, StratifyBy.SEGMENT) == "retail"
    assert stratum(c, StratifyBy.RISK_LEVEL) == "(none)"
    assert stratum(c, StratifyBy.COMPUTED_RISK_LEVEL) == "high"
    assert stratum(c, StratifyBy.NONE) == "all"


def test_weights_deal_in_rhythm_ties_to_the_first_variant():
    two_to_one = (Variant("a", "A", S_A, 1), Variant("b", "B", S_B, 2))
    # slots: b 1/2, a 1 (tie with b 2/2: a first), b 1, b 3/2, a 2, b 2
    assert deal(two_to_one, {}, 6) == ["b", "a", "b", "b", "a", "b"]
    assert deal(AB, {}, 3) == ["a", "b", "a"]
    assert deal(AB, {"a": 2}, 3) == ["b", "b", "a"]  # newcomers fill the variant behind first


@settings(max_examples=150, deadline=None)
@given(population, st.integers(0, 100), st.sampled_from([AB, ABC]), st.sampled_from(list(StratifyBy)))
def test_stable_across_reruns_and_additions_and_balanced_per_stratum(pop, cut, variants, by):
    customers = _customers(pop)
    first = assign(EXPERIMENT, variants, by, {}, customers[:cut])
    assert assign(EXPERIMENT, variants, by, first, customers[:cut]) == {}  # a re-run deals nobody again
    later = assign(EXPERIMENT, variants, by, first, customers)
    assert not set(first) & set(later)  # the held never change
    everyone = {**first, **later}
    assert set(everyone) == {c.id for c in customers}
    for name in {a.stratum for a in everyone.values()}:
        counts = Counter(a.variant_key for a in everyone.values() if a.stratum == name)
        sizes = [counts.get(v.key, 0) for v in variants]
        assert max(sizes) - min(sizes) <= 1, (name, sizes)


@settings(max_examples=100, deadline=None)
@given(population)
def test_reproducible_whatever_the_order_of_the_population(pop):
    customers = _customers(pop)
    one = assign(EXPERIMENT, ABC, StratifyBy.SEGMENT, {}, customers)
    assert one == assign(EXPERIMENT, ABC, StratifyBy.SEGMENT, {}, list(reversed(customers)))
    other = assign(uuid.uuid4(), ABC, StratifyBy.SEGMENT, {}, customers)
    assert {a.stratum for a in one.values()} == {a.stratum for a in other.values()}


def _strategy(sid: uuid.UUID, name: str, priority: int, match: Match | None = None, default: bool = False) -> Strategy:
    return Strategy(sid, name, priority, 1, (), match or Match(), is_default=default)


def test_steering_assignment_then_redirect_then_the_match():
    scope = _strategy(S_A, "Scope", 10, Match(segments=("retail",)))
    firm = _strategy(S_B, "Firm", 20, Match(segments=("nobody",)))
    fallback = _strategy(S_C, "Default", 0, default=True)
    strategies = [scope, firm, fallback]
    variants = (Variant("control", "As is", S_A, 1), Variant("firm", "Firmer", S_B, 1))
    running = ExperimentState(EXPERIMENT, "Tone", Status.RUNNING, S_A, variants, date(2026, 3, 10))
    retail = CustomerView(uuid.uuid4(), "R", segment="retail")
    held = [HeldAssignment(EXPERIMENT, "firm", "retail")]
    choice = choose(strategies, retail, {}, in_force([running]), held)
    assert choice.strategy == firm
    assert choice.reason == "experiment 'Tone', variant firm (Firmer) (stratum retail)"
    assert choose(strategies, retail, {}, in_force([running]), []).strategy == scope  # not dealt yet
    stopped = ExperimentState(
        EXPERIMENT, "Tone", Status.STOPPED, S_A, variants, date(2026, 3, 10), date(2026, 4, 1), "firm"
    )
    control = [HeldAssignment(EXPERIMENT, "control", "retail")]
    assert choose(strategies, retail, {}, in_force([stopped]), control).strategy == firm  # everyone moved
    assert choose(strategies, retail, {}, in_force([stopped]), []).strategy == firm  # newcomers too
    other = CustomerView(uuid.uuid4(), "O", segment="gov")
    assert choose(strategies, other, {}, in_force([stopped]), []).strategy == fallback
    no_choice = ExperimentState(EXPERIMENT, "Tone", Status.STOPPED, S_A, variants, date(2026, 3, 10))
    assert choose(strategies, retail, {}, in_force([no_choice]), held).strategy == scope
    archived = [scope, fallback]  # the variant's strategy is gone: the match decides
    assert choose(archived, retail, {}, in_force([running]), held).strategy == scope


def test_wilson_by_hand():
    e = stats.wilson(5, 10)  # p = .5: centre .5, half 1.96·√(.025 + .009604)/1.38416
    assert (e.value, round(e.low or 0, 4), round(e.high or 0, 4)) == (0.5, 0.2366, 0.7634)
    zero = stats.wilson(0, 10)
    assert (zero.value, zero.low, round(zero.high or 0, 4)) == (0.0, 0.0, 0.2775)
    assert stats.wilson(0, 0).value is None


def test_mean_and_difference_by_hand():
    e = stats.mean([2.0, 4.0, 6.0])  # s² = 4, se = √(4/3) = 1.1547, half 2.2632
    assert (e.value, round(e.low or 0, 4), round(e.high or 0, 4)) == (4.0, 1.7368, 6.2632)
    single = stats.mean([3.0])
    assert (single.value, single.low, single.high) == (3.0, None, None)
    d = stats.difference(e, stats.mean([1.0, 1.0, 1.0]))
    assert (d.value, round(d.low or 0, 4), round(d.high or 0, 4)) == (3.0, 0.7368, 5.2632)
    r = stats.difference(stats.wilson(5, 10), stats.wilson(2, 10))  # .3 ± 1.96·√(.025 + .016)
    assert (round(r.value or 0, 4), round(r.low or 0, 4), round(r.high or 0, 4)) == (0.3, -0.0969, 0.6969)


@pytest.mark.parametrize("weights", [(1, 1), (1, 3), (2, 3, 5)])
def test_weighted_shares_stay_within_one_of_the_quota(weights):
    variants = tuple(Variant(f"v{i}", f"V{i}", uuid.UUID(int=i + 1), w) for i, w in enumerate(weights))
    for n in range(1, 60):
        counts = Counter(deal(variants, {}, n))
        for v in variants:
            assert abs(counts[v.key] - n * v.weight / sum(weights)) < 1 + 1e-9, (n, dict(counts))
