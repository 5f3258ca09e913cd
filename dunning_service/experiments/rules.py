"""Strategy experiments (issue 19, point 3: "A/B/n tests of strategies: customers assigned at random to variants
(stable, stratified by segment)"): who is in which variant, and which strategy that gives a customer.

Pure functions over plain values. The SQL twins: ``repository.assign_query`` deals the newcomers exactly as ``assign``,
``runs/selection.py`` steers the selection as ``steer``; tests/dunning/test_experiments.py (the deal) and
tests/dunning/test_selection_agrees.py (the steering) hold them to agreement.

- **Random but reproducible**: a customer's place in the deal is the md5 of ``"<experiment id>:<customer id>"``.
- **Stratified**: customers are dealt within their stratum (their segment, risk level or computed risk level;
  ``(none)`` when missing; ``all`` when the experiment is not stratified).
- **Weighted and balanced**: within a stratum, newcomers in hash order go each to the variant whose next member
  would come first in its weight's rhythm: the smallest ``(count + 1) / weight``, ties by the variants' order.
  With equal weights the counts of a stratum never differ by more than one, however many arrive later.
- **Stable**: an assignment is written once and never changes; later customers of the population are dealt on top.
"""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from math import lcm

from dunning_service.projection.rules import CustomerView
from dunning_service.strategies.rules import (
    Strategy,
    StrategyChoice,
    default_strategy,
    select_strategy,
    selection_order,
)

NO_VALUE = "(none)"
UNSTRATIFIED = "all"


class Status(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    STOPPED = "stopped"


class StratifyBy(StrEnum):
    SEGMENT = "segment"
    RISK_LEVEL = "risk_level"
    COMPUTED_RISK_LEVEL = "computed_risk_level"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Variant:
    key: str
    name: str
    strategy_id: uuid.UUID
    weight: int


def customer_hash(experiment_id: uuid.UUID, customer_id: uuid.UUID) -> str:
    """The customer's place in the deal: SQL ``md5(CAST(:experiment_id AS text) || ':' || CAST(c.id AS text))``."""
    return hashlib.md5(f"{experiment_id}:{customer_id}".encode(), usedforsecurity=False).hexdigest()


def stratum(customer: CustomerView, by: StratifyBy) -> str:
    """The customer's stratum: the attribute in lower case, ``(none)`` when missing, ``all`` when unstratified."""
    if by == StratifyBy.NONE:
        return UNSTRATIFIED
    value = getattr(customer, by.value)
    return value.lower() if value else NO_VALUE


def deal(variants: Sequence[Variant], counts: Mapping[str, int], n: int) -> list[str]:
    """The variant keys of ``n`` newcomers (in hash order) of a stratum already holding ``counts`` per variant."""
    have = {v.key: counts.get(v.key, 0) for v in variants}
    out = []
    for _ in range(n):
        chosen = min(variants, key=lambda v: Fraction(have[v.key] + 1, v.weight))  # min keeps the first of ties
        have[chosen.key] += 1
        out.append(chosen.key)
    return out


def slot_scale(variants: Sequence[Variant]) -> int:
    """The common multiple of the weights: the SQL orders the slots by the exact integers ``n * scale / weight``
    (numerics: ten coprime weights near 1000 make a scale of about 10^30)."""
    return lcm(*(v.weight for v in variants))


@dataclass(frozen=True, slots=True)
class Assignment:
    variant_key: str
    stratum: str


def assign(
    experiment_id: uuid.UUID,
    variants: Sequence[Variant],
    by: StratifyBy,
    held: Mapping[uuid.UUID, Assignment],
    population: Sequence[CustomerView],
) -> dict[uuid.UUID, Assignment]:
    """The new assignments of the ``population``'s customers not ``held`` yet (the held ones never change)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in held.values():
        counts[a.stratum][a.variant_key] += 1
    newcomers: dict[str, list[uuid.UUID]] = defaultdict(list)
    for customer in population:
        if customer.id not in held:
            newcomers[stratum(customer, by)].append(customer.id)
    out: dict[uuid.UUID, Assignment] = {}
    for name, ids in newcomers.items():
        ordered = sorted(ids, key=lambda c: (customer_hash(experiment_id, c), str(c)))
        for customer_id, key in zip(ordered, deal(variants, counts[name], len(ordered)), strict=True):
            out[customer_id] = Assignment(key, name)
    return out


# ------------------------------------------------------------------------------------------------------ steering


@dataclass(frozen=True, slots=True)
class Steer:
    """A strategy an experiment gives, and the sentence explain shows."""

    strategy_id: uuid.UUID
    reason: str


@dataclass(frozen=True, slots=True)
class InForce:
    """The experiments that steer the selection now, in precedence order (the latest started first).

    ``variants``: per (experiment, variant key), what an assigned customer gets (a running experiment: the variant's
    strategy; a stopped one with a choice: the chosen variant's, for every variant). ``redirects``: per scope
    strategy of an experiment stopped with a choice, the chosen strategy for the customers the normal selection gives
    the scope (the newcomers of the population after the stop)."""

    order: tuple[uuid.UUID, ...] = ()
    variants: Mapping[tuple[uuid.UUID, str], Steer] = field(default_factory=dict)
    redirects: Mapping[uuid.UUID, Steer] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.variants or self.redirects)


@dataclass(frozen=True, slots=True)
class HeldAssignment:
    experiment_id: uuid.UUID
    variant_key: str
    stratum: str


def steer(
    in_force: InForce, held: Sequence[HeldAssignment], strategies: Sequence[Strategy], choice: StrategyChoice
) -> StrategyChoice:
    """The normal ``choice`` steered by the experiments: the customer's assignment in the first experiment in force
    (whose strategy is live) wins; else a redirect of the chosen scope strategy; else the normal choice."""
    live = {s.id: s for s in [*selection_order(strategies), *filter(None, [default_strategy(strategies)])]}
    rank = {e: n for n, e in enumerate(in_force.order)}
    for a in sorted((a for a in held if a.experiment_id in rank), key=lambda a: rank[a.experiment_id]):
        steered = in_force.variants.get((a.experiment_id, a.variant_key))
        if steered is not None and steered.strategy_id in live:
            return StrategyChoice(live[steered.strategy_id], f"{steered.reason} (stratum {a.stratum})")
    redirect = in_force.redirects.get(choice.strategy.id) if choice.strategy else None
    if redirect is not None and redirect.strategy_id in live:
        return StrategyChoice(live[redirect.strategy_id], redirect.reason)
    return choice


def choose(
    strategies: Sequence[Strategy],
    customer: CustomerView,
    overdue: Mapping[str, Decimal],
    in_force: InForce,
    held: Sequence[HeldAssignment],
) -> StrategyChoice:
    """``select_strategy`` steered by the experiments in force: the pure reference of the run's selection."""
    return steer(in_force, held, strategies, select_strategy(strategies, customer, overdue))


def variant_reason(name: str, variant: Variant) -> str:
    return f"experiment {name!r}, variant {variant.key} ({variant.name})"


def in_force(experiments: Sequence["ExperimentState"]) -> InForce:
    """The experiments that steer: running ones (each variant its strategy) and those stopped with a chosen variant
    (every variant, and the scope's newcomers, the chosen one's). The latest started comes first."""
    steering = [e for e in experiments if e.status == Status.RUNNING or (e.status == Status.STOPPED and e.chosen)]
    steering.sort(key=lambda e: (e.started_on or date.min, str(e.id)), reverse=True)
    variants: dict[tuple[uuid.UUID, str], Steer] = {}
    redirects: dict[uuid.UUID, Steer] = {}
    for e in steering:
        chosen = e.chosen
        for v in e.variants:
            if chosen is None:
                variants[(e.id, v.key)] = Steer(v.strategy_id, variant_reason(e.name, v))
            else:
                why = f"experiment {e.name!r} stopped on {e.stopped_on}: everyone follows variant {chosen.key}"
                variants[(e.id, v.key)] = Steer(chosen.strategy_id, f"{why} ({chosen.name}); was in {v.key}")
        if chosen is not None and e.scope_strategy_id not in redirects:
            why = f"experiment {e.name!r} stopped on {e.stopped_on}: its population follows variant {chosen.key}"
            redirects[e.scope_strategy_id] = Steer(chosen.strategy_id, f"{why} ({chosen.name})")
    return InForce(tuple(e.id for e in steering), variants, redirects)


@dataclass(frozen=True, slots=True)
class ExperimentState:
    id: uuid.UUID
    name: str
    status: Status
    scope_strategy_id: uuid.UUID
    variants: tuple[Variant, ...]
    started_on: date | None = None
    stopped_on: date | None = None
    chosen_variant: str | None = None

    @property
    def chosen(self) -> Variant | None:
        if self.status != Status.STOPPED or self.chosen_variant is None:
            return None
        return next((v for v in self.variants if v.key == self.chosen_variant), None)
