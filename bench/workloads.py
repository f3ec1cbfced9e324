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

Workload = Literal["hot", "cold", "alerts", "mixed", "point-hot", "point-cold", "floor"]
#: The weather workloads, in report order; "floor" is the echo tool of the framework floor.
#: `point-hot` and `point-cold` are `hot` and `cold` for the three point tools (current conditions,
#: hourly forecast, alerts for a point), taken in turn.
WEATHER_WORKLOADS: Final[tuple[Workload, ...]] = ("hot", "cold", "alerts", "mixed", "point-hot", "point-cold")

#: A handful of US locations in distinct grid cells (repeated by `hot`).
HOT_LOCATIONS: Final = (
    (39.0997, -94.5786),  # Kansas City
    (41.8781, -87.6298),  # Chicago
    (32.7767, -96.797),  # Dallas
    (39.7392, -104.9903),  # Denver
    (47.6062, -122.3321),  # Seattle
)
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
    """How many grid cells the plan's grid-based calls (forecasts, hourly forecasts, current
    conditions) fall into (the cache's unit for forecasts and station lists)."""
    return len(
        {
            grid_for(call.arguments["latitude"], call.arguments["longitude"])
            for call in plan
            if call.tool in _GRID_TOOLS
        }
    )


def distinct_points(plan: list[Call]) -> int:
    """How many different coordinates the plan asks for (the cache's unit for points and point alerts)."""
    located = [call.arguments for call in plan if "latitude" in call.arguments]
    return len({(arguments["latitude"], arguments["longitude"]) for arguments in located})


def distinct_areas(plan: list[Call]) -> int:
    """How many different alert areas the plan asks for."""
    return len({call.arguments["state"] for call in plan if call.tool == ALERTS_TOOL})
