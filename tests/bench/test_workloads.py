"""The plans: what each workload asks for, deterministically."""

from __future__ import annotations

from collections import Counter

from bench.workloads import (
    COLD_CALLS_PER_GRID,
    COLD_SPELLINGS_PER_NAME,
    HOT_NAMES,
    POINT_TOOLS,
    STATES,
    WORLD_COLD_CALLS_PER_CELL,
    build_plan,
    distinct_areas,
    distinct_grids,
    distinct_open_meteo_keys,
    distinct_points,
)
from fakes.nws import grid_for
from server.nws.coverage import may_cover
from server.open_meteo.caching import grid_key, query_key

#: The `hot` workload's locations as bench/RESULTS.md reads them ("5 grids"): Kansas City, Chicago,
#: Dallas, Denver, Seattle, in this order.
HOT = [
    (39.0997, -94.5786),
    (41.8781, -87.6298),
    (32.7767, -96.797),
    (39.7392, -104.9903),
    (47.6062, -122.3321),
]


def test_hot_repeats_a_handful_of_locations_in_distinct_grids() -> None:
    plan = build_plan("hot", 100)
    assert len(plan) == 100
    assert [(call.arguments["latitude"], call.arguments["longitude"]) for call in plan[:6]] == [*HOT, HOT[0]]
    assert distinct_points(plan) == 5 == distinct_grids(plan)


def test_cold_never_repeats_a_coordinate_and_groups_them_by_grid() -> None:
    plan = build_plan("cold", 400)
    coordinates = [(call.arguments["latitude"], call.arguments["longitude"]) for call in plan]
    assert len(set(coordinates)) == 400
    grids = Counter(grid_for(lat, lon) for lat, lon in coordinates)
    assert None not in grids  # every coordinate is inside the fake's coverage
    assert set(grids.values()) == {COLD_CALLS_PER_GRID}
    assert all(len(f"{value}".split(".")[-1]) <= 4 for lat_lon in coordinates for value in lat_lon)


def test_alerts_cycle_through_the_states() -> None:
    plan = build_plan("alerts", len(STATES) + 3)
    assert [call.arguments["state"] for call in plan[:3]] == list(STATES[:3])
    assert plan[len(STATES)].arguments == plan[0].arguments
    assert distinct_areas(plan) == len(STATES)


def test_mixed_is_half_hot_a_quarter_cold_a_quarter_alerts() -> None:
    plan = build_plan("mixed", 400)
    hot = set(HOT)
    kinds = Counter(
        "alerts"
        if call.tool == "get_alerts"
        else "hot"
        if (call.arguments["latitude"], call.arguments["longitude"]) in hot
        else "cold"
        for call in plan
    )
    assert kinds == {"hot": 200, "cold": 100, "alerts": 100}


def test_the_same_seed_gives_the_same_plan_for_cached_and_baseline() -> None:
    assert build_plan("cold", 50, seed=1) == build_plan("cold", 50, seed=1)
    assert build_plan("cold", 50, seed=1) != build_plan("cold", 50, seed=2)


def test_floor_calls_the_echo_tool() -> None:
    assert {call.tool for call in build_plan("floor", 3)} == {"echo"}


def test_point_hot_asks_every_point_tool_about_the_hot_locations() -> None:
    plan = build_plan("point-hot", 2 * 3 * len(HOT))
    assert Counter(call.tool for call in plan) == dict.fromkeys(POINT_TOOLS, 2 * len(HOT))
    assert [call.tool for call in plan[:3]] == list(POINT_TOOLS)
    assert [(call.arguments["latitude"], call.arguments["longitude"]) for call in plan[::3][:5]] == HOT
    assert distinct_points(plan) == 5 == distinct_grids(plan)


def test_point_cold_never_repeats_a_coordinate_and_takes_the_point_tools_in_turn() -> None:
    plan = build_plan("point-cold", 300)
    assert distinct_points(plan) == 300
    assert Counter(call.tool for call in plan) == dict.fromkeys(POINT_TOOLS, 100)
    assert build_plan("point-cold", 300) == plan  # the same for cached and baseline


def test_locate_hot_repeats_a_handful_of_names_in_several_scripts() -> None:
    plan = build_plan("locate-hot", 12)
    assert {call.tool for call in plan} == {"find_location"}
    assert [call.arguments["query"] for call in plan[:6]] == [*HOT_NAMES, HOT_NAMES[0]]
    assert distinct_open_meteo_keys(plan) == len(HOT_NAMES)


def test_locate_cold_spells_every_new_name_four_ways_one_cache_entry_each() -> None:
    plan = build_plan("locate-cold", 400)
    queries = [call.arguments["query"] for call in plan]
    assert len(set(queries)) == 400  # never the same text twice...
    keys = Counter(query_key(query) for query in queries)
    assert set(keys.values()) == {COLD_SPELLINGS_PER_NAME}  # ...but four spellings per cache entry
    assert distinct_open_meteo_keys(plan) == 100
    assert build_plan("locate-cold", 400) == plan


def test_world_workloads_ask_points_outside_every_nws_region() -> None:
    hot = build_plan("world-hot", 10)
    cold = build_plan("world-cold", 400)
    points = [(call.arguments["latitude"], call.arguments["longitude"]) for call in hot + cold]
    assert {call.tool for call in hot + cold} == {"get_forecast"}
    assert not any(may_cover(lat, lon) for lat, lon in points)
    assert distinct_open_meteo_keys(hot) == 5
    cold_points = points[10:]
    assert len(set(cold_points)) == 400
    cells = Counter(grid_key(lat, lon) for lat, lon in cold_points)
    assert set(cells.values()) == {WORLD_COLD_CALLS_PER_CELL}
    assert distinct_open_meteo_keys(cold) == 100
    assert all(len(f"{value}".split(".")[-1]) <= 4 for point in cold_points for value in point)
