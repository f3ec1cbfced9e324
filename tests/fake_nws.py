"""A fake National Weather Service API: a real HTTP server on loopback for tests and benchmarks.

Responses follow the shapes documented for api.weather.gov (GeoJSON features, RFC 7807
problem+json errors, Cache-Control max-age), including its awkward parts: explicit nulls, a 301
for coordinates with more than 4 decimals, 404 InvalidPoint outside coverage, 400 for unknown alert
areas, 403 without a User-Agent. Current conditions come from observation stations near each grid
cell (`/gridpoints/{office}/{x},{y}/stations`, nearest first) and their latest observations
(`/stations/{id}/observations/latest`), whose values are SI quantities with WMO unit codes; some
stations answer with an observation hours old, with nulls everywhere, or 404. Hourly forecasts
publish 156 one-hour periods; `/alerts/active?point=lat,lon` answers the alerts of the area that
contains the point, and 400 outside coverage.

In tests::

    with FakeNws() as nws:                # starts on 127.0.0.1 with a free port, in a thread
        nws.base_url                      # -> "http://127.0.0.1:PORT"
        nws.fail("/points/", 503, times=2)   # next 2 matching requests answer 503, then normal
        nws.slow("/alerts/", seconds=5)      # next matching request waits 5 s
        nws.malformed("/gridpoints/")        # next matching request is 200 with broken JSON
        nws.drop("/alerts/", times=3)        # next 3 matching requests lose the connection mid-body
        nws.latency_ms = 150                 # every request waits this long
        nws.count("/points/")                # requests received whose path starts with this
        nws.peak_in_flight                   # most requests it was answering at once

Standalone (for the benchmark): ``python -m tests.fake_nws --port 8081 --latency-ms 150``;
``GET /__fake__/stats`` returns request counts by path and ``POST /__fake__/reset`` clears them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import math
import re
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.loopback_server import LoopbackServer

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
_BASE_TIME = datetime(2025, 6, 3, 18, 0, tzinfo=UTC)
_DECIMALS_RE = re.compile(r"^-?\d+(?:\.(\d+))?$")
_CONTEXT = ["https://geojson.org/geojson-ld/geojson-context.jsonld", {"@version": "1.1"}]


def _problem(request: Request, status: int, title: str, detail: str, kind: str, **extra: Any) -> JSONResponse:
    body = {
        "correlationId": uuid.uuid4().hex[:8],
        "title": title,
        "type": f"https://api.weather.gov/problems/{kind}",
        "status": status,
        "detail": detail,
        "instance": f"https://api.weather.gov/requests/{uuid.uuid4().hex[:8]}",
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


_STATUS_PROBLEMS = {
    400: ("Bad Request", "BadRequest"),
    403: ("Forbidden", "Forbidden"),
    404: ("Not Found", "NotFound"),
    429: ("Too Many Requests", "TooManyRequests"),
    500: ("Unexpected Problem", "UnexpectedProblem"),
    502: ("Bad Gateway", "BadGateway"),
    503: ("Service Unavailable", "ServiceUnavailable"),
    504: ("Gateway Timeout", "GatewayTimeout"),
}


@dataclass
class RecordedRequest:
    """One request as the fake saw it."""

    method: str
    path: str
    user_agent: str | None
    accept: str | None
    status: int = 0


@dataclass
class _Rule:
    prefix: str
    remaining: int
    status: int | None = None  # problem response with this status
    delay: float = 0.0
    body: bytes | None = None  # raw 200 body (malformed responses)
    json_body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # start a response, then drop the connection mid-body


@dataclass(frozen=True)
class Fault:
    """A standing fault (until replaced or cleared): every `every`-th request misbehaves this way.

    Set with `FakeNws.set_fault(...)` or, on a standalone fake, `POST /__fake__/fault` with the
    fields as JSON (an empty object clears it).
    """

    every: int = 1
    status: int | None = None  # problem response with this status
    retry_after: int | None = None  # with status: a Retry-After header
    delay: float = 0.0  # seconds before answering (past the client's read timeout: a timeout)
    drop: bool = False  # the connection is lost mid-response

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError("every must be at least 1")


def _four_decimals(value: float) -> str:
    return f"{round(value, 4):.4f}".rstrip("0").rstrip(".")


def grid_for(lat: float, lon: float) -> tuple[str, int, int] | None:
    """(office, gridX, gridY) of any coordinate inside the fake's coverage, else None.

    Cells are 1/CELLS_PER_DEGREE degree (~2.5 km, like NWS grids): nearby coordinates share a cell.
    """
    for lat_min, lat_max, lon_min, lon_max, office in COVERAGE:
        if lat_min <= lat <= lat_max and lon_min <= lon <= lon_max:
            grid_x = math.floor((lon + 180) * CELLS_PER_DEGREE)
            return office, grid_x, math.floor((lat + 90) * CELLS_PER_DEGREE)
    return None


def _point_feature(base: str, lat: float, lon: float, raw: str) -> dict[str, Any] | None:
    if (lat, lon) == NO_GRID_POINT:
        grid = None
    else:
        grid = grid_for(lat, lon)
        if grid is None:
            return None
    nulls = (lat, lon) == NULLS_POINT
    city, state = {TOPEKA: ("Linn", "KS"), DENVER: ("Denver", "CO")}.get((lat, lon), ("Springfield", "KS"))
    office, grid_x, grid_y = grid if grid else (None, None, None)
    if (lat, lon) in (TOPEKA, TOPEKA_NEIGHBOUR):
        office, grid_x, grid_y = "TOP", 32, 81
    forecast = f"{base}/gridpoints/{office}/{grid_x},{grid_y}/forecast" if office else None
    return {
        "@context": _CONTEXT,
        "id": f"{base}/points/{raw}",
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "@id": f"{base}/points/{raw}",
            "@type": "wx:Point",
            "cwa": office,
            "forecastOffice": f"{base}/offices/{office}" if office else None,
            "gridId": office,
            "gridX": grid_x,
            "gridY": grid_y,
            "forecast": forecast,
            "forecastHourly": f"{forecast}/hourly" if forecast else None,
            "forecastGridData": f"{base}/gridpoints/{office}/{grid_x},{grid_y}" if office else None,
            "observationStations": f"{base}/gridpoints/{office}/{grid_x},{grid_y}/stations"
            if office
            else None,
            "relativeLocation": {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon + 0.01, lat + 0.01]},
                "properties": {
                    "city": None if nulls else city,
                    "state": None if nulls else state,
                    "distance": {"unitCode": "wmoUnit:m", "value": 1234.5},
                    "bearing": {"unitCode": "wmoUnit:degree_(angle)", "value": 180},
                },
            },
            "forecastZone": f"{base}/zones/forecast/KSZ009",
            "county": f"{base}/zones/county/KSC201",
            "fireWeatherZone": f"{base}/zones/fire/KSZ009",
            "timeZone": None if nulls else "America/Chicago",
            "radarStation": None if nulls else "KTWX",
        },
    }


_DAY_NAMES = ["Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday"]


def _period(number: int, *, nulls: bool) -> dict[str, Any]:
    start = _BASE_TIME + timedelta(hours=12 * (number - 1))
    daytime = number % 2 == 0
    day = _DAY_NAMES[number // 2]
    name = "Tonight" if number == 1 else (day if daytime else f"{day} Night")
    temperature = 78 + number if daytime else 55 + number
    pop = None if number % 3 == 0 else 10 * (number % 7)
    short = "Chance Showers And Thunderstorms" if pop and pop >= 30 else "Mostly Clear"
    period: dict[str, Any] = {
        "number": number,
        "name": name,
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(hours=12)).isoformat(),
        "isDaytime": daytime,
        "temperature": temperature,
        "temperatureUnit": "F",
        "temperatureTrend": None,
        "probabilityOfPrecipitation": {"unitCode": "wmoUnit:percent", "value": pop},
        "windSpeed": f"{5 + number % 4} to {10 + number % 4} mph",
        "windDirection": ["S", "SW", "NW", "N"][number % 4],
        "icon": f"https://api.weather.gov/icons/land/night/few?size=medium&n={number}",
        "shortForecast": short,
        "detailedForecast": f"{short}, with a {'high' if daytime else 'low'} around {temperature}.",
    }
    if nulls:
        period.update(
            {
                "name": None if number == 2 else name,
                "temperatureUnit": None,
                "probabilityOfPrecipitation": {"unitCode": "wmoUnit:percent", "value": None},
                "windSpeed": None,
                "windDirection": None,
                "shortForecast": None if number == 1 else "Sunny",
                "detailedForecast": "",
            }
        )
    return period


def _forecast_feature(base: str, office: str, grid_x: int, grid_y: int, *, nulls: bool) -> dict[str, Any]:
    return {
        "@context": _CONTEXT,
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[-97.1, 39.7], [-97.1, 39.8], [-97.0, 39.8]]]},
        "properties": {
            "units": "us",
            "forecastGenerator": "BaselineForecastGenerator",
            "generatedAt": _BASE_TIME.isoformat(),
            "updateTime": None if nulls else (_BASE_TIME - timedelta(hours=1)).isoformat(),
            "validTimes": f"{_BASE_TIME.isoformat()}/P7DT6H",
            "elevation": {"unitCode": "wmoUnit:m", "value": 441.96},
            "periods": [_period(number, nulls=nulls) for number in range(1, 15)],
        },
    }


def _alert(area: str, index: int, *, event: str, complete: bool) -> dict[str, Any]:
    sent = _BASE_TIME - timedelta(minutes=10 * index)
    alert_id = f"urn:oid:2.49.0.1.840.0.{area.lower()}{index}"
    properties: dict[str, Any] = {
        "@id": f"https://api.weather.gov/alerts/{alert_id}",
        "@type": "wx:Alert",
        "id": alert_id,
        "areaDesc": f"County {index}; County {index + 1}",
        "geocode": {"SAME": ["020201"], "UGC": [f"{area}Z00{index % 10}"]},
        "affectedZones": [],
        "references": [],
        "sent": sent.isoformat(),
        "effective": sent.isoformat(),
        "onset": sent.isoformat(),
        "expires": (sent + timedelta(hours=3)).isoformat(),
        "ends": (sent + timedelta(hours=6)).isoformat(),
        "status": "Actual",
        "messageType": "Alert",
        "category": "Met",
        "severity": "Extreme" if event == "Tornado Warning" else "Moderate",
        "certainty": "Observed" if event == "Tornado Warning" else "Likely",
        "urgency": "Immediate" if event == "Tornado Warning" else "Expected",
        "event": event,
        "sender": "w-nws.webmaster@noaa.gov",
        "senderName": f"NWS office for {area}",
        "headline": f"{event} issued {sent:%B %d at %I:%M%p} by NWS",
        "description": f"* WHAT...{event} number {index}.\n\n* WHERE...County {index}.",
        "instruction": "Take shelter now in a basement or an interior room on the lowest floor.",
        "response": "Shelter" if event == "Tornado Warning" else "Prepare",
        "parameters": {"NWSheadline": [event.upper()]},
    }
    if not complete:
        properties.update({"instruction": None, "ends": None, "headline": None, "onset": None})
    return {"id": properties["@id"], "type": "Feature", "geometry": None, "properties": properties}


def _alerts_for(area: str) -> list[dict[str, Any]]:
    if area == "KS":
        return [
            _alert("KS", 1, event="Tornado Warning", complete=True),
            _alert("KS", 2, event="Wind Advisory", complete=False),
        ]
    if area == "TX":
        return [_alert("TX", i, event="Heat Advisory", complete=True) for i in range(1, TX_ALERTS + 1)]
    if area == "GM":
        return [_alert("GM", 1, event="Small Craft Advisory", complete=False)]
    return []


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


def _quantity(unit: str, value: float | None) -> dict[str, Any]:
    return {
        "unitCode": f"wmoUnit:{unit}",
        "value": value,
        "qualityControl": "V" if value is not None else "Z",
    }


#: Observation values by kind, SI as NWS sends them: (description, degC temperature, degC dew point,
#: % humidity, wind from degrees, wind km/h, gust km/h, Pa, visibility m, heat index degC, wind chill degC).
OBSERVATION_VALUES: dict[str, tuple[Any, ...]] = {
    "hot": ("Mostly Sunny", 32.2, 17.2, 41.2, 190, 18.36, 33.48, 101320, 16090, 33.3, None),
    "cold": ("Light Snow", -6.1, -12.2, 62.0, 340, 24.12, None, 102030, 9660, None, -12.8),
    "mild": ("Partly Cloudy", 18.3, 10.0, 58.0, 200, 9.36, None, 101590, 16090, None, None),
    "stale": ("Clear", 15.0, 8.0, 63.0, 180, 5.4, None, 101500, 16090, None, None),
    "nulls": ("", None, None, None, None, None, None, None, None, None, None),
}


def observation_feature(base: str, fixture: FixtureStation, now: datetime) -> dict[str, Any]:
    """The latest observation of a fixture station, observed relative to `now`."""
    age = STALE_OBSERVATION_AGE if fixture.kind == "stale" else FRESH_OBSERVATION_AGE
    observed = (now - age).replace(second=0, microsecond=0)
    description, temp, dew, humidity, direction, speed, gust, pressure, visibility, heat, chill = (
        OBSERVATION_VALUES[fixture.kind]
    )
    station_url = f"{base}/stations/{fixture.id}"
    return {
        "@context": _CONTEXT,
        "id": f"{station_url}/observations/{observed.isoformat()}",
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [fixture.longitude, fixture.latitude]},
        "properties": {
            "@id": f"{station_url}/observations/{observed.isoformat()}",
            "@type": "wx:ObservationStation",
            "elevation": _quantity("m", 270),
            "station": station_url,
            "stationId": fixture.id,
            "stationName": fixture.name,
            "timestamp": observed.isoformat(),
            "rawMessage": "",
            "textDescription": description,
            "icon": None,
            "presentWeather": [],
            "temperature": _quantity("degC", temp),
            "dewpoint": _quantity("degC", dew),
            "windDirection": _quantity("degree_(angle)", direction),
            "windSpeed": _quantity("km_h-1", speed),
            "windGust": _quantity("km_h-1", gust),
            "barometricPressure": _quantity("Pa", pressure),
            "seaLevelPressure": _quantity("Pa", pressure + 30 if pressure is not None else None),
            "visibility": _quantity("m", visibility),
            "maxTemperatureLast24Hours": _quantity("degC", None),
            "minTemperatureLast24Hours": _quantity("degC", None),
            "precipitationLastHour": _quantity("mm", None),
            "precipitationLast3Hours": _quantity("mm", None),
            "precipitationLast6Hours": _quantity("mm", None),
            "relativeHumidity": _quantity("percent", humidity),
            "windChill": _quantity("degC", chill),
            "heatIndex": _quantity("degC", heat),
            "cloudLayers": [],
        },
    }


def _stations_feature(base: str, stations: list[FixtureStation]) -> dict[str, Any]:
    features = [
        {
            "id": f"{base}/stations/{item.id}",
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [item.longitude, item.latitude]},
            "properties": {
                "@id": f"{base}/stations/{item.id}",
                "@type": "wx:ObservationStation",
                "elevation": _quantity("m", 300),
                "stationIdentifier": item.id,
                "name": item.name,
                "timeZone": "America/Chicago",
                "forecast": f"{base}/zones/forecast/KSZ009",
                "county": f"{base}/zones/county/KSC201",
                "fireWeatherZone": f"{base}/zones/fire/KSZ009",
            },
        }
        for item in stations
    ]
    return {
        "@context": _CONTEXT,
        "type": "FeatureCollection",
        "features": features,
        "observationStations": [feature["id"] for feature in features],
    }


# --- hourly forecast -----------------------------------------------------------------------------
_LOCAL_OFFSET = timezone(timedelta(hours=-5))
_POPS = (0, 5, 10, 20, 40, 60)


def _hourly_period(number: int, *, nulls: bool) -> dict[str, Any]:
    start = (_BASE_TIME + timedelta(hours=number - 1)).astimezone(_LOCAL_OFFSET)
    daytime = 6 <= start.hour < 18
    pop = None if number % 10 == 0 else _POPS[number % 6]
    short = "Chance Showers And Thunderstorms" if pop and pop >= 40 else ("Sunny" if daytime else "Clear")
    period: dict[str, Any] = {
        "number": number,
        "name": "",
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(hours=1)).isoformat(),
        "isDaytime": daytime,
        "temperature": 80 - abs(start.hour - 15),
        "temperatureUnit": "F",
        "temperatureTrend": "",
        "probabilityOfPrecipitation": {"unitCode": "wmoUnit:percent", "value": pop},
        "dewpoint": {"unitCode": "wmoUnit:degC", "value": 15.6},
        "relativeHumidity": {"unitCode": "wmoUnit:percent", "value": 55},
        "windSpeed": f"{5 + number % 10} mph",
        "windDirection": ["S", "SSW", "SW", "W"][number % 4],
        "icon": f"https://api.weather.gov/icons/land/day/few?size=small&n={number}",
        "shortForecast": short,
        "detailedForecast": "",
    }
    if nulls:
        period.update(
            {
                "temperatureUnit": None,
                "probabilityOfPrecipitation": {"unitCode": "wmoUnit:percent", "value": None},
                "windSpeed": None,
                "windDirection": None,
                "shortForecast": None if number == 1 else "Sunny",
            }
        )
    return period


def _hourly_feature(office: str, grid_x: int, grid_y: int, *, nulls: bool) -> dict[str, Any]:
    feature = _forecast_feature("", office, grid_x, grid_y, nulls=nulls)
    feature["properties"]["validTimes"] = f"{_BASE_TIME.isoformat()}/P6DT12H"
    feature["properties"]["periods"] = [
        _hourly_period(number, nulls=nulls) for number in range(1, HOURLY_PERIODS + 1)
    ]
    return feature


class FakeNws:
    """The fake API with its knobs; serve it with `start()`/`stop()` or as a context manager."""

    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        forecast_max_age: int = 900,
        alerts_max_age: int = 30,
        observation_max_age: int = 300,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.latency_ms = latency_ms
        self.forecast_max_age = forecast_max_age
        self.alerts_max_age = alerts_max_age
        self.observation_max_age = observation_max_age
        self._defaults = (latency_ms, forecast_max_age, alerts_max_age, observation_max_age)
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._requests: list[RecordedRequest] = []
        self.in_flight = 0  # requests being answered now (touched only on the fake's event loop)
        self.fault: Fault | None = None
        self._fault_counter = 0
        self.peak_in_flight = 0
        self.app = Starlette(
            routes=[
                Route("/__fake__/stats", self._stats, methods=["GET"]),
                Route("/__fake__/reset", self._reset_endpoint, methods=["POST"]),
                Route("/__fake__/fault", self._fault_endpoint, methods=["POST"]),
                Route("/points/{coords}", self._points, methods=["GET"]),
                Route("/gridpoints/{office}/{grid}/forecast", self._forecast, methods=["GET"]),
                Route("/gridpoints/{office}/{grid}/forecast/hourly", self._hourly, methods=["GET"]),
                Route("/gridpoints/{office}/{grid}/stations", self._stations, methods=["GET"]),
                Route("/stations/{station_id}/observations/latest", self._observation, methods=["GET"]),
                Route("/alerts/active/area/{area}", self._alerts, methods=["GET"]),
                Route("/alerts/active", self._point_alerts, methods=["GET"]),
            ]
        )
        self.app.add_middleware(_Gate, fake=self)
        self._serving = LoopbackServer(
            self.app, name="fake-nws", host=host, port=port, timeout_graceful_shutdown=1, backlog=2048
        )

    # --- knobs -----------------------------------------------------------------------------------
    def fail(self, prefix: str, status: int, *, times: int = 1, retry_after: int | str | None = None) -> None:
        """The next `times` requests whose path starts with `prefix` answer `status` (problem+json)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._add(_Rule(prefix, times, status=status, headers=headers))

    def slow(self, prefix: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` matching requests wait `seconds` before answering normally."""
        self._add(_Rule(prefix, times, delay=seconds))

    def malformed(
        self, prefix: str, *, body: bytes = b'{"type": "Feature", "properties": ', times: int = 1
    ) -> None:
        """The next `times` matching requests answer 200 with `body` (by default, truncated JSON)."""
        self._add(_Rule(prefix, times, body=body))

    def drop(self, prefix: str, *, times: int = 1) -> None:
        """The next `times` matching requests lose their connection halfway through the response."""
        self._add(_Rule(prefix, times, drop=True))

    def respond(self, prefix: str, json_body: Any, *, status: int = 200, times: int = 1) -> None:
        """The next `times` matching requests answer this JSON document with this status."""
        self._add(_Rule(prefix, times, status=status, json_body=json_body))

    def set_fault(self, fault: Fault | None) -> None:
        """Apply a standing fault from now on (None: healthy again)."""
        with self._lock:
            self.fault = fault
            self._fault_counter = 0

    def _fault_now(self) -> Fault | None:
        with self._lock:
            fault = self.fault
            if fault is None:
                return None
            self._fault_counter += 1
            return fault if self._fault_counter % fault.every == 0 else None

    def reset(self) -> None:
        """Forget injected behaviour and recorded requests; latency and max-ages back to the defaults."""
        with self._lock:
            self.fault = None
            self._rules.clear()
            self._requests.clear()
            self.peak_in_flight = self.in_flight
        self.latency_ms, self.forecast_max_age, self.alerts_max_age, self.observation_max_age = self._defaults

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (a copy)."""
        with self._lock:
            return list(self._requests)

    def count(self, prefix: str = "/") -> int:
        """How many requests arrived whose path starts with `prefix`."""
        return sum(1 for request in self.requests if request.path.startswith(prefix))

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _take_rule(self, path: str) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining > 0 and path.startswith(rule.prefix):
                    rule.remaining -= 1
                    return rule
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    # --- serving ---------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """Where the fake listens, e.g. http://127.0.0.1:54321."""
        return self._serving.base_url

    def start(self) -> FakeNws:
        """Serve in a background thread (own event loop) until `stop()`."""
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._serving.stop()

    def serve_until_stopped(self) -> None:
        """Block while the server thread runs (the standalone fake's foreground)."""
        self._serving.wait()

    def __enter__(self) -> FakeNws:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- endpoints -------------------------------------------------------------------------------
    def _base(self, request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    async def _points(self, request: Request) -> Response:
        raw = request.path_params["coords"]
        parts = raw.split(",")
        matches = [_DECIMALS_RE.match(part) for part in parts]
        if len(parts) != 2 or not all(matches):
            error = {"parameter": "path.point", "message": "Does not match the pattern latitude,longitude"}
            return _problem(
                request, 400, "Bad Request", f"Invalid point {raw}", "BadRequest", parameterErrors=[error]
            )
        lat, lon = float(parts[0]), float(parts[1])
        if any(match and match.group(1) and len(match.group(1)) > 4 for match in matches):
            rounded = f"{_four_decimals(lat)},{_four_decimals(lon)}"
            response = _problem(
                request,
                301,
                "Adjusting Precision Of Point Coordinate",
                "The precision of latitude/longitude points is limited to 4 decimal digits for efficiency."
                " The location attribute contains your request mapped to the nearest supported point."
                " If your client supports it, you will be redirected.",
                "AdjustPointPrecision",
            )
            response.headers["Location"] = f"/points/{rounded}"
            return response
        body = _point_body(self._base(request), lat, lon, raw)
        if body is None:
            return _problem(
                request,
                404,
                "Data Unavailable For Requested Point",
                f"Unable to provide data for requested point {raw}",
                "InvalidPoint",
            )
        return _geojson(body, max_age=3600)

    async def _forecast(self, request: Request) -> Response:
        office = request.path_params["office"]
        grid = request.path_params["grid"]
        match = re.fullmatch(r"(\d+),(\d+)", grid)
        if not re.fullmatch(r"[A-Z]{3}", office) or match is None:
            return _problem(request, 404, "Not Found", f"Grid {office}/{grid} not found", "InvalidGrid")
        grid_x, grid_y = int(match.group(1)), int(match.group(2))
        nulls = grid_for(*NULLS_POINT) == (office, grid_x, grid_y)
        body = _forecast_body(self._base(request), office, grid_x, grid_y, nulls)
        return _geojson(body, max_age=self.forecast_max_age)

    async def _hourly(self, request: Request) -> Response:
        grid = _parse_grid(request)
        if grid is None:
            return _problem(request, 404, "Not Found", "Grid not found", "InvalidGrid")
        nulls = grid_for(*NULLS_POINT) == grid
        return _geojson(_hourly_body(nulls), max_age=self.forecast_max_age)

    async def _stations(self, request: Request) -> Response:
        grid = _parse_grid(request)
        if grid is None:
            return _problem(request, 404, "Not Found", "Grid not found", "InvalidGrid")
        return _geojson(_stations_body(self._base(request), *grid), max_age=86400)

    async def _observation(self, request: Request) -> Response:
        station_id = request.path_params["station_id"]
        fixture = station(station_id)
        if fixture is None or fixture.kind == "missing":
            return _problem(request, 404, "Not Found", f"Station {station_id} not found", "NotFound")
        body = observation_feature(self._base(request), fixture, datetime.now(UTC))
        return _geojson(json.dumps(body).encode(), max_age=self.observation_max_age)

    async def _point_alerts(self, request: Request) -> Response:
        raw = request.query_params.get("point", "")
        parts = raw.split(",")
        matches = [_DECIMALS_RE.match(part) for part in parts]
        if (
            len(parts) != 2
            or not all(matches)
            or any(m and m.group(1) and len(m.group(1)) > 4 for m in matches)
        ):
            error = {"parameter": "point", "message": f"Does not match the pattern latitude,longitude: {raw}"}
            return _problem(request, 400, "Bad Request", "Bad Request", "BadRequest", parameterErrors=[error])
        lat, lon = float(parts[0]), float(parts[1])
        if (lat, lon) == NO_GRID_POINT:
            area = "GM"
        elif (lat, lon) == MID_ATLANTIC:
            area = ""
        elif grid_for(lat, lon) is None:
            error = {"parameter": "point", "message": "Point is outside the bounds of the forecast area"}
            return _problem(request, 400, "Bad Request", "Bad Request", "BadRequest", parameterErrors=[error])
        else:
            area = "KS" if (lat, lon) in (TOPEKA, TOPEKA_NEIGHBOUR) else ""
        return _geojson(_alerts_body(area), max_age=self.alerts_max_age)

    async def _alerts(self, request: Request) -> Response:
        area = request.path_params["area"]
        if area not in ALERT_AREAS:
            error = {"parameter": "path.area", "message": f"Does not have a value in the enumeration: {area}"}
            return _problem(request, 400, "Bad Request", "Bad Request", "BadRequest", parameterErrors=[error])
        return _geojson(_alerts_body(area), max_age=self.alerts_max_age)

    async def _stats(self, _request: Request) -> Response:
        counts = Counter(
            request.path for request in self.requests if not request.path.startswith("/__fake__")
        )
        return JSONResponse(
            {"total": sum(counts.values()), "by_path": dict(counts), "peak_in_flight": self.peak_in_flight}
        )

    async def _fault_endpoint(self, request: Request) -> Response:
        fields = await request.json()
        try:
            self.set_fault(Fault(**fields) if fields else None)
        except (TypeError, ValueError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return Response(status_code=204)

    async def _reset_endpoint(self, _request: Request) -> Response:
        self.reset()
        return Response(status_code=204)


# Fixture bodies depend only on their arguments: serialized once, so that the fake spends little
# CPU per request (in the benchmark it shares the machine with the server it stands in front of).
@functools.lru_cache(maxsize=4096)
def _point_body(base: str, lat: float, lon: float, raw: str) -> bytes | None:
    feature = _point_feature(base, lat, lon, raw)
    return None if feature is None else json.dumps(feature).encode()


@functools.lru_cache(maxsize=4096)
def _forecast_body(base: str, office: str, grid_x: int, grid_y: int, nulls: bool) -> bytes:
    return json.dumps(_forecast_feature(base, office, grid_x, grid_y, nulls=nulls)).encode()


@functools.lru_cache(maxsize=2)
def _hourly_body(nulls: bool) -> bytes:
    # Every grid cell gets the same 156 hours (90 kB of JSON): serialized once, not once per cell.
    return json.dumps(_hourly_feature("TOP", 0, 0, nulls=nulls)).encode()


@functools.lru_cache(maxsize=4096)
def _stations_body(base: str, office: str, grid_x: int, grid_y: int) -> bytes:
    return json.dumps(_stations_feature(base, stations_for(office, grid_x, grid_y))).encode()


def _parse_grid(request: Request) -> tuple[str, int, int] | None:
    office = request.path_params["office"]
    match = re.fullmatch(r"(\d+),(\d+)", request.path_params["grid"])
    if not re.fullmatch(r"[A-Z]{3}", office) or match is None:
        return None
    return office, int(match.group(1)), int(match.group(2))


@functools.lru_cache(maxsize=128)
def _alerts_body(area: str) -> bytes:
    body = {
        "@context": _CONTEXT,
        "type": "FeatureCollection",
        "features": _alerts_for(area),
        "title": f"Current watches, warnings, and advisories for {area}",
        "updated": _BASE_TIME.isoformat(),
    }
    return json.dumps(body).encode()


def _geojson(body: bytes, *, max_age: int) -> Response:
    expires = datetime.now(UTC) + timedelta(seconds=max_age)
    return Response(
        body,
        media_type="application/geo+json",
        headers={
            "Cache-Control": f"public, max-age={max_age}, s-maxage={max_age}",
            "Expires": expires.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        },
    )


class _Drop(Response):
    """Marker: drop the connection instead of answering."""


class _Gate:
    """Records every request, applies latency and injected behaviour, enforces the User-Agent."""

    def __init__(self, app: Any, fake: FakeNws) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        record = RecordedRequest(
            scope["method"], path, request.headers.get("user-agent"), request.headers.get("accept")
        )
        if path.startswith("/__fake__"):
            await self.app(scope, receive, send)
            return
        self.fake._record(record)
        self.fake.in_flight += 1
        self.fake.peak_in_flight = max(self.fake.peak_in_flight, self.fake.in_flight)
        try:
            await self._serve(scope, receive, send, request, path, record)
        finally:
            self.fake.in_flight -= 1

    async def _serve(
        self, scope: Any, receive: Any, send: Any, request: Request, path: str, record: RecordedRequest
    ) -> None:
        response = await self._decide(request, path, record)
        if isinstance(response, _Drop):
            record.status = 200
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]}
            )
            await send({"type": "http.response.body", "body": b'{"type": "Feature"', "more_body": True})
            raise ConnectionResetError("fake NWS: connection dropped on purpose")
        if response is None:
            status_box: dict[str, int] = {}

            async def capture(message: Any) -> None:
                if message["type"] == "http.response.start":
                    status_box["status"] = message["status"]
                await send(message)

            await self.app(scope, receive, capture)
            record.status = status_box.get("status", 0)
            return
        record.status = response.status_code
        await response(scope, receive, send)

    def _standing_fault(self) -> _Rule | None:
        fault = self.fake._fault_now()
        if fault is None:
            return None
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return _Rule("", 1, status=fault.status, delay=fault.delay, drop=fault.drop, headers=headers)

    async def _decide(self, request: Request, path: str, record: RecordedRequest) -> Response | None:
        if path.startswith("/__fake__"):
            return None
        if self.fake.latency_ms:
            await asyncio.sleep(self.fake.latency_ms / 1000)
        if not record.user_agent:
            return _problem(
                request,
                403,
                "Forbidden",
                "Access denied: a User-Agent header that identifies your application is required.",
                "Forbidden",
            )
        rule = self.fake._take_rule(path) or self._standing_fault()
        if rule is None:
            return None
        if rule.delay:
            await asyncio.sleep(rule.delay)
        if rule.drop:
            return _Drop()
        if rule.body is not None:
            return Response(rule.body, media_type="application/geo+json")
        if rule.json_body is not None:
            return JSONResponse(
                rule.json_body, status_code=rule.status or 200, media_type="application/geo+json"
            )
        if rule.status is not None:
            title, kind = _STATUS_PROBLEMS.get(rule.status, ("Error", "Error"))
            response = _problem(request, rule.status, title, f"Injected {rule.status} for tests", kind)
            response.headers.update(rule.headers)
            return response
        return None


def main(argv: list[str] | None = None) -> None:
    """Serve the fake in the foreground until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fake_nws", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one, printed at start)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every response")
    parser.add_argument(
        "--forecast-max-age", type=int, default=900, help="Cache-Control max-age of forecasts"
    )
    args = parser.parse_args(argv)
    fake = FakeNws(
        latency_ms=args.latency_ms, forecast_max_age=args.forecast_max_age, host=args.host, port=args.port
    )
    fake.start()
    print(f"fake NWS listening on {fake.base_url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        fake.serve_until_stopped()
    fake.stop()


if __name__ == "__main__":
    main()
