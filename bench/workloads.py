"""What each workload asks: a deterministic list of tool calls (a plan) for the load generator.

Plans are built here, in the orchestrator, and handed to the load generator as JSON, so the load
generator stays a generic, cheap "execute these calls" process.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from fakes.nws import CELLS_PER_DEGREE, grid_for
from server.open_meteo.caching import grid_key, query_key

Workload = Literal[
    "hot",
    "cold",
    "alerts",
    "mixed",
    "point-hot",
    "point-cold",
    "locate-hot",
    "locate-cold",
    "world-hot",
    "world-cold",
    "floor",
]
#: The weather workloads, in report order; "floor" is the echo tool of the framework floor.
#: `point-hot` and `point-cold` are `hot` and `cold` for the three point tools (current conditions,
#: hourly forecast, alerts for a point), taken in turn. `locate-*` are find_location, `world-*`
#: get_forecast outside NWS coverage (answered by Open-Meteo).
WEATHER_WORKLOADS: Final[tuple[Workload, ...]] = (
    "hot",
    "cold",
    "alerts",
    "mixed",
    "point-hot",
    "point-cold",
    "locate-hot",
    "locate-cold",
    "world-hot",
    "world-cold",
)

#: A handful of US locations in distinct grid cells (repeated by `hot`).
HOT_LOCATIONS: Final = (
    (39.0997, -94.5786),  # Kansas City
    (41.8781, -87.6298),  # Chicago
    (32.7767, -96.797),  # Dallas
    (39.7392, -104.9903),  # Denver
    (47.6062, -122.3321),  # Seattle
)
#: A handful of places outside NWS coverage, far apart (repeated by `world-hot`): Seoul, Tokyo,
#: Munich, Sao Paulo, Sydney.
WORLD_HOT_LOCATIONS: Final = (
    (37.566, 126.9784),
    (35.6895, 139.6917),
    (48.1374, 11.5755),
    (-23.5475, -46.6361),
    (-33.8688, 151.2093),
)
#: Names `locate-hot` repeats, in several scripts (the fake Open-Meteo knows them all).
HOT_NAMES: Final = ("서울", "東京", "München", "Springfield", "Paris")
#: `locate-cold` spells every new name this many ways (as typed: case, spaces), like `cold`'s
#: coordinates per grid cell: one cache entry serves them all.
COLD_SPELLINGS_PER_NAME: Final = 4
#: `world-cold` asks this many coordinates inside each 0.01-degree cell (Open-Meteo's cache key).
WORLD_COLD_CALLS_PER_CELL: Final = 4
#: Europe and western Asia, far from every region NWS may cover (lat, lon ranges).
_WORLD_COLD_AREA: Final = ((35.0, 60.0), (0.0, 60.0))
#: The 50 states and DC, cycled by `alerts`.
STATES: Final = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
)  # fmt: skip
#: `cold` asks for this many different coordinates inside each grid cell.
COLD_CALLS_PER_GRID: Final = 4
#: Contiguous US, where the fake NWS serves a grid for every coordinate (lat, lon ranges).
_COLD_AREA: Final = ((25.0, 49.0), (-124.0, -67.0))
#: `mixed` repeats this pattern: half hot forecasts, a quarter cold forecasts, a quarter alerts.
_MIXED_PATTERN: Final[tuple[Workload, ...]] = ("hot", "alerts", "hot", "cold")
#: 4-decimal steps (NWS precision) per grid cell side; coordinates keep a margin from the edges.
_TICKS_PER_CELL: Final = 10_000 // CELLS_PER_DEGREE
_EDGE_TICKS: Final = 5

ECHO_TOOL: Final = "echo"
LOCATE_TOOL: Final = "find_location"
FORECAST_TOOL: Final = "get_forecast"
ALERTS_TOOL: Final = "get_alerts"
CONDITIONS_TOOL: Final = "get_current_conditions"
HOURLY_TOOL: Final = "get_hourly_forecast"
POINT_ALERTS_TOOL: Final = "get_alerts_for_point"
#: The point tools, in the order the point workloads take them.
POINT_TOOLS: Final = (CONDITIONS_TOOL, HOURLY_TOOL, POINT_ALERTS_TOOL)
#: Tools whose answers are cached per grid cell (after a point lookup).
_GRID_TOOLS: Final = frozenset({FORECAST_TOOL, CONDITIONS_TOOL, HOURLY_TOOL})


@dataclass(frozen=True)
class Call:
    """One tool call of a plan."""

    tool: str
    arguments: dict[str, Any]

    def to_json(self) -> list[Any]:
        """Compact form for the plan file."""
        return [self.tool, self.arguments]


def forecast(lat: float, lon: float) -> Call:
    """A get_forecast call."""
    return Call(FORECAST_TOOL, {"latitude": lat, "longitude": lon})


def hot_calls() -> Iterator[Call]:
    """The hot locations, round-robin, forever."""
    for lat, lon in itertools.cycle(HOT_LOCATIONS):
        yield forecast(lat, lon)


def alert_calls() -> Iterator[Call]:
    """The states in order, forever."""
    for state in itertools.cycle(STATES):
        yield Call(ALERTS_TOOL, {"state": state})


def cold_coordinates(count: int, rng: random.Random) -> list[tuple[float, float]]:
    """`count` distinct coordinates, COLD_CALLS_PER_GRID per grid cell, in random order."""
    (lat_min, lat_max), (lon_min, lon_max) = _COLD_AREA
    cells: set[tuple[int, int]] = set()
    needed = -(-count // COLD_CALLS_PER_GRID)
    while len(cells) < needed:
        cells.add(
            (
                rng.randrange(int(lat_min * CELLS_PER_DEGREE), int(lat_max * CELLS_PER_DEGREE)),
                rng.randrange(int(lon_min * CELLS_PER_DEGREE), int(lon_max * CELLS_PER_DEGREE)),
            )
        )
    points: list[tuple[float, float]] = []
    for cell_lat, cell_lon in sorted(cells):
        offsets = rng.sample(range(_EDGE_TICKS, _TICKS_PER_CELL - _EDGE_TICKS), COLD_CALLS_PER_GRID * 2)
        for lat_ticks, lon_ticks in zip(offsets[::2], offsets[1::2], strict=True):
            lat = round(cell_lat / CELLS_PER_DEGREE + lat_ticks / 10_000, 4)
            lon = round(cell_lon / CELLS_PER_DEGREE + lon_ticks / 10_000, 4)
            points.append((lat, lon))
    rng.shuffle(points)
    return points[:count]


def cold_calls(count: int, rng: random.Random) -> Iterator[Call]:
    """Every call a coordinate not asked before; nearby ones share a grid cell."""
    for lat, lon in cold_coordinates(count, rng):
        yield forecast(lat, lon)


def point_hot_calls() -> Iterator[Call]:
    """The hot locations, round-robin, each asked with every point tool in turn, forever."""
    for lat, lon in itertools.cycle(HOT_LOCATIONS):
        for tool in POINT_TOOLS:
            yield Call(tool, {"latitude": lat, "longitude": lon})


def point_cold_calls(count: int, rng: random.Random) -> Iterator[Call]:
    """Every call a coordinate not asked before, the point tools in turn."""
    for index, (lat, lon) in enumerate(cold_coordinates(count, rng)):
        yield Call(POINT_TOOLS[index % len(POINT_TOOLS)], {"latitude": lat, "longitude": lon})


def locate_hot_calls() -> Iterator[Call]:
    """The hot names, round-robin, forever."""
    for name in itertools.cycle(HOT_NAMES):
        yield Call(LOCATE_TOOL, {"query": name})


def locate_cold_calls(count: int, rng: random.Random) -> Iterator[Call]:
    """A name never asked before every COLD_SPELLINGS_PER_NAME calls, spelled differently each time
    (generated places the fake Open-Meteo finds: "Benchtown 1234"), in random order."""
    numbers = rng.sample(range(10_000, 99_999), -(-count // COLD_SPELLINGS_PER_NAME))
    spellings = [
        spelling
        for number in numbers
        for spelling in (
            f"Benchtown {number}",
            f"benchtown {number}",
            f"BENCHTOWN {number}",
            f"  Benchtown   {number} ",
        )[:COLD_SPELLINGS_PER_NAME]
    ]
    rng.shuffle(spellings)
    for name in spellings[:count]:
        yield Call(LOCATE_TOOL, {"query": name})


def world_hot_calls() -> Iterator[Call]:
    """The hot places outside NWS coverage, round-robin, forever."""
    for lat, lon in itertools.cycle(WORLD_HOT_LOCATIONS):
        yield forecast(lat, lon)


def world_cold_calls(count: int, rng: random.Random) -> Iterator[Call]:
    """Every call a coordinate outside NWS coverage not asked before, WORLD_COLD_CALLS_PER_CELL of
    them in each 0.01-degree cell (nearby points: one Open-Meteo request between them)."""
    (lat_min, lat_max), (lon_min, lon_max) = _WORLD_COLD_AREA
    cells: set[tuple[int, int]] = set()
    while len(cells) < -(-count // WORLD_COLD_CALLS_PER_CELL):
        cells.add(
            (
                rng.randrange(int(lat_min * 100), int(lat_max * 100)),
                rng.randrange(int(lon_min * 100), int(lon_max * 100)),
            )
        )
    points = []
    for cell_lat, cell_lon in sorted(cells):
        # Up to 0.004 degree from the cell's centre (4 decimals): all round to the same 0.01 degree.
        for offset in rng.sample(range(-40, 40), WORLD_COLD_CALLS_PER_CELL):
            points.append(
                (round(cell_lat / 100 + offset / 10_000, 4), round(cell_lon / 100 - offset / 10_000, 4))
            )
    rng.shuffle(points)
    for lat, lon in points[:count]:
        yield forecast(lat, lon)


def build_plan(workload: Workload, calls: int, *, seed: int = 6) -> list[Call]:
    """The calls of one workload run, the same for the same arguments (cached and baseline alike)."""
    rng = random.Random(seed)
    if workload == "hot":
        return list(itertools.islice(hot_calls(), calls))
    if workload == "cold":
        return list(cold_calls(calls, rng))
    if workload == "alerts":
        return list(itertools.islice(alert_calls(), calls))
    if workload == "point-hot":
        return list(itertools.islice(point_hot_calls(), calls))
    if workload == "point-cold":
        return list(point_cold_calls(calls, rng))
    if workload == "locate-hot":
        return list(itertools.islice(locate_hot_calls(), calls))
    if workload == "locate-cold":
        return list(locate_cold_calls(calls, rng))
    if workload == "world-hot":
        return list(itertools.islice(world_hot_calls(), calls))
    if workload == "world-cold":
        return list(world_cold_calls(calls, rng))
    if workload == "floor":
        return [Call(ECHO_TOOL, {"text": "ping"})] * calls
    if workload == "mixed":
        kinds = list(itertools.islice(itertools.cycle(_MIXED_PATTERN), calls))
        sources = {
            "hot": hot_calls(),
            "alerts": alert_calls(),
            "cold": cold_calls(kinds.count("cold"), rng),
        }
        return [next(sources[kind]) for kind in kinds]
    raise ValueError(f"unknown workload {workload!r}")


def distinct_grids(plan: list[Call]) -> int:
    """How many NWS grid cells the plan's grid-based calls (forecasts, hourly forecasts, current
    conditions) fall into (the cache's unit for forecasts and station lists)."""
    grids = {
        grid_for(call.arguments["latitude"], call.arguments["longitude"])
        for call in plan
        if call.tool in _GRID_TOOLS
    }
    return len(grids - {None})


def distinct_open_meteo_keys(plan: list[Call]) -> int:
    """How many Open-Meteo cache entries the plan needs: place names (as the cache folds them) and
    0.01-degree cells of the forecasts outside the fake NWS's coverage."""
    keys: set[str] = set()
    for call in plan:
        if call.tool == LOCATE_TOOL:
            keys.add("name:" + query_key(call.arguments["query"]))
        elif call.tool in _GRID_TOOLS:
            lat, lon = call.arguments["latitude"], call.arguments["longitude"]
            if grid_for(lat, lon) is None:
                keys.add("point:{:.2f},{:.2f}".format(*grid_key(lat, lon)))
    return len(keys)


def distinct_points(plan: list[Call]) -> int:
    """How many different coordinates the plan asks for (the cache's unit for points and point alerts)."""
    located = [call.arguments for call in plan if "latitude" in call.arguments]
    return len({(arguments["latitude"], arguments["longitude"]) for arguments in located})


def distinct_areas(plan: list[Call]) -> int:
    """How many different alert areas the plan asks for."""
    return len({call.arguments["state"] for call in plan if call.tool == ALERTS_TOOL})
