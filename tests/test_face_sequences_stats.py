"""The intervals of the sequence benchmark against published values."""

from __future__ import annotations

import pytest

from proctoring.bench.stats import percentile, poisson_interval, rate_per_hour, wilson


@pytest.mark.parametrize(
    ("count", "low", "high"),
    [(0, 0.0, 3.6889), (1, 0.0253, 5.5716), (2, 0.2422, 7.2247), (10, 4.7954, 18.3904)],
)
def test_poisson_interval_matches_the_exact_garwood_table(
    count: int, low: float, high: float
) -> None:
    got = poisson_interval(count)
    assert got == pytest.approx((low, high), abs=1e-3)


def test_poisson_interval_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        poisson_interval(-1)


def test_rate_per_hour_scales_count_and_interval() -> None:
    row = rate_per_hour(0, 2.0)
    assert row["count"] == 0
    assert row["per_hour"] == 0.0
    assert row["per_hour_ci95"] == pytest.approx([0.0, 1.844], abs=1e-3)


def test_wilson_interval() -> None:
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([1.0, 2.0], 95) == pytest.approx(1.95)
    assert percentile([1.0, 5.0, 2.0], 100) == 5.0
