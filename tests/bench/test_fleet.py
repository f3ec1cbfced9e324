"""The multi-task part's logic: its plan, its table, and how it refreshes RESULTS.md in place."""

from __future__ import annotations

from bench.cli import parse_args
from bench.fleet import SECTION_END, SECTION_START, FleetScenario, fleet_plan, fleet_section, splice
from bench.run_types import UpstreamCounts
from bench.stats import LatencySummary
from fakes.nws import grid_for


def test_the_plan_asks_every_point_equally_each_in_its_own_grid_cell() -> None:
    plan = fleet_plan(600, 40, seed=6)

    points = [(call.arguments["latitude"], call.arguments["longitude"]) for call in plan]
    assert len(plan) == 600
    assert {call.tool for call in plan} == {"get_forecast"}
    assert len(set(points)) == 40
    assert len({grid_for(*point) for point in points}) == 40
    assert {points.count(point) for point in set(points)} == {15}
    assert plan == fleet_plan(600, 40, seed=6)  # reproducible
    assert points[:40] != list(dict.fromkeys(points))  # shuffled, not round robin


def scenario(tasks: int, cache: str, requests: int) -> FleetScenario:
    return FleetScenario(
        tasks=tasks,
        cache=cache,  # type: ignore[arg-type]
        calls=600,
        errors=0,
        wall_seconds=3.0,
        latency=LatencySummary(12.0, 80.0, 240.0, 300.0),
        upstream=UpstreamCounts(points=requests // 2, forecasts=requests - requests // 2, alerts=0),
        load_average=(4.2, 5.0),
    )


def test_the_section_states_requests_per_call_and_against_the_floor() -> None:
    section = fleet_section(
        [scenario(1, "task", 80), scenario(3, "task", 236), scenario(3, "fleet", 80)],
        header=["- Machine: test"],
        clients=100,
        workers=2,
        points=40,
    )

    assert section.startswith(SECTION_START)
    assert section.endswith(SECTION_END)
    assert "| 3 | per-task caches | 600 | 236 | 0.393 | 2.95 | 12 | 240 | 0 | 4.2 / 5.0 |" in section
    assert "| 3 | fleet cache | 600 | 80 | 0.133 | 1.00 |" in section
    assert "The floor is 80 NWS requests" in section


def test_a_fleet_only_run_replaces_its_section_and_nothing_else() -> None:
    old = (
        f"# Results\n\nload tables\n\n{SECTION_START}\nold figures\n{SECTION_END}\n\n"
        "## Reading these numbers\n"
    )
    new_section = f"{SECTION_START}\nnew figures\n{SECTION_END}"

    refreshed = splice(old, new_section, before="## Reading these numbers")

    assert refreshed == old.replace("old figures", "new figures")


def test_a_first_fleet_run_goes_before_the_analysis_or_at_the_end() -> None:
    section = f"{SECTION_START}\nfigures\n{SECTION_END}"
    document = "# Results\n\nload tables\n\n## Reading these numbers\nanalysis\n"

    placed = splice(document, section, before="## Reading these numbers")
    appended = splice("# Results\n", section)

    assert placed.index("figures") < placed.index("## Reading these numbers") < placed.index("analysis")
    assert placed.startswith("# Results\n\nload tables\n\n")
    assert appended.endswith(f"{section}\n")


def test_fleet_is_a_part_of_the_default_run_with_its_own_sizes() -> None:
    args = parse_args([])
    assert "fleet" in args.parts
    assert (args.fleet_calls, args.fleet_points) == (600, 40)
    assert parse_args(["--parts", "fleet", "--fleet-calls", "120"]).fleet_calls == 120
