"""The statistics of an experiment's results: pure, with hand-computed tests (tests/dunning/test_experiment_rules.py).

- A **rate** (promise rate, paid within N days) has the Wilson score interval at 95% (z = 1.96): good for small
  counts and rates near 0 or 1, unlike the normal approximation.
- A **mean** (days to pay, amount collected per customer) has the normal approximation: mean ± z·s/√n with the sample
  standard deviation s (n - 1); no interval for fewer than two values.
- A **difference to the control** has the normal approximation of the difference of two independent estimates:
  ± z·√(p₁(1-p₁)/n₁ + p₂(1-p₂)/n₂) for rates, ± z·√(s₁²/n₁ + s₂²/n₂) for means.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from math import sqrt

Z95 = 1.96


@dataclass(frozen=True, slots=True)
class Estimate:
    value: float | None  # None when nothing was observed
    low: float | None
    high: float | None
    n: int
    variance: float | None = None  # of the estimate (its standard error squared), for differences


def wilson(successes: int, n: int, z: float = Z95) -> Estimate:
    if n == 0:
        return Estimate(None, None, None, 0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n, p * (1 - p) / n)


def mean(values: Sequence[float], z: float = Z95) -> Estimate:
    n = len(values)
    if n == 0:
        return Estimate(None, None, None, 0)
    m = sum(values) / n
    if n < 2:
        return Estimate(m, None, None, n)
    variance = sum((v - m) ** 2 for v in values) / (n - 1) / n
    half = z * sqrt(variance)
    return Estimate(m, m - half, m + half, n, variance)


def difference(variant: Estimate, control: Estimate, z: float = Z95) -> Estimate:
    """``variant - control`` with its interval. No value when either lacks one; the value without an interval
    when either lacks a variance (a mean of fewer than two values)."""
    if variant.value is None or control.value is None:
        return Estimate(None, None, None, 0)
    d = variant.value - control.value
    if variant.variance is None or control.variance is None:
        return Estimate(d, None, None, variant.n + control.n)
    half = z * sqrt(variant.variance + control.variance)
    return Estimate(d, d - half, d + half, variant.n + control.n, variant.variance + control.variance)
