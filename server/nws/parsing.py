"""NWS GeoJSON answers -> models. NWS sends nulls, empty strings and odd types: nothing here trusts a field.

A response without the documented shape is `NwsBadResponse`; a point without a forecast grid is
`PointNotCovered`.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from server.models import (
    Alert,
    ForecastPeriod,
    GridForecast,
    GridPoint,
    Hour,
    HourlyForecast,
    Observation,
    Station,
)
from server.nws.errors import SERVICE, NwsBadResponse, PointNotCovered
from server.units import to_si

_OFFICE_RE: Final = re.compile(r"^[A-Z]{2,4}$")
_STATION_ID_RE: Final = re.compile(r"^[A-Za-z0-9]{3,8}$")


def problem_details(response: httpx.Response) -> dict[str, Any]:
    """The RFC 7807 problem document NWS sends with errors, or {} when there is none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def optional_text(value: Any) -> str | None:
    """A non-empty string, or None (NWS sends null, "" and occasionally other types)."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _number(value: Any) -> float | None:
    """A finite number, also from a QuantitativeValue object ({"value": ..., "unitCode": ...})."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _properties(payload: Any, what: str) -> dict[str, Any]:
    properties = payload.get("properties") if isinstance(payload, dict) else None
    if not isinstance(properties, dict):
        raise NwsBadResponse(f"{SERVICE} sent a {what} response without its properties. Try again later.")
    return properties


def parse_point(payload: Any) -> GridPoint:
    """GridPoint from a `/points/{lat},{lon}` GeoJSON Feature."""
    properties = _properties(payload, "point")
    office, grid_x, grid_y = properties.get("gridId"), properties.get("gridX"), properties.get("gridY")
    if office is None or grid_x is None or grid_y is None or properties.get("forecast") is None:
        raise PointNotCovered(f"{SERVICE} has no forecast grid for this point.", status=200)
    if not (
        isinstance(office, str)
        and _OFFICE_RE.match(office)
        and isinstance(grid_x, int)
        and isinstance(grid_y, int)
        and grid_x >= 0
        and grid_y >= 0
    ):
        raise NwsBadResponse(f"{SERVICE} sent a point response with an unreadable grid. Try again later.")
    place = properties.get("relativeLocation")
    place_properties = place.get("properties") if isinstance(place, dict) else None
    if not isinstance(place_properties, dict):
        place_properties = {}
    return GridPoint(
        office=office,
        grid_x=grid_x,
        grid_y=grid_y,
        city=optional_text(place_properties.get("city")),
        state=optional_text(place_properties.get("state")),
        time_zone=optional_text(properties.get("timeZone")),
        stations_path=_url_path(properties.get("observationStations")),
        hourly_path=_url_path(properties.get("forecastHourly")),
    )


def _url_path(value: Any) -> str | None:
    """The path of an NWS link (requests always go to the configured base URL, never elsewhere)."""
    text = optional_text(value)
    if text is None:
        return None
    path = urlsplit(text).path
    return path if path.startswith("/") and ".." not in path else None


def _parse_period(raw: dict[str, Any]) -> ForecastPeriod:
    chance = _number(raw.get("probabilityOfPrecipitation"))
    is_daytime = raw.get("isDaytime")
    return ForecastPeriod(
        name=optional_text(raw.get("name")),
        start_time=optional_text(raw.get("startTime")),
        end_time=optional_text(raw.get("endTime")),
        is_daytime=is_daytime if isinstance(is_daytime, bool) else None,
        temperature=_number(raw.get("temperature")),
        temperature_unit=optional_text(raw.get("temperatureUnit")),
        wind_speed=optional_text(raw.get("windSpeed"))
        if not isinstance(raw.get("windSpeed"), dict)
        else None,
        wind_direction=optional_text(raw.get("windDirection")),
        precipitation_chance=round(chance) if chance is not None else None,
        short_forecast=optional_text(raw.get("shortForecast")),
        detailed_forecast=optional_text(raw.get("detailedForecast")),
    )


def parse_forecast(payload: Any) -> GridForecast:
    """GridForecast from a `/gridpoints/{office}/{x},{y}/forecast` GeoJSON Feature."""
    properties = _properties(payload, "forecast")
    periods = properties.get("periods")
    if not isinstance(periods, list):
        raise NwsBadResponse(f"{SERVICE} sent a forecast without periods. Try again later.")
    return GridForecast(
        updated=optional_text(properties.get("updateTime")) or optional_text(properties.get("generatedAt")),
        periods=tuple(_parse_period(raw) for raw in periods if isinstance(raw, dict)),
    )


def _interned(value: Any) -> str | None:
    """Interned `optional_text`: an hourly forecast repeats a few words ("Sunny", "10 mph", "SW") a lot."""
    text = optional_text(value)
    return sys.intern(text) if text is not None else None


def parse_hourly(payload: Any) -> HourlyForecast:
    """HourlyForecast from a `/gridpoints/{office}/{x},{y}/forecast/hourly` GeoJSON Feature."""
    properties = _properties(payload, "hourly forecast")
    periods = properties.get("periods")
    if not isinstance(periods, list):
        raise NwsBadResponse(f"{SERVICE} sent an hourly forecast without periods. Try again later.")
    hours = []
    for raw in periods:
        if not isinstance(raw, dict):
            continue
        chance = _number(raw.get("probabilityOfPrecipitation"))
        temperature = _number(raw.get("temperature"))
        hours.append(
            Hour(
                start_time=optional_text(raw.get("startTime")),
                temperature=int(temperature)
                if temperature is not None and temperature.is_integer()
                else temperature,
                temperature_unit=_interned(raw.get("temperatureUnit")),
                precipitation_chance=round(chance) if chance is not None else None,
                wind_speed=_interned(raw.get("windSpeed")),
                wind_direction=_interned(raw.get("windDirection")),
                short_forecast=_interned(raw.get("shortForecast")),
            )
        )
    return HourlyForecast(
        updated=optional_text(properties.get("updateTime")) or optional_text(properties.get("generatedAt")),
        hours=tuple(hours),
    )


def parse_alerts(payload: Any) -> tuple[Alert, ...]:
    """Alerts from an `/alerts/active/area/{area}` GeoJSON FeatureCollection."""
    features = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(features, list):
        raise NwsBadResponse(f"{SERVICE} sent an alerts response without a feature list. Try again later.")
    alerts = []
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            continue
        alerts.append(
            Alert(
                event=optional_text(properties.get("event")),
                area=optional_text(properties.get("areaDesc")),
                severity=optional_text(properties.get("severity")),
                certainty=optional_text(properties.get("certainty")),
                urgency=optional_text(properties.get("urgency")),
                headline=optional_text(properties.get("headline")),
                description=optional_text(properties.get("description")),
                instruction=optional_text(properties.get("instruction")),
                effective=optional_text(properties.get("effective")),
                onset=optional_text(properties.get("onset")),
                expires=optional_text(properties.get("expires")),
                ends=optional_text(properties.get("ends")),
                sender=optional_text(properties.get("senderName")),
            )
        )
    return tuple(alerts)


def parse_stations(payload: Any) -> tuple[Station, ...]:
    """Stations, nearest first, from a `/gridpoints/{office}/{x},{y}/stations` FeatureCollection."""
    features = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(features, list):
        raise NwsBadResponse(f"{SERVICE} sent a stations response without a feature list. Try again later.")
    stations = []
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            continue
        station_id = optional_text(properties.get("stationIdentifier"))
        if station_id is None or not _STATION_ID_RE.match(station_id):
            continue
        geometry = feature.get("geometry")
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        longitude = latitude = None
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            longitude, latitude = _number(coordinates[0]), _number(coordinates[1])
        stations.append(
            Station(
                id=station_id,
                name=optional_text(properties.get("name")),
                latitude=latitude,
                longitude=longitude,
            )
        )
    return tuple(stations)


def parse_observation(payload: Any) -> Observation:
    """Observation (SI units) from a `/stations/{id}/observations/latest` GeoJSON Feature."""
    properties = _properties(payload, "observation")
    return Observation(
        timestamp=optional_text(properties.get("timestamp")),
        description=optional_text(properties.get("textDescription")),
        temperature_c=to_si(properties.get("temperature"), "temperature"),
        dewpoint_c=to_si(properties.get("dewpoint"), "temperature"),
        relative_humidity=to_si(properties.get("relativeHumidity"), "percent"),
        wind_direction_degrees=to_si(properties.get("windDirection"), "angle"),
        wind_speed_kmh=to_si(properties.get("windSpeed"), "speed"),
        wind_gust_kmh=to_si(properties.get("windGust"), "speed"),
        pressure_pa=to_si(properties.get("barometricPressure"), "pressure"),
        visibility_m=to_si(properties.get("visibility"), "length"),
        heat_index_c=to_si(properties.get("heatIndex"), "temperature"),
        wind_chill_c=to_si(properties.get("windChill"), "temperature"),
    )
