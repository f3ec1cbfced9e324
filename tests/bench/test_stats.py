"""Percentiles and rates: the arithmetic every number in RESULTS.md goes through."""

from __future__ import annotations

import math
import statistics

import pytest

from bench.stats import percentile, rate, ratio, summarize_latencies


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 100) == 4.0
    assert percentile(values, 25) == pytest.approx(1.75)


def test_percentile_matches_statistics_quantiles_inclusive() -> None:
    values = sorted([0.3, 0.01, 7.5, 2.2, 2.2, 0.9, 4.1, 3.3, 1.0, 5.8, 0.02])
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    for q in (1, 50, 95, 99):
        assert percentile(values, q) == pytest.approx(cuts[q - 1])


def test_percentile_of_one_value_is_that_value() -> None:
    assert percentile([0.25], 99) == 0.25


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_rejects_nonsense(values: list[float], q: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, q)


def test_latency_summary_is_in_milliseconds_and_ignores_order() -> None:
    summary = summarize_latencies([0.3, 0.1, 0.2])
    assert summary.p50_ms == pytest.approx(200)
    assert summary.max_ms == pytest.approx(300)
    assert summary.p99_ms == pytest.approx(298)


def test_latency_summary_of_nothing_is_zero() -> None:
    assert summarize_latencies([]).p99_ms == 0


def test_rate_and_ratio_do_not_divide_by_zero() -> None:
    assert rate(10, 0) == 0
    assert rate(300, 1.5) == 200
    assert ratio(3, 0) == math.inf
    assert ratio(0, 0) == 0
    assert ratio(50, 2) == 25
