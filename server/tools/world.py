"""Answers from Open-Meteo, for points outside NWS coverage and for the tools NWS has no counterpart for:
the result models built from what the Open-Meteo client returns (days from today, hours from now, in
the place's local time, temperatures in both scales, weather codes as words). Pure functions: the
tools in `server.tools.weather` and `server.tools.places` do the fetching, `server.tools.world_rendering`
writes the text.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

from server.cache import Lookup
from server.models import Freshness
from server.tools.scales import european_aqi_category, us_aqi_category, weather_words
from server.units import celsius_to_fahrenheit, compass_point, kmh_to_mph, pa_to_inhg
from server.world_models import (
    AirQuality,
    AirQualityResult,
    DayForecast,
    HourForecast,
    PointConditionsResult,
    PointForecast,
    PointForecastResult,
    PointHourlyResult,
)


def local_now(utc_offset_seconds: int, now: datetime | None = None) -> datetime:
    """Now, in the place's local time (the offset Open-Meteo gave with the answer)."""
    zone = timezone(timedelta(seconds=utc_offset_seconds))
    return (now or datetime.now(UTC)).astimezone(zone)


def _fahrenheit(celsius: float | None) -> float | None:
    return round(celsius_to_fahrenheit(celsius), 1) if celsius is not None else None


def _mph(kmh: float | None) -> float | None:
    return round(kmh_to_mph(kmh), 1) if kmh is not None else None


def _place(
    forecast: PointForecast | AirQuality, latitude: float, longitude: float, now: datetime
) -> dict[str, object]:
    """The fields every point answer from Open-Meteo carries: where, which grid cell, which local time."""
    return {
        "latitude": latitude,
        "longitude": longitude,
        "grid_latitude": forecast.grid_latitude,
        "grid_longitude": forecast.grid_longitude,
        "timezone": forecast.timezone,
        "timezone_abbreviation": forecast.timezone_abbreviation,
        "utc_offset_seconds": forecast.utc_offset_seconds,
        "local_time": now.isoformat(timespec="minutes"),
    }


def days_for_periods(periods: int) -> int:
    """get_forecast's `periods` are NWS half-days; Open-Meteo's forecast is daily: two make a day."""
    return math.ceil(periods / 2)


def build_point_forecast(
    lookup: Lookup[PointForecast],
    latitude: float,
    longitude: float,
    *,
    days: int,
    freshness: Freshness,
    now: datetime | None = None,
) -> PointForecastResult:
    """The daily forecast from today (the place's today, whenever the answer was fetched)."""
    forecast = lookup.value
    local = local_now(forecast.utc_offset_seconds, now)
    ahead = [day for day in forecast.days if day.date >= local.date().isoformat()]
    return PointForecastResult(
        **_place(forecast, latitude, longitude, local),
        elevation_m=forecast.elevation_m,
        days=[
            DayForecast(
                date=day.date,
                weather=weather_words(day.weather_code),
                weather_code=day.weather_code,
                high_c=day.high_c,
                high_f=_fahrenheit(day.high_c),
                low_c=day.low_c,
                low_f=_fahrenheit(day.low_c),
                precipitation_mm=day.precipitation_mm,
                precipitation_chance=day.precipitation_chance,
                wind_max_kmh=day.wind_max_kmh,
                wind_max_mph=_mph(day.wind_max_kmh),
                sunrise=day.sunrise,
                sunset=day.sunset,
            )
            for day in ahead[:days]
        ],
        available_days=len(ahead),
        freshness=freshness,
    )


def build_point_hourly(
    lookup: Lookup[PointForecast],
    latitude: float,
    longitude: float,
    *,
    hours: int,
    freshness: Freshness,
    now: datetime | None = None,
) -> PointHourlyResult:
    """The hourly forecast from the current hour, local time."""
    forecast = lookup.value
    local = local_now(forecast.utc_offset_seconds, now)
    this_hour = f"{local:%Y-%m-%dT%H}:00"
    ahead = [hour for hour in forecast.hours if hour.time >= this_hour]
    return PointHourlyResult(
        **_place(forecast, latitude, longitude, local),
        hours=[
            HourForecast(
                time=hour.time,
                weather=weather_words(hour.weather_code),
                weather_code=hour.weather_code,
                temperature_c=hour.temperature_c,
                temperature_f=_fahrenheit(hour.temperature_c),
                precipitation_chance=hour.precipitation_chance,
                precipitation_mm=hour.precipitation_mm,
                wind_speed_kmh=hour.wind_speed_kmh,
                wind_speed_mph=_mph(hour.wind_speed_kmh),
                wind_direction=compass_point(hour.wind_direction_degrees)
                if hour.wind_direction_degrees is not None
                else None,
            )
            for hour in ahead[:hours]
        ],
        available_hours=len(ahead),
        freshness=freshness,
    )


def build_point_conditions(
    lookup: Lookup[PointForecast],
    latitude: float,
    longitude: float,
    *,
    freshness: Freshness,
    now: datetime | None = None,
) -> PointConditionsResult | None:
    """The model's current values at the point, or None when Open-Meteo sent none."""
    forecast = lookup.value
    current = forecast.current
    if current is None:
        return None
    local = local_now(forecast.utc_offset_seconds, now)
    return PointConditionsResult(
        **_place(forecast, latitude, longitude, local),
        valid_at=current.time,
        weather=weather_words(current.weather_code),
        weather_code=current.weather_code,
        is_day=current.is_day,
        temperature_c=current.temperature_c,
        temperature_f=_fahrenheit(current.temperature_c),
        feels_like_c=current.apparent_temperature_c,
        feels_like_f=_fahrenheit(current.apparent_temperature_c),
        relative_humidity=current.relative_humidity,
        wind_speed_kmh=current.wind_speed_kmh,
        wind_speed_mph=_mph(current.wind_speed_kmh),
        wind_direction_degrees=current.wind_direction_degrees,
        wind_direction=compass_point(current.wind_direction_degrees)
        if current.wind_direction_degrees is not None
        else None,
        wind_gust_kmh=current.wind_gust_kmh,
        wind_gust_mph=_mph(current.wind_gust_kmh),
        pressure_hpa=current.pressure_hpa,
        pressure_inhg=round(pa_to_inhg(current.pressure_hpa * 100), 2)
        if current.pressure_hpa is not None
        else None,
        precipitation_mm=current.precipitation_mm,
        cloud_cover=current.cloud_cover,
        freshness=freshness,
    )


def build_air_quality(
    lookup: Lookup[AirQuality],
    latitude: float,
    longitude: float,
    *,
    freshness: Freshness,
    now: datetime | None = None,
) -> AirQualityResult:
    """The current air quality with each index's category."""
    air = lookup.value
    local = local_now(air.utc_offset_seconds, now)
    return AirQualityResult(
        **_place(air, latitude, longitude, local),
        valid_at=air.time,
        us_aqi=air.us_aqi,
        us_aqi_category=us_aqi_category(air.us_aqi),
        european_aqi=air.european_aqi,
        european_aqi_category=european_aqi_category(air.european_aqi),
        pm2_5=air.pm2_5,
        pm10=air.pm10,
        ozone=air.ozone,
        nitrogen_dioxide=air.nitrogen_dioxide,
        units=air.units,
        freshness=freshness,
    )
