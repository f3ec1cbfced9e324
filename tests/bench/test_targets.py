"""The issue's targets judged on synthetic results: each one can pass, fail, or be missing."""

from __future__ import annotations

import dataclasses

import pytest

from bench.results import RunResults, SynthTiming, combine_repeats
from bench.targets import evaluate, floor_share, speedup
from tests.bench.conftest import MakeScenario


def test_a_good_run_meets_every_target(good_run: RunResults) -> None:
    checks = evaluate(good_run, 100)
    assert [check.met for check in checks] == [True] * len(checks)
    assert len(checks) == 12


def test_speedup_is_cached_over_baseline_calls_per_second(good_run: RunResults) -> None:
    assert speedup(good_run, "hot", 100) == pytest.approx(30.0)
    assert speedup(good_run, "cold", 100) == pytest.approx(2.4)
    assert speedup(good_run, "mixed", 100) is None
    assert floor_share(good_run, 100) == pytest.approx(0.9 / 0.95)  # warm cache hits, not cached


def test_ratio_below_its_target_is_not_met(good_run: RunResults, scenario: MakeScenario) -> None:
    good_run.scenarios[1] = scenario("hot", "baseline", calls=3000, seconds=10.0, upstream=(3000, 3000, 0))
    hot = evaluate(good_run, 100)[0]
    assert hot.measured == "10.0x"
    assert hot.met is False


def test_open_meteo_workloads_must_reach_the_nws_workloads_speedups(
    good_run: RunResults, scenario: MakeScenario
) -> None:
    checks = {check.target: check for check in evaluate(good_run, 100)}
    world_hot = checks["`world-hot`: at least `hot`'s speedup against caching disabled"]
    assert (world_hot.measured, world_hot.met) == ("30.0x vs 30.0x", True)
    locate_cold = checks["`locate-cold`: at least `cold`'s speedup against caching disabled"]
    assert (locate_cold.measured, locate_cold.met) == ("3.0x vs 2.4x", True)
    # A slower cached run (or a faster baseline): 29x is below hot's 30x.
    good_run.scenarios = [s for s in good_run.scenarios if s.key != ("world-hot", "baseline", 100)]
    good_run.scenarios.append(scenario("world-hot", "baseline", calls=3000, seconds=29.0))
    world_hot = next(check for check in evaluate(good_run, 100) if check.target.startswith("`world-hot`"))
    assert (world_hot.measured, world_hot.met) == ("29.0x vs 30.0x", False)


def test_upstream_bound_counts_one_cache_per_worker(good_run: RunResults, scenario: MakeScenario) -> None:
    # 5 grids and 2 workers: 10 points + 10 forecasts is within the bound, 11 is not.
    upstream = evaluate(good_run, 100)[1]
    assert upstream.met is True
    assert "10 points + 10 forecasts for 5 grids x 2 worker caches" in upstream.measured
    good_run.scenarios[0] = scenario("hot", "cached", calls=3000, upstream=(10, 11, 0))
    assert evaluate(good_run, 100)[1].met is False


def test_any_error_at_the_target_concurrency_fails_it(good_run: RunResults, scenario: MakeScenario) -> None:
    good_run.scenarios.append(scenario("mixed", "cached", errors=1))
    good_run.scenarios.append(scenario("mixed", "cached", clients=10, errors=5))  # another level
    errors = next(check for check in evaluate(good_run, 100) if check.target.startswith("Zero errors"))
    assert errors.met is False
    assert errors.measured.startswith("1 errors in")


def test_rss_limit_applies_to_every_weather_server_but_not_the_floor(
    good_run: RunResults, scenario: MakeScenario
) -> None:
    good_run.scenarios.append(scenario("floor", "floor", clients=10, peak_rss=400.0))
    rss = next(check for check in evaluate(good_run, 100) if check.target.startswith("Server RSS"))
    assert rss.met is True
    good_run.scenarios.append(scenario("cold", "baseline", clients=10, peak_rss=250.0))
    rss = next(check for check in evaluate(good_run, 100) if check.target.startswith("Server RSS"))
    assert rss.met is False
    assert "peak 250 MiB RSS (cold, baseline" in rss.measured


def test_synth_overhead_compares_the_best_runs(good_run: RunResults) -> None:
    assert good_run.synth is not None
    assert round(good_run.synth.overhead_percent) == 5
    good_run.synth = dataclasses.replace(good_run.synth, project=[12.5, 13.0])
    synth = evaluate(good_run, 100)[-1]
    assert (synth.measured, synth.met) == ("+25%", False)


def test_missing_parts_are_not_measured_rather_than_failed() -> None:
    checks = evaluate(RunResults(synth=SynthTiming(project=[1.0], minimal=[1.0])), 100)
    assert [check.met for check in checks] == [None] * 11 + [True]


def test_repeats_keep_the_median_run_but_no_error_or_memory_peak_is_lost(scenario: MakeScenario) -> None:
    runs = [
        scenario("floor", "floor", seconds=1.0, peak_rss=200.0),
        scenario("hot", "warm", seconds=1.0),
        scenario("floor", "floor", seconds=2.0, errors=1, peak_rss=260.0),
        scenario("floor", "floor", seconds=4.0, peak_rss=210.0),
    ]
    floor, hot = combine_repeats(runs)  # in first-seen order
    assert (hot.runs, hot.rate_range) == (1, None)
    assert floor.key == ("floor", "floor", 100)
    assert floor.calls_per_second == 500  # the median of 1000, 500 and 250 calls/s
    assert (floor.runs, floor.rate_range) == (3, (250.0, 1000.0))
    assert (floor.errors, floor.error_samples) == (1, {"boom": 1})
    assert floor.memory.peak_rss == 260.0


def test_background_load_is_the_share_of_capacity_used_by_other_processes(scenario: MakeScenario) -> None:
    # make_scenario: 1.6 CPU-seconds of ours in 2.0 busy of 2.0 x seconds capacity
    results = RunResults(scenarios=[scenario(seconds=1.0), scenario(seconds=3.0)])
    assert results.background_share() == pytest.approx((0.4 + 0.4) / (2.0 + 6.0))


def test_the_floor_share_is_shown_with_one_decimal(good_run: RunResults) -> None:
    share = next(check for check in evaluate(good_run, 100) if check.target.startswith("Cache-hit"))
    assert share.measured == "94.7%"
