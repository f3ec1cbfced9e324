"""The issue's targets, judged against one run's numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bench.results import RunResults, Scenario
from bench.stats import ratio

#: calls/s of each workload with caching, as a multiple of the same workload without it.
RATIO_TARGETS: Final = {"hot": 20.0, "cold": 2.0, "alerts": 5.0}
#: The Open-Meteo workloads must reach at least the ratio of the NWS workload of the same kind.
OPEN_METEO_RATIO_REFERENCES: Final = {
    "locate-hot": "hot",
    "world-hot": "hot",
    "locate-cold": "cold",
    "world-cold": "cold",
}
#: Cache-hit (hot) calls/s as a share of the echo floor's calls/s.
FLOOR_SHARE_TARGET: Final = 0.80
RSS_LIMIT_MIB: Final = 250.0
SYNTH_OVERHEAD_LIMIT_PERCENT: Final = 20.0


@dataclass(frozen=True)
class Check:
    """One target: what it asks, what was measured, and whether it holds (None: not measured)."""

    target: str
    measured: str
    met: bool | None


def speedup(results: RunResults, workload: str, clients: int) -> float | None:
    """Cached calls/s over baseline calls/s for a workload at a concurrency, if both ran."""
    cached = results.find(workload, "cached", clients)
    baseline = results.find(workload, "baseline", clients)
    if cached is None or baseline is None:
        return None
    return ratio(cached.calls_per_second, baseline.calls_per_second)


def floor_share(results: RunResults, clients: int) -> float | None:
    """Cache-hit calls/s (`hot` with a warm cache) as a share of the floor's, if both ran."""
    hot = results.find("hot", "warm", clients)
    floor = results.find("floor", "floor", clients)
    if hot is None or floor is None:
        return None
    return ratio(hot.calls_per_second, floor.calls_per_second)


def _not_run(target: str) -> Check:
    return Check(target, "not run", None)


def ratio_checks(results: RunResults, clients: int) -> list[Check]:
    """The speedup targets at one concurrency level."""
    checks = []
    for workload, minimum in RATIO_TARGETS.items():
        target = f"`{workload}`: at least {minimum:g}x the caching-disabled calls/s"
        value = speedup(results, workload, clients)
        checks.append(_not_run(target) if value is None else Check(target, f"{value:.1f}x", value >= minimum))
    return checks


def open_meteo_ratio_checks(results: RunResults, clients: int) -> list[Check]:
    """find_location and a non-US forecast: at least the NWS workloads' speedups, hot and cold."""
    checks = []
    for workload, reference in OPEN_METEO_RATIO_REFERENCES.items():
        target = f"`{workload}`: at least `{reference}`'s speedup against caching disabled"
        value, floor = speedup(results, workload, clients), speedup(results, reference, clients)
        if value is None or floor is None:
            checks.append(_not_run(target))
        else:
            checks.append(Check(target, f"{value:.1f}x vs {floor:.1f}x", value >= floor))
    return checks


def upstream_check(hot: Scenario | None) -> Check:
    """Hot forecasts: at most one points and one forecast request per distinct grid and cache.

    Each worker process has its own cache, so the bound is per worker.
    """
    target = "`hot` upstream: at most 1 points + 1 forecast request per distinct grid per cache window"
    if hot is None:
        return _not_run(target)
    points_limit = hot.plan_points * hot.workers
    grids_limit = hot.plan_grids * hot.workers
    measured = (
        f"{hot.upstream.points} points + {hot.upstream.forecasts} forecasts for {hot.plan_grids} grids"
        f" x {hot.workers} worker caches ({hot.calls} calls)"
    )
    return Check(
        target, measured, hot.upstream.points <= points_limit and hot.upstream.forecasts <= grids_limit
    )


def evaluate(results: RunResults, clients: int) -> list[Check]:
    """Every target of the issue, at the target concurrency `clients`."""
    checks = ratio_checks(results, clients)
    checks.insert(1, upstream_check(results.find("hot", "cached", clients)))
    checks += open_meteo_ratio_checks(results, clients)

    share = floor_share(results, clients)
    target = f"Cache-hit (`hot`) calls/s at least {FLOOR_SHARE_TARGET:.0%} of the framework floor's"
    checks.append(
        _not_run(target) if share is None else Check(target, f"{share:.1%}", share >= FLOOR_SHARE_TARGET)
    )

    at_level = [scenario for scenario in results.scenarios if scenario.clients == clients]
    target = f"Zero errors at {clients} concurrent clients"
    errors = sum(scenario.errors for scenario in at_level)
    calls = sum(scenario.calls for scenario in at_level)
    checks.append(
        Check(target, f"{errors} errors in {calls} calls", errors == 0) if at_level else _not_run(target)
    )

    servers = [scenario for scenario in results.scenarios if scenario.mode != "floor"]
    target = f"Server RSS under {RSS_LIMIT_MIB:g} MB throughout (all processes summed)"
    if servers:
        worst = max(servers, key=lambda scenario: scenario.memory.peak_rss)
        memory = worst.memory
        measured = (
            f"peak {memory.peak_rss:.0f} MiB RSS ({worst.workload}, {worst.mode}, {memory.processes}"
            f" processes); PSS at the end {memory.end_pss:.0f} MiB"
        )
        checks.append(Check(target, measured, worst.memory.peak_rss < RSS_LIMIT_MIB))
    else:
        checks.append(_not_run(target))

    target = f"Synth adds at most {SYNTH_OVERHEAD_LIMIT_PERCENT:g}% to a minimal app on the same bindings"
    if results.synth is None:
        checks.append(_not_run(target))
    else:
        overhead = results.synth.overhead_percent
        checks.append(Check(target, f"{overhead:+.0f}%", overhead <= SYNTH_OVERHEAD_LIMIT_PERCENT))
    return checks
