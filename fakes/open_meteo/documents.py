"""The JSON documents the fake Open-Meteo sends: forecasts, air quality and place searches, shaped like
the real API's (local times without offset when `timezone` is set, arrays per variable, absent keys
for no match), with deterministic values computed from the coordinates and the current time.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from fakes.open_meteo.fixtures import NULL_ISLAND, ODD_CODES_POINT, PLACES, POINT_ZONES, FixturePlace

#: Every variable the fake knows per block (a request for another one is a 400, as with Open-Meteo).
CURRENT: Final = frozenset(
    {
        "temperature_2m",
        "relative_humidity_2m",
        "apparent_temperature",
        "is_day",
        "precipitation",
        "weather_code",
        "cloud_cover",
        "pressure_msl",
        "wind_speed_10m",
        "wind_direction_10m",
        "wind_gusts_10m",
    }
)
HOURLY: Final = frozenset(
    {
        "temperature_2m",
        "precipitation_probability",
        "precipitation",
        "weather_code",
        "wind_speed_10m",
        "wind_direction_10m",
        "relative_humidity_2m",
    }
)
DAILY: Final = frozenset(
    {
        "weather_code",
        "temperature_2m_max",
        "temperature_2m_min",
        "precipitation_sum",
        "precipitation_probability_max",
        "wind_speed_10m_max",
        "sunrise",
        "sunset",
    }
)
AIR_QUALITY: Final = frozenset({"us_aqi", "european_aqi", "pm2_5", "pm10", "ozone", "nitrogen_dioxide"})
UNITS: Final = {
    "time": "iso8601",
    "interval": "seconds",
    "temperature_2m": "°C",
    "relative_humidity_2m": "%",
    "apparent_temperature": "°C",
    "is_day": "",
    "precipitation": "mm",
    "weather_code": "wmo code",
    "cloud_cover": "%",
    "pressure_msl": "hPa",
    "wind_speed_10m": "km/h",
    "wind_direction_10m": "°",
    "wind_gusts_10m": "km/h",
    "precipitation_probability": "%",
    "temperature_2m_max": "°C",
    "temperature_2m_min": "°C",
    "precipitation_sum": "mm",
    "precipitation_probability_max": "%",
    "wind_speed_10m_max": "km/h",
    "sunrise": "iso8601",
    "sunset": "iso8601",
    "us_aqi": "USAQI",
    "european_aqi": "EAQI",
    "pm2_5": "μg/m³",
    "pm10": "μg/m³",
    "ozone": "μg/m³",
    "nitrogen_dioxide": "μg/m³",
}
#: The weather codes the fake cycles through (every code Open-Meteo documents).
WEATHER_CYCLE: Final = (
    0, 1, 2, 3, 45, 48, 51, 53, 55, 56, 57, 61, 63, 65, 66, 67, 71, 73, 75, 77,
    80, 81, 82, 85, 86, 95, 96, 99,
)  # fmt: skip
#: Model grid spacing of the fake (degrees): answers name the grid point, not the point asked.
GRID: Final = 0.05


def snap(value: float) -> float:
    """The fake model's grid coordinate nearest to `value`."""
    return round(round(value / GRID) * GRID, 4)


def zone_for(latitude: float, longitude: float) -> tuple[str, str, int]:
    """(timezone, abbreviation, UTC offset seconds) as `timezone=auto` gives them: the zone of a fixture
    place within half a degree, else a whole-hour zone from the longitude (GMT at 0)."""
    for (lat, lon), name in POINT_ZONES.items():
        if abs(lat - latitude) <= 0.5 and abs(lon - longitude) <= 0.5:
            now = datetime.now(ZoneInfo(name))
            offset = now.utcoffset() or timedelta(0)
            return name, now.tzname() or name, int(offset.total_seconds())
    hours = round(longitude / 15)
    if hours == 0:
        return "GMT", "GMT", 0
    # IANA's Etc zones have the sign inverted: Etc/GMT-9 is UTC+9.
    return f"Etc/GMT{-hours:+d}", f"GMT{hours:+d}", hours * 3600


def _local_now(offset: int) -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=offset)


def _base_temperature(latitude: float) -> float:
    return 28.0 - 0.45 * abs(latitude)


def _code(band: int, index: int) -> int:
    return WEATHER_CYCLE[(index + band) % len(WEATHER_CYCLE)]


def _is(point: tuple[float, float], latitude: float, longitude: float) -> bool:
    return abs(point[0] - latitude) < 0.01 and abs(point[1] - longitude) < 0.01


def _location(latitude: float, longitude: float) -> dict[str, Any]:
    timezone, abbreviation, offset = zone_for(latitude, longitude)
    return {
        "latitude": snap(latitude),
        "longitude": snap(longitude),
        "generationtime_ms": 0.05,
        "utc_offset_seconds": offset,
        "timezone": timezone,
        "timezone_abbreviation": abbreviation,
        "elevation": round(max(0.0, 40 * math.sin(latitude) * math.cos(longitude) + 20), 1),
    }


def _hour_values(variable: str, band: int, index: int, when: datetime) -> Any:
    base = _base_temperature(band)
    diurnal = 5 * math.sin((when.hour - 9) / 24 * 2 * math.pi)
    return {
        "temperature_2m": round(base + diurnal, 1),
        "apparent_temperature": round(base + diurnal - 1.5, 1),
        "relative_humidity_2m": 40 + (index * 7) % 50,
        "is_day": int(6 <= when.hour < 18),
        "precipitation": round(((index * 3) % 7) / 10, 1),
        "precipitation_probability": (index * 13) % 101,
        "weather_code": _code(band, index),
        "cloud_cover": (index * 11) % 101,
        "pressure_msl": round(1013.2 + ((index * 5) % 20) - 10, 1),
        "wind_speed_10m": round(5 + (index * 3) % 30 + 0.4, 1),
        "wind_direction_10m": (index * 37) % 360,
        "wind_gusts_10m": round(15 + (index * 3) % 40 + 0.2, 1),
    }[variable]


def _day_values(variable: str, band: int, index: int, day: datetime) -> Any:
    base = _base_temperature(band)
    return {
        "weather_code": _code(band, index),
        "temperature_2m_max": round(base + 5 + index % 3, 1),
        "temperature_2m_min": round(base - 6 - index % 2, 1),
        "precipitation_sum": round((index * 1.7) % 6, 1),
        "precipitation_probability_max": (index * 23) % 101,
        "wind_speed_10m_max": round(12 + (index * 4) % 25 + 0.3, 1),
        "sunrise": f"{day:%Y-%m-%d}T06:{(index * 3) % 60:02d}",
        "sunset": f"{day:%Y-%m-%d}T19:{(index * 7) % 60:02d}",
    }[variable]


def _blocks(
    band: int,
    offset: int,
    current: list[str],
    hourly: list[str],
    daily: list[str],
    forecast_days: int,
    nulls: bool,
) -> dict[str, Any]:
    """The `current`, `hourly` and `daily` members (with their units) for a latitude band, local time."""
    local = _local_now(offset)
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    body: dict[str, Any] = {}
    if current:
        now = local.replace(minute=local.minute // 15 * 15, second=0, microsecond=0)
        body["current_units"] = {"time": "iso8601", "interval": "seconds"} | {
            name: UNITS[name] for name in current
        }
        body["current"] = {"time": f"{now:%Y-%m-%dT%H:%M}", "interval": 900} | {
            name: None if nulls else _hour_values(name, band, now.hour, now) for name in current
        }
    if hourly:
        hours = [today + timedelta(hours=index) for index in range(forecast_days * 24)]
        body["hourly_units"] = {"time": "iso8601"} | {name: UNITS[name] for name in hourly}
        body["hourly"] = {"time": [f"{hour:%Y-%m-%dT%H:%M}" for hour in hours]} | {
            name: [
                None if nulls and name != "temperature_2m" else _hour_values(name, band, index, hour)
                for index, hour in enumerate(hours)
            ]
            for name in hourly
        }
    if daily:
        days = [today + timedelta(days=index) for index in range(forecast_days)]
        body["daily_units"] = {"time": "iso8601"} | {name: UNITS[name] for name in daily}
        body["daily"] = {"time": [f"{day:%Y-%m-%d}" for day in days]} | {
            name: [
                None
                if nulls and name not in ("temperature_2m_max", "temperature_2m_min")
                else _day_values(name, band, index, day)
                for index, day in enumerate(days)
            ]
            for name in daily
        }
    return body


@lru_cache(maxsize=512)
def _serialized_blocks(
    band: int,
    offset: int,
    current: tuple[str, ...],
    hourly: tuple[str, ...],
    daily: tuple[str, ...],
    days: int,
    slot: str,
) -> str:
    """`_blocks` as JSON members, kept per band and 15-minute slot: the benchmark's fake must cost the
    shared machine little per request (`slot` changes the key when the local quarter hour does)."""
    text = json.dumps(_blocks(band, offset, list(current), list(hourly), list(daily), days, nulls=False))
    return text[1:-1]


def forecast_body(
    latitude: float,
    longitude: float,
    current: list[str],
    hourly: list[str],
    daily: list[str],
    forecast_days: int,
) -> bytes:
    """A forecast for the point with the variables asked for, from today 00:00 local time (JSON)."""
    location = _location(latitude, longitude)
    band = int(latitude)
    offset = location["utc_offset_seconds"]
    odd = _is(ODD_CODES_POINT, latitude, longitude)
    if _is(NULL_ISLAND, latitude, longitude) or odd:
        body = location | _blocks(band, offset, current, hourly, daily, forecast_days, nulls=not odd)
        if odd:
            for block in ("hourly", "daily"):
                if block in body and "weather_code" in body[block]:
                    body[block]["weather_code"][0] = 4  # not a code Open-Meteo documents
                    body[block]["weather_code"][1] = "rain"  # not a number at all
            if "current" in body and "weather_code" in body["current"]:
                body["current"]["weather_code"] = 4
        return json.dumps(body).encode()
    local = _local_now(offset)
    slot = f"{local:%Y-%m-%dT%H}:{local.minute // 15}"
    blocks = _serialized_blocks(
        band, offset, tuple(current), tuple(hourly), tuple(daily), forecast_days, slot
    )
    members = json.dumps(location)[:-1]
    return (members + (", " + blocks if blocks else "") + "}").encode()


def air_quality_body(latitude: float, longitude: float, current: list[str]) -> dict[str, Any]:
    """The point's current air quality with the variables asked for."""
    body = _location(latitude, longitude)
    local = _local_now(body["utc_offset_seconds"])
    now = local.replace(minute=0, second=0, microsecond=0)
    seed = int(abs(latitude) * 7 + abs(longitude) * 3)
    values = {
        "us_aqi": 57 if _is((37.57, 126.98), latitude, longitude) else 20 + seed % 180,
        "european_aqi": 32 if _is((37.57, 126.98), latitude, longitude) else 10 + seed % 90,
        "pm2_5": round(5 + (seed % 40) + 0.3, 1),
        "pm10": round(10 + (seed % 60) + 0.1, 1),
        "ozone": round(40 + (seed % 80), 1),
        "nitrogen_dioxide": round(3 + (seed % 30) + 0.4, 1),
    }
    nulls = _is(NULL_ISLAND, latitude, longitude)
    body["current_units"] = {"time": "iso8601", "interval": "seconds"} | {
        name: UNITS[name] for name in current
    }
    body["current"] = {"time": f"{now:%Y-%m-%dT%H:%M}", "interval": 3600} | {
        name: None if nulls else values[name] for name in current
    }
    return body


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split())).casefold()


def _matches(place: FixturePlace, query: str) -> bool:
    names = [_fold(name) for name in (place.name, *place.aliases)]
    if len(query) <= 2:  # as Open-Meteo documents: 2 characters match exactly, 3 or more fuzzily
        return query in names
    return any(name.startswith(query) for name in names)


#: "Benchtown 12345": a generated place, so the benchmark can ask for many names nobody asked before.
_GENERATED = re.compile(r"^benchtown (\d{5})$")


def _generated(query: str) -> list[FixturePlace]:
    match = _GENERATED.match(query)
    if match is None:
        return []
    number = int(match.group(1))
    latitude, longitude = 35 + (number % 2500) / 100, (number // 2500) / 2
    return [
        FixturePlace(number, f"Benchtown {number}", latitude, longitude, "DE", "Germany", "Europe/Berlin")
    ]


def search_body(name: str, count: int) -> dict[str, Any]:
    """Places matching `name`, largest first; no `results` key at all when none does (as Open-Meteo)."""
    query = _fold(name)
    found = (
        sorted((place for place in PLACES if _matches(place, query)), key=lambda p: -(p.population or 0))
        if len(query) >= 2  # one character finds nothing
        else []
    ) or _generated(query)
    body: dict[str, Any] = {"generationtime_ms": 0.4}
    if found:
        body["results"] = [place.document() for place in found[:count]]
    return body
