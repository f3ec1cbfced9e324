"""RESULTS.md rendering: tables, the targets with their verdicts, where and how the run happened."""

from __future__ import annotations

from bench.invocation import Invocation
from bench.procfs import Machine
from bench.report import RunInfo, number, render, table, times
from bench.results import RunResults
from tests.bench.conftest import MakeScenario

INFO = RunInfo(
    invocation=Invocation(
        command="pipenv run bench --sweep",
        date="2026-11-27 23:00 UTC",
        machine=Machine("AMD EPYC", 2, 23.5, "6.18"),
        python="3.11.7",
        versions={"fastmcp": "4.2.3", "mcp": "2.3.0"},
        wall_seconds=150,
    ),
    latency_ms=150,
    workers=2,
    client="sdk",
    target_clients=100,
)


def test_table_right_aligns_numeric_columns_only() -> None:
    text = table(["name", "calls/s", "ratio"], [["`hot`", "812", "3.2x"], ["`cold`", "300", "-"]])
    lines = text.splitlines()
    assert lines[0] == "| name | calls/s | ratio |"
    assert lines[1] == "| --- | ---: | ---: |"
    assert lines[2] == "| `hot` | 812 | 3.2x |"


def test_numbers_are_formatted_for_tables() -> None:
    assert number(1234.5678) == "1235"
    assert number(0.4567, 2) == "0.46"
    assert number(float("inf")) == "inf"
    assert times(None) == "-"
    assert times(21.44) == "21.4x"


def test_report_holds_machine_command_targets_and_every_scenario(good_run: RunResults) -> None:
    text = render(good_run, INFO, ["hot", "cold", "alerts", "mixed"], "## Tuning\n\nnotes here\n")
    assert text.startswith("# Benchmark results")
    assert "`pipenv run bench --sweep`" in text
    assert "2026-11-27 23:00 UTC" in text
    assert "2 cores (AMD EPYC), 23.5 GiB RAM" in text
    assert "fastmcp 4.2.3, mcp 2.3.0" in text
    assert "| `hot`: at least 20x the caching-disabled calls/s | 30.0x | met |" in text
    assert "| `hot` | cached | 3000 | 3000 |" in text  # calls, calls/s
    assert "| `hot` | baseline | 3000 | 100 |" in text
    assert "Cache-hit calls reach **94.7%** of the floor's calls/s" in text
    assert "processes outside the benchmark used 2.1% of the machine's CPU" in text
    assert "LOG_LEVEL=INFO, tracing off;" in text
    assert "| `hot` | warm | 3000 | 3158 |" in text
    assert "| echo tool (floor) | 1 | 3333 | - |" in text
    assert "**+5%**" in text  # synth overhead
    assert text.rstrip().endswith("notes here")


def test_unmet_and_unmeasured_targets_are_visible(scenario: MakeScenario) -> None:
    results = RunResults(
        scenarios=[scenario("hot", "cached", seconds=2.0), scenario("hot", "baseline", seconds=4.0)]
    )
    text = render(results, INFO, ["hot"])
    assert "| 2.0x | **not met** |" in text
    assert "| not run | not measured |" in text
    assert "## Synth time\n\nNot run." in text


def test_every_concurrency_level_gets_its_table_and_the_speedups_side_by_side(
    good_run: RunResults, scenario: MakeScenario
) -> None:
    good_run.scenarios += [
        scenario("hot", "cached", clients=10, seconds=1.0),
        scenario("hot", "baseline", clients=10, calls=300, seconds=10.0),
    ]
    text = render(good_run, INFO, ["hot", "cold"])
    assert "### 100 concurrent clients" in text
    assert "### 10 concurrent clients" in text
    assert "|  | 100 clients | 10 clients |" in text
    assert "| `hot` | 30.0x | 33.3x |" in text
    assert "| `cold` | 2.4x | - |" in text


def test_a_traced_run_says_so_in_its_setup(good_run: RunResults) -> None:
    from dataclasses import replace

    text = render(good_run, replace(INFO, tracing_sample_percent=100), ["hot"], "")
    assert "tracing on (100% of calls recorded, exported over OTLP/HTTP to a stand-in collector)" in text
