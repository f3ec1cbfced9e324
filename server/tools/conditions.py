"""Current conditions: which station's latest observation to trust, and in which units.

NWS often answers `/stations/{id}/observations/latest` with an observation hours old or with nulls
where the temperature should be. `unusable_reason` decides whether an observation can stand for
"now"; `build_conditions` converts a usable one to US and metric units (`render_conditions` in
`server.tools.rendering` writes the text). Pure functions: the tool in `server.tools.weather` does
the fetching.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from server.models import ConditionsResult, Freshness, Observation, SkippedStation, Station, StationInfo
from server.units import (
    celsius_to_fahrenheit,
    compass_point,
    great_circle_km,
    kmh_to_mph,
    metres_to_miles,
    pa_to_inhg,
)

#: An observation older than this does not describe "now"; the next station is tried instead.
MAX_OBSERVATION_AGE_SECONDS: Final = 2 * 3600
#: Stations tried, nearest first, before giving up.
MAX_STATIONS_TRIED: Final = 3


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time with offset as an aware datetime, or None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def describe_age(seconds: float) -> str:
    """'25 minutes', '1 hour', '5 hours', '3 days': for a person, not to the second."""
    minutes = max(0, int(seconds // 60))
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


def unusable_reason(observation: Observation | None, now: datetime) -> str | None:
    """Why this observation cannot answer "what is it like now", or None when it can."""
    if observation is None:
        return "NWS has no observations from it"
    observed = parse_time(observation.timestamp)
    if observed is None:
        return "its latest observation has no time"
    age = (now - observed).total_seconds()
    if age > MAX_OBSERVATION_AGE_SECONDS:
        return f"its latest observation is {describe_age(age)} old"
    if observation.temperature_c is None:
        return "its latest observation has no temperature"
    return None


def _round(value: float | None, digits: int) -> float | None:
    if value is None:
        return None
    rounded = round(value, digits)
    return 0.0 if rounded == 0 else rounded  # no -0.0


def _converted(convert: Callable[[float], float], value: float | None, digits: int) -> float | None:
    return None if value is None else _round(convert(value), digits)


def _pair(celsius: float | None) -> tuple[float | None, float | None]:
    """(degF, degC), each to one decimal."""
    if celsius is None:
        return None, None
    return _round(celsius_to_fahrenheit(celsius), 1), _round(celsius, 1)


def build_conditions(
    *,
    latitude: float,
    longitude: float,
    place: str | None,
    station: Station,
    observation: Observation,
    now: datetime,
    skipped: list[SkippedStation],
    freshness: Freshness,
) -> ConditionsResult:
    """The structured answer from a usable observation (see `unusable_reason`)."""
    temperature_f, temperature_c = _pair(observation.temperature_c)
    observed = parse_time(observation.timestamp)
    if observed is None or temperature_f is None or temperature_c is None:
        raise ValueError("build_conditions needs a usable observation (see unusable_reason)")
    distance_km = None
    if station.latitude is not None and station.longitude is not None:
        distance_km = great_circle_km(latitude, longitude, station.latitude, station.longitude)
    dewpoint_f, dewpoint_c = _pair(observation.dewpoint_c)
    heat_index_f, heat_index_c = _pair(observation.heat_index_c)
    wind_chill_f, wind_chill_c = _pair(observation.wind_chill_c)
    speed, gust = observation.wind_speed_kmh, observation.wind_gust_kmh
    direction = observation.wind_direction_degrees
    return ConditionsResult(
        latitude=latitude,
        longitude=longitude,
        place=place,
        station=StationInfo(
            id=station.id,
            name=station.name,
            distance_miles=_round(distance_km / 1.609344, 1) if distance_km is not None else None,
            distance_km=_round(distance_km, 1),
        ),
        observed_at=observed.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        age_minutes=max(0, int((now - observed).total_seconds() // 60)),
        description=observation.description,
        temperature_f=temperature_f,
        temperature_c=temperature_c,
        dewpoint_f=dewpoint_f,
        dewpoint_c=dewpoint_c,
        relative_humidity=_round(observation.relative_humidity, 1),
        wind_direction_degrees=_round(direction, 0),
        wind_direction=compass_point(direction) if direction is not None else None,
        wind_speed_mph=_converted(kmh_to_mph, speed, 1),
        wind_speed_kmh=_round(speed, 1),
        wind_gust_mph=_converted(kmh_to_mph, gust, 1),
        wind_gust_kmh=_round(gust, 1),
        pressure_inhg=_converted(pa_to_inhg, observation.pressure_pa, 2),
        pressure_hpa=_converted(lambda pascals: pascals / 100, observation.pressure_pa, 1),
        visibility_miles=_converted(metres_to_miles, observation.visibility_m, 1),
        visibility_km=_converted(lambda metres: metres / 1000, observation.visibility_m, 1),
        heat_index_f=heat_index_f,
        heat_index_c=heat_index_c,
        wind_chill_f=wind_chill_f,
        wind_chill_c=wind_chill_c,
        skipped_stations=skipped,
        freshness=freshness,
    )
