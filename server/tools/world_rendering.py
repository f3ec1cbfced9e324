"""Answers from Open-Meteo as text for people: temperatures as '15 °C (59 °F)', weather in words, the
place's local time, and the source with its attribution at the end. Absent values are left out,
never shown as None.
"""

from __future__ import annotations

from datetime import datetime

from server.models import Freshness
from server.tools.rendering import plural, point_text
from server.world_models import (
    ATTRIBUTION,
    AirQualityResult,
    DayForecast,
    HourForecast,
    LocationsResult,
    Place,
    PointConditionsResult,
    PointForecastResult,
    PointHourlyResult,
)

#: The last paragraph of every Open-Meteo answer.
SOURCE_LINE = f"Source: {ATTRIBUTION}."


def world_stale_note(freshness: Freshness, what: str) -> str:
    """The note put before an answer served from a stale cache entry because Open-Meteo failed."""
    minutes = max(1, round(freshness.age_seconds / 60))
    return (
        f"Note: Open-Meteo did not answer just now, so this is the {what} fetched {minutes}"
        f" minute{'s' if minutes != 1 else ''} ago ({freshness.fetched_at}); it may be out of date."
    )


def _whole(value: float) -> str:
    text = f"{value:.0f}"
    return "0" if text == "-0" else text


def _decimal(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def temperature(celsius: float | None, fahrenheit: float | None) -> str | None:
    """'15 °C (59 °F)': both scales, whole degrees; None when unknown."""
    if celsius is None or fahrenheit is None:
        return None
    return f"{_whole(celsius)} °C ({_whole(fahrenheit)} °F)"


def _speed(kmh: float | None, mph: float | None) -> str | None:
    if kmh is None or mph is None:
        return None
    return f"{_whole(kmh)} km/h ({_whole(mph)} mph)"


def _clock(value: str | None) -> str | None:
    """'2:05 PM' from a local ISO time (no offset), or None."""
    try:
        when = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if when is None:
        return None
    hour = when.hour % 12 or 12
    minutes = f":{when.minute:02d}" if when.minute else ""
    return f"{hour}{minutes} {'AM' if when.hour < 12 else 'PM'}"


def _day_label(value: str) -> str:
    """'Tue Jun 3' from an ISO date (the date itself when unreadable)."""
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        return value
    return f"{day:%a %b} {day.day}"


def _offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    return f"UTC{sign}{hours:02d}:{rest // 60:02d}"


def local_time_text(
    result: PointForecastResult | PointHourlyResult | PointConditionsResult | AirQualityResult,
) -> str:
    """'local time Tue Jun 3, 2:05 PM KST (Asia/Seoul, UTC+09:00)'."""
    now = datetime.fromisoformat(result.local_time)
    zone = ", ".join(
        part
        for part in (
            result.timezone if result.timezone != "GMT" else None,
            _offset(result.utc_offset_seconds),
        )
        if part
    )
    abbreviation = f" {result.timezone_abbreviation}" if result.timezone_abbreviation else ""
    return (
        f"local time {_day_label(now.date().isoformat())}, {_clock(now.isoformat())}{abbreviation} ({zone})"
    )


def _header(
    title: str,
    result: PointForecastResult | PointHourlyResult | PointConditionsResult | AirQualityResult,
    preposition: str = "for",
) -> str:
    where = point_text(result.latitude, result.longitude)
    grid = point_text(result.grid_latitude, result.grid_longitude)
    return (
        f"{title} {preposition} {where} from Open-Meteo (model grid point {grid}), {local_time_text(result)}:"
    )


def render_day(day: DayForecast, label: str) -> str:
    """One day as text: its weather in words, high and low in both scales, rain, wind, sun."""
    lines = [f"{label}: {day.weather}"]
    high, low = temperature(day.high_c, day.high_f), temperature(day.low_c, day.low_f)
    extremes = ", ".join(
        part for part in (f"high {high}" if high else None, f"low {low}" if low else None) if part
    )
    if extremes:
        lines.append(f"  {extremes[0].upper()}{extremes[1:]}")
    rain = []
    if day.precipitation_chance is not None:
        rain.append(f"{day.precipitation_chance}% chance of precipitation")
    if day.precipitation_mm is not None:
        rain.append(f"{_decimal(day.precipitation_mm)} mm expected")
    if rain:
        lines.append("  " + ", ".join(rain).capitalize())
    wind = _speed(day.wind_max_kmh, day.wind_max_mph)
    if wind:
        lines.append(f"  Wind up to {wind}")
    sun = ", ".join(
        f"{name} {clock}"
        for name, clock in (("sunrise", _clock(day.sunrise)), ("sunset", _clock(day.sunset)))
        if clock
    )
    if sun:
        lines.append(f"  {sun[0].upper()}{sun[1:]}")
    return "\n".join(lines)


def render_point_forecast(result: PointForecastResult) -> str:
    """The whole daily forecast outside NWS coverage as text."""
    parts = [_header("Forecast", result)]
    if result.elevation_m is not None:
        parts[0] = parts[0][:-1] + f", elevation {_whole(result.elevation_m)} m:"
    if result.freshness.stale:
        parts.append(world_stale_note(result.freshness, "forecast"))
    today = datetime.fromisoformat(result.local_time).date().isoformat()
    if not result.days:
        parts.append("Open-Meteo published no forecast days from today for this point.")
    for day in result.days:
        label = f"Today, {_day_label(day.date)}" if day.date == today else _day_label(day.date)
        parts.append(render_day(day, label))
    if result.available_days > len(result.days):
        parts.append(
            f"({len(result.days)} of {result.available_days} days shown; ask for more with the periods"
            " parameter: two periods make a day.)"
        )
    parts.append(SOURCE_LINE)
    return "\n\n".join(parts)


def render_hour(hour: HourForecast) -> str:
    """One hour as one line."""
    parts = [hour.weather]
    value = temperature(hour.temperature_c, hour.temperature_f)
    if value:
        parts.append(value)
    if hour.precipitation_chance is not None:
        parts.append(f"{hour.precipitation_chance}% chance of precipitation")
    wind = _speed(hour.wind_speed_kmh, hour.wind_speed_mph)
    if wind:
        parts.append(f"wind {wind}" + (f" from the {hour.wind_direction}" if hour.wind_direction else ""))
    when = _clock(hour.time)
    label = f"{_day_label(hour.time[:10])}, {when}" if when else hour.time
    return f"{label}: {', '.join(parts)}"


def render_point_hourly(result: PointHourlyResult) -> str:
    """The whole hourly forecast outside NWS coverage as text."""
    parts = [_header("Hourly forecast", result)]
    if result.freshness.stale:
        parts.append(world_stale_note(result.freshness, "hourly forecast"))
    if not result.hours:
        parts.append("Open-Meteo published no hourly forecast from now for this point.")
    else:
        parts.append("\n".join(render_hour(hour) for hour in result.hours))
    if result.available_hours > len(result.hours):
        parts.append(
            f"({len(result.hours)} of {result.available_hours} hours shown; ask for more with the hours"
            " parameter.)"
        )
    parts.append(SOURCE_LINE)
    return "\n\n".join(parts)


def _wind(result: PointConditionsResult) -> str | None:
    speed = _speed(result.wind_speed_kmh, result.wind_speed_mph)
    if speed is None or result.wind_speed_kmh is None:
        return None
    if round(result.wind_speed_kmh) == 0:
        text = "calm"
    elif result.wind_direction is not None and result.wind_direction_degrees is not None:
        text = f"from the {result.wind_direction} ({_whole(result.wind_direction_degrees)}°) at {speed}"
    else:
        text = speed
    gust = _speed(result.wind_gust_kmh, result.wind_gust_mph)
    return text + (f", gusting to {gust}" if gust else "")


def render_point_conditions(result: PointConditionsResult) -> str:
    """The current conditions outside NWS coverage as text (a model estimate, said so)."""
    valid = _clock(result.valid_at)
    header = _header("Current conditions", result, "at")
    lines = [
        header[:-1] + f"; model values for {valid} local time, not a station observation:"
        if valid
        else header
    ]
    weather = result.weather + {True: " (day)", False: " (night)", None: ""}[result.is_day]
    lines.append(weather)
    feels = temperature(result.feels_like_c, result.feels_like_f)
    value = temperature(result.temperature_c, result.temperature_f)
    for label, text in (
        ("Temperature", value + (f", feels like {feels}" if feels else "") if value else None),
        (
            "Humidity",
            f"{_whole(result.relative_humidity)}%" if result.relative_humidity is not None else None,
        ),
        ("Wind", _wind(result)),
        (
            "Pressure",
            f"{_whole(result.pressure_hpa)} hPa ({result.pressure_inhg:.2f} inHg)"
            if result.pressure_hpa is not None and result.pressure_inhg is not None
            else None,
        ),
        (
            "Precipitation",
            f"{_decimal(result.precipitation_mm)} mm" if result.precipitation_mm is not None else None,
        ),
        ("Cloud cover", f"{_whole(result.cloud_cover)}%" if result.cloud_cover is not None else None),
    ):
        if text is not None:
            lines.append(f"{label}: {text}")
    text = "\n".join(lines)
    if result.freshness.stale:
        text = world_stale_note(result.freshness, "current conditions") + "\n\n" + text
    return text + "\n\n" + SOURCE_LINE


def render_air_quality(result: AirQualityResult) -> str:
    """The air quality as text: each index with its category, each pollutant with its unit."""
    valid = _clock(result.valid_at)
    header = _header("Air quality", result, "at")
    lines = [header[:-1] + f"; values for {valid} local time:" if valid else header]
    for label, value, category in (
        ("US AQI", result.us_aqi, result.us_aqi_category),
        ("European AQI", result.european_aqi, result.european_aqi_category),
    ):
        if value is not None:
            lines.append(f"{label}: {_whole(value)}" + (f" ({category})" if category else ""))
    for label, name, value in (
        ("PM2.5", "pm2_5", result.pm2_5),
        ("PM10", "pm10", result.pm10),
        ("Ozone (O3)", "ozone", result.ozone),
        ("Nitrogen dioxide (NO2)", "nitrogen_dioxide", result.nitrogen_dioxide),
    ):
        if value is not None:
            unit = result.units.get(name, "μg/m³")
            lines.append(f"{label}: {_decimal(value)} {unit}")
    if len(lines) == 1:
        lines.append("Open-Meteo published no air quality values for this point right now.")
    text = "\n".join(lines)
    if result.freshness.stale:
        text = world_stale_note(result.freshness, "air quality") + "\n\n" + text
    return text + "\n\n" + SOURCE_LINE


def _place_line(index: int, place: Place) -> str:
    parts: list[str] = []
    for part in (place.name, place.district, place.admin_area, place.country):
        if part and part not in parts:  # "Seoul, South Korea", not "Seoul, Seoul, South Korea"
            parts.append(part)
    where = ", ".join(parts)
    details = [f"{point_text(place.latitude, place.longitude)}"]
    if place.timezone:
        details.append(f"time zone {place.timezone}")
    if place.population:
        details.append(f"population {place.population:,}")
    if place.elevation_m is not None:
        details.append(f"elevation {_whole(place.elevation_m)} m")
    return f"{index}. {where}: {'; '.join(details)}"


def render_locations(result: LocationsResult) -> str:
    """The places matching a name, or a clear answer that none does."""
    if not result.places:
        return (
            f'No place matches "{result.query}" at Open-Meteo. Check the spelling, or try the name in'
            " another language or script, or without the region after a comma.\n\n" + SOURCE_LINE
        )
    parts = []
    if result.freshness.stale:
        parts.append(world_stale_note(result.freshness, "place list"))
    verb = "matches" if result.total == 1 else "match"
    heading = f'{plural(result.total, "place")} {verb} "{result.query}"'
    if result.total > 1:
        heading += " (most relevant first; ask the person which one they mean if it is not clear)"
    parts.append(heading + ":")
    parts.append("\n".join(_place_line(index, place) for index, place in enumerate(result.places, 1)))
    parts.append(
        "Pass a place's latitude and longitude to get_forecast, get_current_conditions,"
        " get_hourly_forecast, get_alerts_for_point or get_air_quality."
    )
    parts.append(SOURCE_LINE)
    return "\n\n".join(parts)
