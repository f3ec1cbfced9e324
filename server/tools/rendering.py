"""Tool answers as text for people: absent fields are left out, never shown as None."""

from __future__ import annotations

from datetime import datetime

from server.coordinates import format_coordinate
from server.models import (
    Alert,
    AlertsResult,
    ConditionsResult,
    ForecastPeriod,
    ForecastResult,
    Freshness,
    HourlyForecastResult,
    HourlyPeriod,
    PointAlertsResult,
)
from server.tools.conditions import describe_age


def stale_note(freshness: Freshness, what: str) -> str:
    """The note put before an answer served from a stale cache entry."""
    minutes = max(1, round(freshness.age_seconds / 60))
    return (
        f"Note: the National Weather Service did not answer just now, so this is the {what} fetched"
        f" {minutes} minute{'s' if minutes != 1 else ''} ago ({freshness.fetched_at}); it may be out of date."
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def render_period(period: ForecastPeriod, index: int) -> str:
    """One forecast period as text; absent fields are left out, never shown as None."""
    lines = [period.name or f"Period {index}"]
    if period.temperature is not None:
        unit = f"°{period.temperature_unit}" if period.temperature_unit else "°"
        lines.append(f"  Temperature: {_number(period.temperature)}{unit}")
    wind = " ".join(part for part in (period.wind_speed, period.wind_direction) if part)
    if wind:
        lines.append(f"  Wind: {wind}")
    if period.precipitation_chance is not None:
        lines.append(f"  Chance of precipitation: {period.precipitation_chance}%")
    text = period.detailed_forecast or period.short_forecast
    if text:
        lines.append(f"  {text}")
    return "\n".join(lines)


def render_forecast(result: ForecastResult) -> str:
    """The whole forecast answer as text."""
    where = f"{_number(result.latitude)}, {_number(result.longitude)}"
    title = f"Forecast for {result.place} ({where})" if result.place else f"Forecast for {where}"
    header = f"{title}, NWS grid {result.grid}"
    if result.updated:
        header += f", updated {result.updated}"
    parts = [header + ":"]
    if result.freshness.stale:
        parts.append(stale_note(result.freshness, "forecast"))
    if not result.periods:
        parts.append("The National Weather Service published no forecast periods for this point.")
    parts.extend(render_period(period, index) for index, period in enumerate(result.periods, 1))
    if result.available_periods > len(result.periods):
        parts.append(
            f"({len(result.periods)} of {result.available_periods} periods shown; ask for more with"
            " the periods parameter.)"
        )
    return "\n\n".join(parts)


def render_alert(alert: Alert) -> str:
    """One alert as text; absent fields are left out, never shown as None."""
    ratings = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("severity", alert.severity),
            ("urgency", alert.urgency),
            ("certainty", alert.certainty),
        )
        if value
    )
    lines = [alert.event or "Alert"]
    if ratings:
        lines[0] += f" ({ratings})"
    for label, value in (
        ("Area", alert.area),
        ("Headline", alert.headline),
        ("Effective", alert.effective),
        ("Onset", alert.onset),
        ("Expires", alert.expires),
        ("Ends", alert.ends),
    ):
        if value:
            lines.append(f"{label}: {value}")
    if alert.description:
        lines.append(f"Description: {alert.description}")
    if alert.instruction:
        lines.append(f"Instructions: {alert.instruction}")
    return "\n".join(lines)


def point_text(latitude: float, longitude: float) -> str:
    """'39.7456, -104.9903': coordinates as queried (at most 4 decimals, all significant digits)."""
    return f"{format_coordinate(latitude)}, {format_coordinate(longitude)}"


def plural(count: int, word: str) -> str:
    """'1 station', '2 stations'."""
    return f"{count} {word}{'s' if count != 1 else ''}"


def render_alerts(result: AlertsResult | PointAlertsResult) -> str:
    """The whole alerts answer as text (for an area or for a point)."""
    where = (
        point_text(result.latitude, result.longitude)
        if isinstance(result, PointAlertsResult)
        else result.area
    )
    kind = f"{result.severity} weather alert" if result.severity else "weather alert"
    parts = []
    if result.freshness.stale:
        parts.append(stale_note(result.freshness, "alert list"))
    if result.total == 0:
        line = f"No active {kind}s for {where}."
        if result.severity and result.total_unfiltered:
            line += f" ({plural(result.total_unfiltered, 'active alert')} of other severities.)"
        parts.append(line)
        return "\n\n".join(parts)
    count = f"{plural(result.total, 'active ' + kind)} for {where}"
    details = []
    if result.severity and result.total_unfiltered is not None:
        details.append(f"of {plural(result.total_unfiltered, 'active alert')} of any severity")
    if result.total > len(result.alerts):
        details.append(f"showing the first {len(result.alerts)}")
    if details:
        count += f" ({'; '.join(details)})"
    parts.append(count + ":")
    parts.append("\n\n---\n\n".join(render_alert(alert) for alert in result.alerts))
    return "\n\n".join(parts)


def _hour_label(start_time: str | None, index: int) -> str:
    """'Tue Jun 3, 1 PM' in the forecast's local time (NWS sends the offset), or 'Hour 5'."""
    try:
        when = datetime.fromisoformat(start_time) if start_time else None
    except ValueError:
        when = None
    if when is None:
        return f"Hour {index}"
    hour = when.hour % 12 or 12
    return f"{when:%a %b} {when.day}, {hour} {'AM' if when.hour < 12 else 'PM'}"


def render_hour(period: HourlyPeriod, index: int) -> str:
    """One hour as one line; absent fields are left out, never shown as None."""
    parts = []
    if period.temperature is not None:
        unit = f"°{period.temperature_unit}" if period.temperature_unit else "°"
        parts.append(f"{_number(period.temperature)}{unit}")
    if period.precipitation_chance is not None:
        parts.append(f"{period.precipitation_chance}% chance of precipitation")
    wind = " ".join(part for part in (period.wind_speed, period.wind_direction) if part)
    if wind:
        parts.append(f"wind {wind}")
    if period.short_forecast:
        parts.append(period.short_forecast)
    return f"{_hour_label(period.start_time, index)}: {', '.join(parts) or 'no details published'}"


def render_hourly(result: HourlyForecastResult) -> str:
    """The whole hourly forecast answer as text."""
    where = point_text(result.latitude, result.longitude)
    title = (
        f"Hourly forecast for {result.place} ({where})" if result.place else f"Hourly forecast for {where}"
    )
    header = f"{title}, NWS grid {result.grid}"
    if result.updated:
        header += f", updated {result.updated}"
    parts = [header + ":"]
    if result.freshness.stale:
        parts.append(stale_note(result.freshness, "hourly forecast"))
    if not result.hours:
        parts.append("The National Weather Service published no hourly forecast for this point.")
    else:
        parts.append("\n".join(render_hour(hour, index) for index, hour in enumerate(result.hours, 1)))
    if result.available_hours > len(result.hours):
        parts.append(
            f"({len(result.hours)} of {result.available_hours} hours shown; ask for more with the hours"
            " parameter.)"
        )
    return "\n\n".join(parts)


def _whole(value: float) -> str:
    text = f"{value:.0f}"
    return "0" if text == "-0" else text


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _temperature(fahrenheit: float | None, celsius: float | None) -> str | None:
    if fahrenheit is None or celsius is None:
        return None
    return f"{_whole(fahrenheit)}°F ({_one_decimal(celsius)}°C)"


def _wind(result: ConditionsResult) -> str | None:
    if result.wind_speed_mph is None or result.wind_speed_kmh is None:
        return None
    if round(result.wind_speed_mph) == 0:
        text = "calm"
    else:
        text = f"{_whole(result.wind_speed_mph)} mph ({_one_decimal(result.wind_speed_kmh)} km/h)"
        if result.wind_direction is not None and result.wind_direction_degrees is not None:
            text = f"from the {result.wind_direction} ({_whole(result.wind_direction_degrees)}°) at {text}"
    if result.wind_gust_mph is not None and result.wind_gust_kmh is not None:
        gust_mph, gust_kmh = _whole(result.wind_gust_mph), _one_decimal(result.wind_gust_kmh)
        text += f", gusting to {gust_mph} mph ({gust_kmh} km/h)"
    return text


def render_conditions(result: ConditionsResult) -> str:
    """The conditions as text: only what the station reported, never "None"."""
    where = point_text(result.latitude, result.longitude)
    title = (
        f"Current conditions near {result.place} ({where})"
        if result.place
        else f"Current conditions at {where}"
    )
    station = result.station
    source = f"station {station.id}" + (f" ({station.name})" if station.name else "")
    if station.distance_miles is not None and station.distance_km is not None:
        source += (
            f", {_whole(station.distance_miles)} miles ({_whole(station.distance_km)} km) from the point"
        )
    observed = result.observed_at.replace("T", " ").replace("Z", " UTC")
    age = "just now" if result.age_minutes < 1 else f"{describe_age(result.age_minutes * 60)} ago"
    lines = [f"{title}, observed at {source}, at {observed} ({age}):"]
    if result.description:
        lines.append(result.description)
    for label, value in (
        ("Temperature", _temperature(result.temperature_f, result.temperature_c)),
        ("Heat index", _temperature(result.heat_index_f, result.heat_index_c)),
        ("Wind chill", _temperature(result.wind_chill_f, result.wind_chill_c)),
        ("Dew point", _temperature(result.dewpoint_f, result.dewpoint_c)),
        (
            "Humidity",
            f"{_whole(result.relative_humidity)}%" if result.relative_humidity is not None else None,
        ),
        ("Wind", _wind(result)),
        (
            "Pressure",
            f"{result.pressure_inhg:.2f} inHg ({_whole(result.pressure_hpa)} hPa)"
            if result.pressure_inhg is not None and result.pressure_hpa is not None
            else None,
        ),
        (
            "Visibility",
            f"{_one_decimal(result.visibility_miles)} miles ({_one_decimal(result.visibility_km)} km)"
            if result.visibility_miles is not None and result.visibility_km is not None
            else None,
        ),
    ):
        if value is not None:
            lines.append(f"{label}: {value}")
    if result.skipped_stations:
        skipped = "; ".join(f"{item.id}: {item.reason}" for item in result.skipped_stations)
        lines.append(f"(Nearer stations skipped: {skipped}.)")
    return "\n".join(lines)
