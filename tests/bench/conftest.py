"""Synthetic benchmark results for the harness's own tests (no processes, no timing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bench.results import CpuUsage, Memory, RunResults, Scenario, SynthTiming
from bench.run_types import UpstreamCounts
from bench.stats import LatencySummary

MakeScenario = Callable[..., Scenario]


def make_scenario(
    workload: str = "hot",
    mode: str = "cached",
    *,
    clients: int = 100,
    calls: int = 1000,
    seconds: float = 1.0,
    errors: int = 0,
    peak_rss: float = 200.0,
    upstream: tuple[int, int, int] = (0, 0, 0),
    workers: int = 2,
    **extra: Any,
) -> Scenario:
    """A scenario with `calls / seconds` calls per second and otherwise plausible numbers."""
    values: dict[str, Any] = {
        "workload": workload,
        "mode": mode,
        "clients": clients,
        "workers": workers,
        "calls": calls,
        "errors": errors,
        "error_samples": {"boom": errors} if errors else {},
        "wall_seconds": seconds,
        "latency": LatencySummary(10.0, 20.0, 30.0, 40.0),
        "upstream": UpstreamCounts(*upstream),
        "cpu": CpuUsage(
            server=1.0, loadgen=0.5, fake_nws=0.1, machine_busy=2.0, machine_capacity=2.0 * seconds
        ),
        "memory": Memory(peak_rss=peak_rss, end_rss=peak_rss, end_pss=peak_rss * 0.8, processes=4),
        "plan_points": 5,
        "plan_grids": 5,
    }
    values.update(extra)
    return Scenario(**values)


@pytest.fixture
def scenario() -> MakeScenario:
    return make_scenario


@pytest.fixture
def good_run() -> RunResults:
    """A run that meets every target at 100 clients."""
    return RunResults(
        scenarios=[
            make_scenario("hot", "cached", calls=3000, seconds=1.0, upstream=(10, 10, 0)),
            make_scenario("hot", "baseline", calls=3000, seconds=30.0, upstream=(3000, 3000, 0)),
            make_scenario("hot", "warm", calls=3000, seconds=0.95),
            make_scenario("floor", "floor", calls=3000, seconds=0.9),
            make_scenario("cold", "cached", calls=3000, seconds=5.0),
            make_scenario("cold", "baseline", calls=3000, seconds=12.0),
            make_scenario("alerts", "cached", calls=3000, seconds=1.0),
            make_scenario("alerts", "baseline", calls=3000, seconds=6.0),
            make_scenario("locate-hot", "cached", calls=3000, seconds=1.0),
            make_scenario("locate-hot", "baseline", calls=3000, seconds=31.0),
            make_scenario("world-hot", "cached", calls=3000, seconds=1.0),
            make_scenario("world-hot", "baseline", calls=3000, seconds=30.0),
            make_scenario("locate-cold", "cached", calls=3000, seconds=4.0),
            make_scenario("locate-cold", "baseline", calls=3000, seconds=12.0),
            make_scenario("world-cold", "cached", calls=3000, seconds=3.0),
            make_scenario("world-cold", "baseline", calls=3000, seconds=12.0),
        ],
        synth=SynthTiming(project=[11.0, 10.5], minimal=[10.0, 10.2]),
    )
