"""Models of the answers from Open-Meteo, which covers the whole Earth: what the Open-Meteo client
returns (places, a point's forecast, its air quality) and what the tools hand to clients as
structured content for those answers.

Like `server.models`: every value Open-Meteo may send as null is optional, so a missing value is
`None` in the structured content and left out of the text. A point's forecast (up to 192 hours) is
kept in the cache as slotted dataclasses, like NWS's hourly forecast, for its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from server.models import Freshness

#: Who answers outside NWS coverage, and the attribution its licence (CC BY 4.0) asks for.
SOURCE: Final = "Open-Meteo"
ATTRIBUTION: Final = "Weather data by Open-Meteo.com (https://open-meteo.com/), CC BY 4.0"
SourceName = Literal["Open-Meteo"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- what the client returns -------------------------------------------------------------------------
class Place(_Model):
    """A place that matches a name (Open-Meteo geocoding, from GeoNames)."""

    name: str
    latitude: float = Field(description="Decimal degrees, 4 decimals")
    longitude: float = Field(description="Decimal degrees, 4 decimals")
    country: str | None = None
    country_code: str | None = Field(None, description="ISO 3166-1 alpha-2, e.g. KR")
    admin_area: str | None = Field(None, description="First-level division: state, province, prefecture")
    district: str | None = Field(None, description="Second-level division, e.g. county")
    timezone: str | None = Field(None, description="IANA time zone, e.g. Asia/Seoul")
    population: int | None = None
    elevation_m: float | None = Field(None, description="Metres above sea level")


@dataclass(frozen=True, slots=True)
class PointNow:
    """The model's values for the current 15 minutes at a point (Open-Meteo `current`)."""

    time: str  # local wall-clock time, ISO 8601 without offset
    temperature_c: float | None
    apparent_temperature_c: float | None
    relative_humidity: float | None
    is_day: bool | None
    precipitation_mm: float | None
    weather_code: int | None
    cloud_cover: float | None
    pressure_hpa: float | None
    wind_speed_kmh: float | None
    wind_direction_degrees: float | None
    wind_gust_kmh: float | None


@dataclass(frozen=True, slots=True)
class PointHour:
    """One hour of a point's forecast."""

    time: str  # local wall-clock time, ISO 8601 without offset
    temperature_c: float | None
    precipitation_chance: int | None
    precipitation_mm: float | None
    weather_code: int | None
    wind_speed_kmh: float | None
    wind_direction_degrees: float | None


@dataclass(frozen=True, slots=True)
class PointDay:
    """One day of a point's forecast."""

    date: str  # local date, ISO 8601
    weather_code: int | None
    high_c: float | None
    low_c: float | None
    precipitation_mm: float | None
    precipitation_chance: int | None
    wind_max_kmh: float | None
    sunrise: str | None
    sunset: str | None


@dataclass(frozen=True, slots=True)
class PointForecast:
    """Open-Meteo's forecast for one point: now, by hour from today 00:00 local, and by day from today."""

    grid_latitude: float
    grid_longitude: float
    elevation_m: float | None
    timezone: str
    timezone_abbreviation: str | None
    utc_offset_seconds: int
    current: PointNow | None
    hours: tuple[PointHour, ...]
    days: tuple[PointDay, ...]


class AirQuality(_Model):
    """A point's current air quality (Open-Meteo air quality API, CAMS models)."""

    grid_latitude: float
    grid_longitude: float
    timezone: str
    timezone_abbreviation: str | None = None
    utc_offset_seconds: int
    time: str = Field(description="Local time of the values, ISO 8601 without offset")
    us_aqi: float | None = None
    european_aqi: float | None = None
    pm2_5: float | None = None
    pm10: float | None = None
    ozone: float | None = None
    nitrogen_dioxide: float | None = None
    units: dict[str, str] = Field(
        default_factory=dict, description="Unit of each value, as Open-Meteo sends it"
    )


# --- what the tools answer ---------------------------------------------------------------------------
class _Sourced(_Model):
    source: SourceName = Field(SOURCE, description="Who provided the data")
    attribution: str = Field(ATTRIBUTION, description="Credit the data's licence (CC BY 4.0) asks for")


class _AtPoint(_Sourced):
    latitude: float = Field(description="Latitude as queried (rounded to 4 decimals)")
    longitude: float = Field(description="Longitude as queried (rounded to 4 decimals)")
    grid_latitude: float = Field(description="Latitude of the model grid cell Open-Meteo answered for")
    grid_longitude: float = Field(description="Longitude of the model grid cell Open-Meteo answered for")
    timezone: str = Field(description="The place's time zone, e.g. Asia/Seoul (GMT at sea)")
    timezone_abbreviation: str | None = None
    utc_offset_seconds: int
    local_time: str = Field(description="The place's local time when answered (ISO 8601 with offset)")


class LocationsResult(_Sourced):
    """Structured result of find_location."""

    query: str = Field(description="The name searched for, as given (surrounding spaces removed)")
    total: int = Field(description="Number of places shown")
    places: list[Place] = Field(description="Matching places, most relevant (largest) first")
    freshness: Freshness


class DayForecast(_Model):
    """One day of the forecast outside NWS coverage."""

    date: str = Field(description="Local date, ISO 8601")
    weather: str = Field(description="The day's weather in words (from its WMO weather code)")
    weather_code: int | None = Field(None, description="WMO weather code")
    high_c: float | None = None
    high_f: float | None = None
    low_c: float | None = None
    low_f: float | None = None
    precipitation_mm: float | None = None
    precipitation_chance: int | None = Field(
        None, description="Highest probability of precipitation, percent"
    )
    wind_max_kmh: float | None = None
    wind_max_mph: float | None = None
    sunrise: str | None = Field(None, description="Local time, ISO 8601")
    sunset: str | None = Field(None, description="Local time, ISO 8601")


class PointForecastResult(_AtPoint):
    """Structured result of get_forecast outside NWS coverage (Open-Meteo): days from today."""

    elevation_m: float | None = None
    days: list[DayForecast]
    available_days: int = Field(description="How many days from today Open-Meteo published")
    freshness: Freshness


class HourForecast(_Model):
    """One hour of the hourly forecast outside NWS coverage."""

    time: str = Field(description="Start of the hour, local time, ISO 8601 without offset")
    weather: str = Field(description="The hour's weather in words (from its WMO weather code)")
    weather_code: int | None = None
    temperature_c: float | None = None
    temperature_f: float | None = None
    precipitation_chance: int | None = Field(None, description="Percent")
    precipitation_mm: float | None = None
    wind_speed_kmh: float | None = None
    wind_speed_mph: float | None = None
    wind_direction: str | None = Field(None, description="Compass point the wind blows from, e.g. 'SW'")


class PointHourlyResult(_AtPoint):
    """Structured result of get_hourly_forecast outside NWS coverage (Open-Meteo): hours from now."""

    hours: list[HourForecast]
    available_hours: int = Field(description="How many hours from now Open-Meteo published")
    freshness: Freshness


class PointConditionsResult(_AtPoint):
    """Structured result of get_current_conditions outside NWS coverage: Open-Meteo's model values
    for the current 15 minutes (not a station observation)."""

    valid_at: str = Field(description="Local time the values are for, ISO 8601 without offset")
    weather: str = Field(description="The weather in words (from its WMO weather code)")
    weather_code: int | None = None
    is_day: bool | None = None
    temperature_c: float | None = None
    temperature_f: float | None = None
    feels_like_c: float | None = None
    feels_like_f: float | None = None
    relative_humidity: float | None = Field(None, description="Percent")
    wind_speed_kmh: float | None = None
    wind_speed_mph: float | None = None
    wind_direction_degrees: float | None = Field(None, description="Direction the wind blows from, degrees")
    wind_direction: str | None = None
    wind_gust_kmh: float | None = None
    wind_gust_mph: float | None = None
    pressure_hpa: float | None = Field(None, description="Pressure at mean sea level, hectopascals")
    pressure_inhg: float | None = None
    precipitation_mm: float | None = None
    cloud_cover: float | None = Field(None, description="Percent")
    freshness: Freshness


class AirQualityResult(_AtPoint):
    """Structured result of get_air_quality."""

    valid_at: str = Field(description="Local time the values are for, ISO 8601 without offset")
    us_aqi: float | None = Field(None, description="US Air Quality Index (EPA), 0-500")
    us_aqi_category: str | None = Field(None, description="EPA category, e.g. 'Moderate'")
    european_aqi: float | None = Field(None, description="European Air Quality Index (EEA), 0-100+")
    european_aqi_category: str | None = Field(None, description="EEA category, e.g. 'Fair'")
    pm2_5: float | None = Field(None, description="Fine particulate matter, μg/m³")
    pm10: float | None = Field(None, description="Particulate matter up to 10 μm, μg/m³")
    ozone: float | None = Field(None, description="μg/m³")
    nitrogen_dioxide: float | None = Field(None, description="μg/m³")
    units: dict[str, str] = Field(
        default_factory=dict, description="Unit of each value, as Open-Meteo sends it"
    )
    freshness: Freshness
