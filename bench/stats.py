"""Latency percentiles and throughput: plain arithmetic on the load generator's samples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks.

    Same definition as numpy's default and `statistics.quantiles(method="inclusive")`.
    """
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    position = (len(sorted_values) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    weight = position - lower
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * weight


@dataclass(frozen=True)
class LatencySummary:
    """Milliseconds, over the calls that completed (successful or not)."""

    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def summarize_latencies(seconds: Sequence[float]) -> LatencySummary:
    """p50/p95/p99/max in milliseconds; all zero when nothing completed."""
    if not seconds:
        return LatencySummary(0.0, 0.0, 0.0, 0.0)
    ordered = sorted(seconds)
    return LatencySummary(
        p50_ms=percentile(ordered, 50) * 1000,
        p95_ms=percentile(ordered, 95) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        max_ms=ordered[-1] * 1000,
    )


def rate(count: int, seconds: float) -> float:
    """Events per second; 0 for an empty interval instead of a division error."""
    return count / seconds if seconds > 0 else 0.0


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or infinity when the denominator is 0 and the numerator is not."""
    if denominator == 0:
        return math.inf if numerator else 0.0
    return numerator / denominator
