"""Open-Meteo JSON answers -> models. Nothing here trusts a field: values may be null, arrays may be short.

A response without the documented shape is `OpenMeteoBadResponse`. Open-Meteo's errors are
`{"error": true, "reason": "..."}` (HTTP 400); `error_reason` reads the reason for the tool error.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any, Final

import httpx

from server.open_meteo.errors import SERVICE, OpenMeteoBadResponse
from server.world_models import AirQuality, Place, PointDay, PointForecast, PointHour, PointNow

#: Longest `reason` passed on to a person (Open-Meteo's are one sentence).
_MAX_REASON_LENGTH: Final = 300


def error_reason(response: httpx.Response) -> str | None:
    """Open-Meteo's `reason` for a refused request, or None when it sent none (or something else)."""
    try:
        body = response.json()
    except ValueError:
        return None
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        return None
    text = " ".join(reason.split())
    return text if len(text) <= _MAX_REASON_LENGTH else text[: _MAX_REASON_LENGTH - 3] + "..."


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _interned(value: Any) -> str | None:
    text = _text(value)
    return sys.intern(text) if text is not None else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _whole(value: Any) -> int | None:
    number = _number(value)
    return round(number) if number is not None else None


def _code(value: Any) -> int | None:
    """A WMO weather code: a whole number 0-99 (anything else is not one)."""
    number = _number(value)
    return int(number) if number is not None and number.is_integer() and 0 <= number <= 99 else None


def _bad(what: str) -> OpenMeteoBadResponse:
    return OpenMeteoBadResponse(
        f"{SERVICE} sent {what} this server could not read. Try again in a few minutes."
    )


def _object(payload: Any, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise _bad(what)
    return payload


def _coordinate(payload: dict[str, Any], name: str, limit: float, what: str) -> float:
    value = _number(payload.get(name))
    if value is None or not -limit <= value <= limit:
        raise _bad(what)
    return value


# --- geocoding ---------------------------------------------------------------------------------------
def parse_places(payload: Any) -> tuple[Place, ...]:
    """Places from a geocoding search; no `results` key at all means no match (an empty tuple)."""
    body = _object(payload, "a place search answer")
    results = body.get("results")
    if results is None:
        return ()
    if not isinstance(results, list):
        raise _bad("a place search answer")
    places = []
    for raw in results:
        if not isinstance(raw, dict):
            continue
        name = _text(raw.get("name"))
        latitude, longitude = _number(raw.get("latitude")), _number(raw.get("longitude"))
        if name is None or latitude is None or longitude is None:
            continue
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            continue
        population = _whole(raw.get("population"))
        places.append(
            Place(
                name=name,
                latitude=round(latitude, 4),
                longitude=round(longitude, 4),
                country=_text(raw.get("country")),
                country_code=_text(raw.get("country_code")),
                admin_area=_text(raw.get("admin1")),
                district=_text(raw.get("admin2")),
                timezone=_text(raw.get("timezone")),
                population=population if population and population > 0 else None,
                elevation_m=_number(raw.get("elevation")),
            )
        )
    return tuple(places)


# --- forecast ----------------------------------------------------------------------------------------
def _series(block: dict[str, Any], name: str, length: int) -> Sequence[Any]:
    """A variable's values in a block, padded with None when Open-Meteo left it out or sent it short."""
    values = block.get(name)
    if not isinstance(values, list):
        return [None] * length
    return values[:length] + [None] * (length - len(values))


def _timed_block(payload: dict[str, Any], name: str, what: str) -> tuple[dict[str, Any], list[str]]:
    """A block of arrays (`hourly`, `daily`) and its `time` array, every entry a time."""
    block = payload.get(name)
    if not isinstance(block, dict) or not isinstance(block.get("time"), list):
        raise _bad(what)
    times = [text for value in block["time"] if (text := _text(value)) is not None]
    if len(times) != len(block["time"]):
        raise _bad(what)
    return block, times


def _location(body: dict[str, Any], what: str) -> tuple[float, float, str, str | None, int]:
    offset = body.get("utc_offset_seconds")
    timezone = _text(body.get("timezone"))
    if isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > 18 * 3600 or timezone is None:
        raise _bad(what)
    return (
        _coordinate(body, "latitude", 90, what),
        _coordinate(body, "longitude", 180, what),
        timezone,
        _text(body.get("timezone_abbreviation")),
        offset,
    )


def _current(block: Any) -> PointNow | None:
    if not isinstance(block, dict) or _text(block.get("time")) is None:
        return None
    is_day = _number(block.get("is_day"))
    return PointNow(
        time=str(_text(block.get("time"))),
        temperature_c=_number(block.get("temperature_2m")),
        apparent_temperature_c=_number(block.get("apparent_temperature")),
        relative_humidity=_number(block.get("relative_humidity_2m")),
        is_day=bool(is_day) if is_day in (0.0, 1.0) else None,
        precipitation_mm=_number(block.get("precipitation")),
        weather_code=_code(block.get("weather_code")),
        cloud_cover=_number(block.get("cloud_cover")),
        pressure_hpa=_number(block.get("pressure_msl")),
        wind_speed_kmh=_number(block.get("wind_speed_10m")),
        wind_direction_degrees=_number(block.get("wind_direction_10m")),
        wind_gust_kmh=_number(block.get("wind_gusts_10m")),
    )


def parse_forecast(payload: Any) -> PointForecast:
    """A point's forecast from `/v1/forecast` with `current`, `hourly` and `daily` blocks."""
    what = "a forecast"
    body = _object(payload, what)
    latitude, longitude, timezone, abbreviation, offset = _location(body, what)
    hourly, hour_times = _timed_block(body, "hourly", what)
    length = len(hour_times)
    hours = tuple(
        PointHour(
            time=sys.intern(time),
            temperature_c=_number(temperature),
            precipitation_chance=_whole(chance),
            precipitation_mm=_number(amount),
            weather_code=_code(code),
            wind_speed_kmh=_number(speed),
            wind_direction_degrees=_number(direction),
        )
        for time, temperature, chance, amount, code, speed, direction in zip(
            hour_times,
            _series(hourly, "temperature_2m", length),
            _series(hourly, "precipitation_probability", length),
            _series(hourly, "precipitation", length),
            _series(hourly, "weather_code", length),
            _series(hourly, "wind_speed_10m", length),
            _series(hourly, "wind_direction_10m", length),
            strict=True,
        )
    )
    daily, day_times = _timed_block(body, "daily", what)
    count = len(day_times)
    days = tuple(
        PointDay(
            date=date,
            weather_code=_code(code),
            high_c=_number(high),
            low_c=_number(low),
            precipitation_mm=_number(amount),
            precipitation_chance=_whole(chance),
            wind_max_kmh=_number(wind),
            sunrise=_interned(sunrise),
            sunset=_interned(sunset),
        )
        for date, code, high, low, amount, chance, wind, sunrise, sunset in zip(
            day_times,
            _series(daily, "weather_code", count),
            _series(daily, "temperature_2m_max", count),
            _series(daily, "temperature_2m_min", count),
            _series(daily, "precipitation_sum", count),
            _series(daily, "precipitation_probability_max", count),
            _series(daily, "wind_speed_10m_max", count),
            _series(daily, "sunrise", count),
            _series(daily, "sunset", count),
            strict=True,
        )
    )
    return PointForecast(
        grid_latitude=latitude,
        grid_longitude=longitude,
        elevation_m=_number(body.get("elevation")),
        timezone=timezone,
        timezone_abbreviation=abbreviation,
        utc_offset_seconds=offset,
        current=_current(body.get("current")),
        hours=hours,
        days=days,
    )


# --- air quality -------------------------------------------------------------------------------------
#: The air quality variables asked for, as Open-Meteo names them (also the AirQuality field names).
AIR_QUALITY_VARIABLES: Final = ("us_aqi", "european_aqi", "pm2_5", "pm10", "ozone", "nitrogen_dioxide")


def parse_air_quality(payload: Any) -> AirQuality:
    """A point's current air quality from `/v1/air-quality` with a `current` block."""
    what = "an air quality answer"
    body = _object(payload, what)
    latitude, longitude, timezone, abbreviation, offset = _location(body, what)
    current = body.get("current")
    if not isinstance(current, dict) or _text(current.get("time")) is None:
        raise _bad(what)
    raw_units = body.get("current_units")
    units = {
        name: unit
        for name in AIR_QUALITY_VARIABLES
        if isinstance(raw_units, dict) and (unit := _text(raw_units.get(name))) is not None
    }
    return AirQuality(
        grid_latitude=latitude,
        grid_longitude=longitude,
        timezone=timezone,
        timezone_abbreviation=abbreviation,
        utc_offset_seconds=offset,
        time=str(_text(current.get("time"))),
        units=units,
        **{name: _number(current.get(name)) for name in AIR_QUALITY_VARIABLES},
    )
