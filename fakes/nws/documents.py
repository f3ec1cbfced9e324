"""The GeoJSON documents the fake serves, shaped like api.weather.gov's, and their cached bodies."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from fakes.nws.fixtures import (
    BASE_TIME,
    DENVER,
    FRESH_OBSERVATION_AGE,
    GEOJSON_CONTEXT,
    HOURLY_PERIODS,
    NO_GRID_POINT,
    NULLS_POINT,
    OBSERVATION_VALUES,
    STALE_OBSERVATION_AGE,
    TOPEKA,
    TOPEKA_NEIGHBOUR,
    TX_ALERTS,
    FixtureStation,
    grid_for,
    stations_for,
)


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
        "@context": GEOJSON_CONTEXT,
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
    start = BASE_TIME + timedelta(hours=12 * (number - 1))
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
        "@context": GEOJSON_CONTEXT,
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[-97.1, 39.7], [-97.1, 39.8], [-97.0, 39.8]]]},
        "properties": {
            "units": "us",
            "forecastGenerator": "BaselineForecastGenerator",
            "generatedAt": BASE_TIME.isoformat(),
            "updateTime": None if nulls else (BASE_TIME - timedelta(hours=1)).isoformat(),
            "validTimes": f"{BASE_TIME.isoformat()}/P7DT6H",
            "elevation": {"unitCode": "wmoUnit:m", "value": 441.96},
            "periods": [_period(number, nulls=nulls) for number in range(1, 15)],
        },
    }


def _alert(area: str, index: int, *, event: str, complete: bool) -> dict[str, Any]:
    sent = BASE_TIME - timedelta(minutes=10 * index)
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


def _quantity(unit: str, value: float | None) -> dict[str, Any]:
    return {
        "unitCode": f"wmoUnit:{unit}",
        "value": value,
        "qualityControl": "V" if value is not None else "Z",
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
        "@context": GEOJSON_CONTEXT,
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
        "@context": GEOJSON_CONTEXT,
        "type": "FeatureCollection",
        "features": features,
        "observationStations": [feature["id"] for feature in features],
    }


# --- hourly forecast -----------------------------------------------------------------------------
_LOCAL_OFFSET = timezone(timedelta(hours=-5))
_POPS = (0, 5, 10, 20, 40, 60)


def _hourly_period(number: int, *, nulls: bool) -> dict[str, Any]:
    start = (BASE_TIME + timedelta(hours=number - 1)).astimezone(_LOCAL_OFFSET)
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
    feature["properties"]["validTimes"] = f"{BASE_TIME.isoformat()}/P6DT12H"
    feature["properties"]["periods"] = [
        _hourly_period(number, nulls=nulls) for number in range(1, HOURLY_PERIODS + 1)
    ]
    return feature


# Fixture bodies depend only on their arguments: serialized once, so that the fake spends little
# CPU per request (in the benchmark it shares the machine with the server it stands in front of).
@functools.lru_cache(maxsize=4096)
def point_body(base: str, lat: float, lon: float, raw: str) -> bytes | None:
    feature = _point_feature(base, lat, lon, raw)
    return None if feature is None else json.dumps(feature).encode()


@functools.lru_cache(maxsize=4096)
def forecast_body(base: str, office: str, grid_x: int, grid_y: int, nulls: bool) -> bytes:
    return json.dumps(_forecast_feature(base, office, grid_x, grid_y, nulls=nulls)).encode()


@functools.lru_cache(maxsize=2)
def hourly_body(nulls: bool) -> bytes:
    # Every grid cell gets the same 156 hours (90 kB of JSON): serialized once, not once per cell.
    return json.dumps(_hourly_feature("TOP", 0, 0, nulls=nulls)).encode()


@functools.lru_cache(maxsize=4096)
def stations_body(base: str, office: str, grid_x: int, grid_y: int) -> bytes:
    return json.dumps(_stations_feature(base, stations_for(office, grid_x, grid_y))).encode()


@functools.lru_cache(maxsize=128)
def alerts_body(area: str) -> bytes:
    body = {
        "@context": GEOJSON_CONTEXT,
        "type": "FeatureCollection",
        "features": _alerts_for(area),
        "title": f"Current watches, warnings, and advisories for {area}",
        "updated": BASE_TIME.isoformat(),
    }
    return json.dumps(body).encode()
