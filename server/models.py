"""Pydantic models: what the NWS client returns and what the tools hand to clients as structured content.

Every field that NWS may omit or send as null is optional here, so a missing value is `None` in the
structured content and simply left out of the text; it never prints as "None".
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GridPoint(_Model):
    """The NWS forecast grid cell that covers a coordinate (from `/points/{lat},{lon}`)."""

    office: str = Field(description="NWS forecast office id, e.g. BOU")
    grid_x: int
    grid_y: int
    city: str | None = Field(None, description="Nearest place NWS names for the point")
    state: str | None = None
    time_zone: str | None = None
    stations_path: str | None = Field(
        None, description="Path of the observation stations list near the point (NWS observationStations)"
    )
    hourly_path: str | None = Field(None, description="Path of the hourly forecast (NWS forecastHourly)")

    @property
    def place(self) -> str | None:
        """'City, ST' (or whichever part is known)."""
        parts = [part for part in (self.city, self.state) if part]
        return ", ".join(parts) or None

    @property
    def grid(self) -> str:
        """Grid id as NWS writes it, e.g. 'BOU/62,61'."""
        return f"{self.office}/{self.grid_x},{self.grid_y}"


class NoForecastGrid(_Model):
    """NWS has no forecast grid for a coordinate (404 InvalidPoint, or a point without a grid, such as
    open water): remembered like an answer, so NWS is asked once per point."""

    status: int = Field(description="NWS's HTTP status for the point: 404, or 200 without a grid")


class ForecastPeriod(_Model):
    """One forecast period ("Tonight", "Wednesday", ...)."""

    name: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    is_daytime: bool | None = None
    temperature: float | None = None
    temperature_unit: str | None = Field(None, description="F or C")
    wind_speed: str | None = Field(None, description='As NWS writes it, e.g. "5 to 10 mph"')
    wind_direction: str | None = None
    precipitation_chance: int | None = Field(None, description="Probability of precipitation, percent")
    short_forecast: str | None = None
    detailed_forecast: str | None = None


class GridForecast(_Model):
    """A grid cell's forecast as NWS publishes it."""

    updated: str | None = None
    periods: tuple[ForecastPeriod, ...] = ()


class Alert(_Model):
    """One active NWS alert."""

    event: str | None = None
    area: str | None = Field(None, description="Areas the alert covers (NWS areaDesc)")
    severity: str | None = None
    certainty: str | None = None
    urgency: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    effective: str | None = None
    onset: str | None = None
    expires: str | None = None
    ends: str | None = None
    sender: str | None = None


class Station(_Model):
    """An observation station near a grid cell (from `/gridpoints/{office}/{x},{y}/stations`)."""

    id: str = Field(description="NWS station identifier, e.g. KTOP")
    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class Observation(_Model):
    """A station's latest observation, normalised to SI units (whatever unit codes NWS sent).

    A value is None when NWS sent null or a unit this server does not know.
    """

    timestamp: str | None = None
    description: str | None = None
    temperature_c: float | None = None
    dewpoint_c: float | None = None
    relative_humidity: float | None = None
    wind_direction_degrees: float | None = None
    wind_speed_kmh: float | None = None
    wind_gust_kmh: float | None = None
    pressure_pa: float | None = None
    visibility_m: float | None = None
    heat_index_c: float | None = None
    wind_chill_c: float | None = None


class Freshness(_Model):
    """How current the answer is: from the cache, fresh from the source (NWS or Open-Meteo), or stale
    because the source failed."""

    stale: bool = Field(description="True when the source failed and an earlier answer is served instead")
    fetched_at: str = Field(description="When this data was fetched from its source (UTC, ISO 8601)")
    age_seconds: int = Field(description="Seconds since fetched_at")


class ForecastResult(_Model):
    """Structured result of get_forecast."""

    latitude: float = Field(description="Latitude as queried (rounded to 4 decimals)")
    longitude: float = Field(description="Longitude as queried (rounded to 4 decimals)")
    place: str | None = Field(None, description="Nearest place NWS names for the point, e.g. 'Denver, CO'")
    grid: str = Field(description="NWS forecast office and grid cell, e.g. 'BOU/62,61'")
    updated: str | None = Field(None, description="When NWS last updated this forecast")
    periods: list[ForecastPeriod]
    available_periods: int = Field(description="How many periods NWS published")
    freshness: Freshness


class AlertsResult(_Model):
    """Structured result of get_alerts."""

    area: str = Field(description="The state, territory or marine area code queried (upper case)")
    total: int = Field(description="Number of active alerts NWS reported (of the severity asked for, if any)")
    alerts: list[Alert] = Field(description="The alerts shown (at most the first 25)")
    severity: str | None = Field(None, description="The severity filter applied, if any (e.g. 'Severe')")
    total_unfiltered: int | None = Field(
        None, description="Number of active alerts of any severity (only when a severity filter is applied)"
    )
    freshness: Freshness


class PointAlertsResult(_Model):
    """Structured result of get_alerts_for_point."""

    latitude: float = Field(description="Latitude as queried (rounded to 4 decimals)")
    longitude: float = Field(description="Longitude as queried (rounded to 4 decimals)")
    total: int = Field(
        description="Number of active alerts whose area contains the point (of the severity asked, if any)"
    )
    alerts: list[Alert] = Field(description="The alerts shown (at most the first 25)")
    severity: str | None = Field(None, description="The severity filter applied, if any (e.g. 'Severe')")
    total_unfiltered: int | None = Field(
        None, description="Number of active alerts of any severity (only when a severity filter is applied)"
    )
    freshness: Freshness


class HourlyPeriod(_Model):
    """One hour of the hourly forecast."""

    start_time: str | None = Field(
        None, description="Start of the hour, local time with UTC offset (ISO 8601)"
    )
    temperature: float | None = None
    temperature_unit: str | None = Field(None, description="F or C")
    precipitation_chance: int | None = Field(None, description="Probability of precipitation, percent")
    wind_speed: str | None = Field(None, description='As NWS writes it, e.g. "10 mph"')
    wind_direction: str | None = None
    short_forecast: str | None = None


@dataclass(frozen=True, slots=True)
class Hour:
    """One hour of a cached hourly forecast (see `HourlyForecast`): the fields of `HourlyPeriod`."""

    start_time: str | None
    temperature: float | None
    temperature_unit: str | None
    precipitation_chance: int | None
    wind_speed: str | None
    wind_direction: str | None
    short_forecast: str | None


@dataclass(frozen=True, slots=True)
class HourlyForecast:
    """A grid cell's hourly forecast as kept in the cache.

    Slotted dataclasses with interned strings rather than pydantic models: 156 hours per grid cell,
    up to NWS_CACHE_MAX_ENTRIES cells per worker, so each hour's size matters (about 8x smaller).
    """

    updated: str | None
    hours: tuple[Hour, ...]


class HourlyForecastResult(_Model):
    """Structured result of get_hourly_forecast."""

    latitude: float = Field(description="Latitude as queried (rounded to 4 decimals)")
    longitude: float = Field(description="Longitude as queried (rounded to 4 decimals)")
    place: str | None = Field(None, description="Nearest place NWS names for the point, e.g. 'Denver, CO'")
    grid: str = Field(description="NWS forecast office and grid cell, e.g. 'BOU/62,61'")
    updated: str | None = Field(None, description="When NWS last updated this forecast")
    hours: list[HourlyPeriod]
    available_hours: int = Field(description="How many hours NWS published")
    freshness: Freshness


class StationInfo(_Model):
    """The station an observation comes from."""

    id: str = Field(description="NWS station identifier, e.g. KTOP")
    name: str | None = None
    distance_miles: float | None = Field(None, description="Distance from the queried point, miles")
    distance_km: float | None = Field(None, description="Distance from the queried point, kilometres")


class SkippedStation(_Model):
    """A nearer station whose latest observation could not be used."""

    id: str
    reason: str = Field(description="Why it was skipped, e.g. 'its latest observation is 5 hours old'")


class ConditionsResult(_Model):
    """Structured result of get_current_conditions. Values NWS did not report are null."""

    latitude: float = Field(description="Latitude as queried (rounded to 4 decimals)")
    longitude: float = Field(description="Longitude as queried (rounded to 4 decimals)")
    place: str | None = Field(None, description="Nearest place NWS names for the point, e.g. 'Denver, CO'")
    station: StationInfo
    observed_at: str = Field(description="When the station observed this (UTC, ISO 8601)")
    age_minutes: int = Field(description="Minutes between the observation and this answer")
    description: str | None = Field(None, description="NWS text description, e.g. 'Mostly Cloudy'")
    temperature_f: float
    temperature_c: float
    dewpoint_f: float | None = None
    dewpoint_c: float | None = None
    relative_humidity: float | None = Field(None, description="Percent")
    wind_direction_degrees: float | None = Field(None, description="Direction the wind blows from, degrees")
    wind_direction: str | None = Field(None, description="Compass point the wind blows from, e.g. 'SW'")
    wind_speed_mph: float | None = None
    wind_speed_kmh: float | None = None
    wind_gust_mph: float | None = None
    wind_gust_kmh: float | None = None
    pressure_inhg: float | None = Field(None, description="Barometric pressure, inches of mercury")
    pressure_hpa: float | None = Field(None, description="Barometric pressure, hectopascals (millibars)")
    visibility_miles: float | None = None
    visibility_km: float | None = None
    heat_index_f: float | None = None
    heat_index_c: float | None = None
    wind_chill_f: float | None = None
    wind_chill_c: float | None = None
    skipped_stations: list[SkippedStation] = Field(
        default_factory=list, description="Nearer stations whose latest observation was unusable"
    )
    freshness: Freshness
