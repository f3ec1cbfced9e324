"""What the fake knows: its coverage, grid cells, fixture points, alert areas and stations.

Tests and the benchmark pick coordinates from here; the documents the fake serves are built from it
(`fakes.nws.documents`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# --- fixture locations (latitude, longitude) ---------------------------------------------------------
#: The NWS documentation's own example point: grid TOP/32,81, nearest place Linn, KS.
TOPEKA = (39.7456, -97.0892)
#: A second point in the same grid cell as TOPEKA (coordinates differ, cache entry is shared).
TOPEKA_NEIGHBOUR = (39.7461, -97.0881)
DENVER = (39.7392, -104.9903)
#: Inside coverage, but NWS sends explicit nulls everywhere they are allowed (place, wind, PoP...).
NULLS_POINT = (44.0805, -103.231)
#: Offshore point NWS knows but has no forecast grid for (gridId/forecast null).
NO_GRID_POINT = (29.0, -88.0)
#: Outside coverage: 404 InvalidPoint (and 400 from /alerts/active?point=).
LONDON = (51.5072, -0.1276)
#: Open Atlantic: outside coverage, but /alerts/active?point= answers an empty collection.
MID_ATLANTIC = (30.0, -40.0)
#: Either side of the coverage's northern edge (50 degrees): one grid cell inside, and Canada just
#: beyond it, where NWS answers 404 InvalidPoint (and 400 from /alerts/active?point=).
SOUTH_OF_BORDER = (49.99, -100.0)
NORTH_OF_BORDER = (50.01, -100.0)
#: Its nearest stations: a stale observation, then one with nulls everywhere, then a fresh one (KSLN).
FALLBACK_POINT = (38.8, -97.6)
#: Its nearest station is missing (404); the next one (KDDC) is fresh.
MISSING_STATION_POINT = (37.76, -99.97)
#: Stale, all-null, missing, and only then a fresh station (4th: never tried).
NO_OBSERVATION_POINT = (36.5, -100.5)
#: NWS lists no stations for its grid.
NO_STATIONS_POINT = (35.5, -95.5)

#: Alert areas the real endpoint accepts; anything else is a 400.
ALERT_AREAS = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
        "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
        "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
        "AS", "GU", "MP", "PR", "VI", "PW", "FM", "MH",
        "AM", "AN", "GM", "LC", "LE", "LH", "LM", "LO", "LS", "PH", "PK", "PM", "PS", "PZ", "SL",
    }
)  # fmt: skip
#: Areas with fixture alerts; every other valid area has none (an empty FeatureCollection).
KS_ALERTS = 2  # a Tornado Warning with every field, a Wind Advisory with null instruction/ends/headline
TX_ALERTS = 30  # more than the server shows at once
GM_ALERTS = 1  # a marine Small Craft Advisory

#: Every coordinate inside these boxes has a grid cell: (lat_min, lat_max, lon_min, lon_max, office).
COVERAGE = (
    (24.0, 50.0, -125.0, -101.0, "BOU"),
    (24.0, 50.0, -101.0, -66.0, "TOP"),
    (51.0, 72.0, -180.0, -129.0, "AFG"),
    (18.0, 23.0, -161.0, -154.0, "HFO"),
    (17.0, 19.0, -68.0, -64.0, "SJU"),
    (13.0, 14.0, 144.0, 146.0, "GUM"),
)
#: Grid cells per degree of latitude and of longitude.
CELLS_PER_DEGREE = 40
#: Periods of an hourly forecast (what NWS publishes: 6.5 days).
HOURLY_PERIODS = 156
#: Age of a fresh fixture observation, and of a stale one.
FRESH_OBSERVATION_AGE = timedelta(minutes=25)
STALE_OBSERVATION_AGE = timedelta(hours=5)
BASE_TIME = datetime(2025, 6, 3, 18, 0, tzinfo=UTC)
#: JSON-LD context at the top of every GeoJSON document NWS sends.
GEOJSON_CONTEXT = ["https://geojson.org/geojson-ld/geojson-context.jsonld", {"@version": "1.1"}]


def grid_for(lat: float, lon: float) -> tuple[str, int, int] | None:
    """(office, gridX, gridY) of any coordinate inside the fake's coverage, else None.

    Cells are 1/CELLS_PER_DEGREE degree (~2.5 km, like NWS grids): nearby coordinates share a cell.
    """
    for lat_min, lat_max, lon_min, lon_max, office in COVERAGE:
        if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
            grid_x = math.floor((lon + 180) * CELLS_PER_DEGREE)
            return office, grid_x, math.floor((lat + 90) * CELLS_PER_DEGREE)
    return None


# --- observation stations ------------------------------------------------------------------------
@dataclass(frozen=True)
class FixtureStation:
    """A station of the fake; `kind` picks its latest observation."""

    id: str
    name: str
    latitude: float
    longitude: float
    kind: str  # hot | cold | mild | stale | nulls | missing


STATIONS = {
    station.id: station
    for station in (
        FixtureStation("KCNK", "Concordia, Blosser Municipal Airport", 39.5514, -97.6508, "hot"),
        FixtureStation("KMYZ", "Marysville Municipal Airport", 39.8553, -96.6306, "mild"),
        FixtureStation("KTOP", "Topeka, Philip Billard Municipal Airport", 39.0725, -95.6303, "mild"),
        FixtureStation("KDEN", "Denver International Airport", 39.8466, -104.6562, "cold"),
        FixtureStation("KBKF", "Aurora, Buckley Space Force Base", 39.7017, -104.7517, "mild"),
        FixtureStation("KOLD", "Oldtown Automated Station", 38.81, -97.62, "stale"),
        FixtureStation("KNUL", "Nullville Automated Station", 38.75, -97.55, "nulls"),
        FixtureStation("KSLN", "Salina Regional Airport", 38.7911, -97.6522, "mild"),
        FixtureStation("KGON", "Decommissioned Station", 37.77, -99.96, "missing"),
        FixtureStation("KDDC", "Dodge City Regional Airport", 37.7634, -99.9656, "mild"),
    )
}
#: Stations near the fixture grids, nearest first; every other grid gets three generated ones.
GRID_STATIONS: dict[tuple[str, int, int], tuple[str, ...]] = {
    ("TOP", 32, 81): ("KCNK", "KMYZ", "KTOP"),
}


def _fixture_grid(point: tuple[float, float]) -> tuple[str, int, int]:
    grid = grid_for(*point)
    if grid is None:
        raise ValueError(f"fixture point {point} is outside the fake's coverage")
    return grid


for _point, _ids in (
    (DENVER, ("KDEN", "KBKF")),
    (FALLBACK_POINT, ("KOLD", "KNUL", "KSLN")),
    (MISSING_STATION_POINT, ("KGON", "KDDC")),
    (NO_OBSERVATION_POINT, ("KOLD", "KNUL", "KGON", "KTOP")),
    (NO_STATIONS_POINT, ()),
):
    GRID_STATIONS[_fixture_grid(_point)] = _ids


#: Generated ids are G + 4 digits of x cell + 3 digits of y cell minus this (8 characters, like
#: the longest real station ids); y cells of the fake's coverage are 824 to 1296.
_GENERATED_Y_OFFSET = 700


def _generated_id(cell_x: int, cell_y: int) -> str:
    return f"G{cell_x:04d}{cell_y - _GENERATED_Y_OFFSET:03d}"


def stations_for(office: str, grid_x: int, grid_y: int) -> list[FixtureStation]:
    """The stations near a grid cell, nearest first (generated ones are 'mild' and shared by
    the 5x5 grid cells around them, as real stations are)."""
    ids = GRID_STATIONS.get((office, grid_x, grid_y))
    if ids is not None:
        return [STATIONS[station_id] for station_id in ids]
    cell_x, cell_y = grid_x // 5, grid_y // 5
    latitude = (cell_y * 5 + 2.5) / CELLS_PER_DEGREE - 90
    longitude = (cell_x * 5 + 2.5) / CELLS_PER_DEGREE - 180
    return [
        FixtureStation(
            _generated_id(cell_x + dx, cell_y + dy),
            f"Generated station {cell_x + dx}/{cell_y + dy}",
            latitude + dy * 5 / CELLS_PER_DEGREE,
            longitude + dx * 5 / CELLS_PER_DEGREE,
            "mild",
        )
        for dx, dy in ((0, 0), (1, 0), (0, 1))
    ]


def station(station_id: str) -> FixtureStation | None:
    """A fixture or generated station by id (None: the fake has never heard of it)."""
    if station_id in STATIONS:
        return STATIONS[station_id]
    match = re.fullmatch(r"G(\d{4})(\d{3})", station_id)
    if match is None:
        return None
    cell_x, cell_y = int(match.group(1)), int(match.group(2)) + _GENERATED_Y_OFFSET
    return FixtureStation(
        station_id,
        f"Generated station {cell_x}/{cell_y}",
        (cell_y * 5 + 2.5) / CELLS_PER_DEGREE - 90,
        (cell_x * 5 + 2.5) / CELLS_PER_DEGREE - 180,
        "mild",
    )


#: Observation values by kind, SI as NWS sends them: (description, degC temperature, degC dew point,
#: % humidity, wind from degrees, wind km/h, gust km/h, Pa, visibility m, heat index degC, wind chill degC).
OBSERVATION_VALUES: dict[str, tuple[Any, ...]] = {
    "hot": ("Mostly Sunny", 32.2, 17.2, 41.2, 190, 18.36, 33.48, 101320, 16090, 33.3, None),
    "cold": ("Light Snow", -6.1, -12.2, 62.0, 340, 24.12, None, 102030, 9660, None, -12.8),
    "mild": ("Partly Cloudy", 18.3, 10.0, 58.0, 200, 9.36, None, 101590, 16090, None, None),
    "stale": ("Clear", 15.0, 8.0, 63.0, 180, 5.4, None, 101500, 16090, None, None),
    "nulls": ("", None, None, None, None, None, None, None, None, None, None),
}
