"""Pydantic models: what the NWS client returns and what the tools hand to clients as structured content.

Every field that NWS may omit or send as null is optional here, so a missing value is `None` in the
structured content and simply left out of the text; it never prints as "None".
"""

from __future__ import annotations

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

    @property
    def place(self) -> str | None:
        """'City, ST' (or whichever part is known)."""
        parts = [part for part in (self.city, self.state) if part]
        return ", ".join(parts) or None

    @property
    def grid(self) -> str:
        """Grid id as NWS writes it, e.g. 'BOU/62,61'."""
        return f"{self.office}/{self.grid_x},{self.grid_y}"


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


class Freshness(_Model):
    """How current the answer is: from the cache, fresh from NWS, or stale because NWS failed."""

    stale: bool = Field(description="True when NWS failed and an earlier answer is served instead")
    fetched_at: str = Field(description="When this data was fetched from NWS (UTC, ISO 8601)")
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
    total: int = Field(description="Number of active alerts NWS reported")
    alerts: list[Alert] = Field(description="The alerts shown (at most the first 25)")
    freshness: Freshness
