"""Confidence intervals for the benchmarks' counts, one implementation for all of them.

Written out (a dozen lines each) rather than taken from SciPy, which the project does
not depend on: the domain core needs numpy only. Two kinds of figure come out of the
benchmarks: rates of rare events over time (false
anomalies per hour), for which the exact (Garwood) Poisson interval is the honest one
when the count is 0, 1 or 2; and shares of trials (impostors missed), for which the
Wilson score interval behaves at 0% and 100% where the normal approximation does not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when there are no trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def poisson_cdf(count: int, mean: float) -> float:
    """P(X <= count) for X ~ Poisson(mean), summed in log space (exact for small counts)."""
    if mean <= 0:
        return 1.0
    terms = [k * math.log(mean) - mean - math.lgamma(k + 1) for k in range(count + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in terms))


def _solve(target: float, count: int, low: float, high: float) -> float:
    """The mean at which P(X <= count) equals ``target`` (the CDF falls as the mean grows)."""
    for _ in range(200):
        middle = (low + high) / 2
        if poisson_cdf(count, middle) > target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def poisson_interval(count: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact two-sided (Garwood) interval for a Poisson mean, having seen ``count`` events.

    The lower bound solves P(X >= count) = alpha/2 (0 when count is 0), the upper one
    P(X <= count) = alpha/2; for 0 events that is 3.689, the "rule of three" made exact.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    high_limit = 10.0 * count + 50.0
    upper = _solve(alpha / 2, count, 0.0, high_limit)
    lower = 0.0 if count == 0 else _solve(1 - alpha / 2, count - 1, 0.0, high_limit)
    return lower, upper


def rate_per_hour(count: int, hours: float) -> dict[str, float | int | list[float]]:
    """A count over a duration as events per hour, with its 95% Poisson interval."""
    low, high = poisson_interval(count)
    per = (lambda x: x / hours) if hours > 0 else (lambda x: math.inf)
    return {
        "count": count,
        "per_hour": round(per(count), 3),
        "per_hour_ci95": [round(per(low), 3), round(per(high), 3)],
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
