"""The MCP tools: get_alerts, get_forecast, get_current_conditions, get_hourly_forecast and
get_alerts_for_point. Validate, ask the NWS client, render text + structure.

Tool names and parameters are a public contract (see docs/ARCHITECTURE.md); new parameters must be optional.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Final

import anyio
from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.exceptions import ValidationError as ArgumentValidationError
from fastmcp.server.middleware import MiddlewareContext
from fastmcp.tools.base import ToolResult
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from server.cache import Lookup
from server.conditions import MAX_STATIONS_TRIED, build_conditions, render_conditions, unusable_reason
from server.logs import get_logger
from server.models import (
    Alert,
    AlertsResult,
    ConditionsResult,
    ForecastPeriod,
    ForecastResult,
    Freshness,
    GridPoint,
    HourlyForecastResult,
    HourlyPeriod,
    Observation,
    PointAlertsResult,
    SkippedStation,
    Station,
)
from server.nws import NwsClient, NwsError, PointNotCovered, format_coordinate
from server.settings import TOOL_TIMEOUT_SECONDS
from server.tool_middleware import ToolCallMiddleware

#: Key of the NWS client in the lifespan context.
NWS_CLIENT_KEY: Final = "nws"

# Areas /alerts/active/area/{area} accepts; anything else is a 400 from NWS.
STATE_CODES: Final = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
        "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
        "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    }
)  # fmt: skip
TERRITORY_CODES: Final = frozenset({"AS", "GU", "MP", "PR", "VI", "PW", "FM", "MH"})
MARINE_CODES: Final = frozenset(
    {"AM", "AN", "GM", "LC", "LE", "LH", "LM", "LO", "LS", "PH", "PK", "PM", "PS", "PZ", "SL"}
)
AREA_CODES: Final = STATE_CODES | TERRITORY_CODES | MARINE_CODES

DEFAULT_PERIODS: Final = 5
MAX_PERIODS: Final = 50
MAX_ALERTS_SHOWN: Final = 25
DEFAULT_HOURS: Final = 12
#: Hours NWS publishes in an hourly forecast (6.5 days).
MAX_HOURS: Final = 156
#: Severities of the Common Alerting Protocol, as NWS writes them.
SEVERITIES: Final = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
#: get_current_conditions may need several upstream requests in a row (point, stations, then one
#: observation per station tried); all of them must fit in the tool's timeout, with a margin.
CONDITIONS_BUDGET_SECONDS: Final = TOOL_TIMEOUT_SECONDS - 1

_ANNOTATIONS: Final = {
    "read_only_hint": True,
    "destructive_hint": False,
    "idempotent_hint": True,
    "open_world_hint": True,
}

log = get_logger(__name__)


def _input_error(message: str) -> ToolError:
    """A ToolError about the caller's input: logged at info level, it is not a server problem."""
    return ToolError(message, log_level=logging.INFO)


def _client(ctx: Context) -> NwsClient:
    return ctx.lifespan_context[NWS_CLIENT_KEY]


@contextmanager
def _upstream_errors(tool: str) -> Iterator[None]:
    """NWS failures become ToolErrors with their actionable sentence; anything else is logged and masked."""
    try:
        yield
    except ToolError:
        raise
    except NwsError as error:
        raise ToolError(str(error), log_level=logging.WARNING) from None
    except Exception:
        log.exception("tool_internal_error", tool=tool)
        raise ToolError(
            f"{tool} failed because of an internal error in this weather server (not in the National"
            " Weather Service). Retrying is unlikely to help; the operator can find details in the"
            " server logs."
        ) from None


def _freshness(lookup: Lookup[Any]) -> Freshness:
    fetched = datetime.fromtimestamp(lookup.fetched_at, UTC)
    return Freshness(
        stale=lookup.status == "stale",
        fetched_at=fetched.isoformat(timespec="seconds").replace("+00:00", "Z"),
        age_seconds=max(0, round(time.time() - lookup.fetched_at)),
    )


def _stale_note(freshness: Freshness, what: str) -> str:
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
        parts.append(_stale_note(result.freshness, "forecast"))
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


def _where(latitude: float, longitude: float) -> str:
    """'39.7456, -104.9903': coordinates as queried (at most 4 decimals, all significant digits)."""
    return f"{format_coordinate(latitude)}, {format_coordinate(longitude)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def render_alerts(result: AlertsResult | PointAlertsResult) -> str:
    """The whole alerts answer as text (for an area or for a point)."""
    where = (
        _where(result.latitude, result.longitude) if isinstance(result, PointAlertsResult) else result.area
    )
    kind = f"{result.severity} weather alert" if result.severity else "weather alert"
    parts = []
    if result.freshness.stale:
        parts.append(_stale_note(result.freshness, "alert list"))
    if result.total == 0:
        line = f"No active {kind}s for {where}."
        if result.severity and result.total_unfiltered:
            line += f" ({_plural(result.total_unfiltered, 'active alert')} of other severities.)"
        parts.append(line)
        return "\n\n".join(parts)
    count = f"{_plural(result.total, 'active ' + kind)} for {where}"
    details = []
    if result.severity and result.total_unfiltered is not None:
        details.append(f"of {_plural(result.total_unfiltered, 'active alert')} of any severity")
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
    where = _where(result.latitude, result.longitude)
    title = (
        f"Hourly forecast for {result.place} ({where})" if result.place else f"Hourly forecast for {where}"
    )
    header = f"{title}, NWS grid {result.grid}"
    if result.updated:
        header += f", updated {result.updated}"
    parts = [header + ":"]
    if result.freshness.stale:
        parts.append(_stale_note(result.freshness, "hourly forecast"))
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


def normalize_area(state: str) -> str:
    """Upper-case area code, or a ToolError that lists what is accepted."""
    code = state.strip().upper() if isinstance(state, str) else ""
    if code in AREA_CODES:
        return code
    raise _input_error(
        f"{state!r} is not an area the National Weather Service publishes alerts for. Use a two-letter"
        " US state or territory code (for example CA, TX, DC, PR, GU) or an NWS marine area code"
        f" ({', '.join(sorted(MARINE_CODES))})."
    )


def normalize_severity(severity: str | None) -> str | None:
    """The severity as NWS writes it (e.g. 'Severe'), None for no filter, or a ToolError listing them."""
    if severity is None:
        return None
    wanted = severity.strip().lower() if isinstance(severity, str) else ""
    for known in SEVERITIES:
        if known.lower() == wanted:
            return known
    raise _input_error(
        f"{severity!r} is not an alert severity. Use one of {', '.join(SEVERITIES)} (any case), or leave"
        " severity out for every alert."
    )


def filter_severity(alerts: tuple[Alert, ...], severity: str | None) -> tuple[Alert, ...]:
    """The alerts of one severity (all when severity is None); NWS's own case is not trusted."""
    if severity is None:
        return alerts
    return tuple(alert for alert in alerts if (alert.severity or "").lower() == severity.lower())


def check_coordinate(name: str, value: float, limit: int) -> float:
    """The coordinate rounded to 4 decimals (NWS's precision), or a ToolError naming the problem."""
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise _input_error(f"{name} must be a number between -{limit} and {limit} (got {value}).")
    return round(value, 4)


SeverityParameter = Annotated[
    str | None,
    Field(
        description="Only alerts of this severity: Extreme, Severe, Moderate, Minor or Unknown"
        " (case-insensitive). Leave out for every alert.",
    ),
]
LatitudeParameter = Annotated[
    float,
    Field(
        description="Latitude in decimal degrees, -90 to 90 (north positive); rounded to 4 decimals.",
        json_schema_extra={"minimum": -90, "maximum": 90},
    ),
]
LongitudeParameter = Annotated[
    float,
    Field(
        description="Longitude in decimal degrees, -180 to 180 (east positive, so the US is"
        " negative); rounded to 4 decimals.",
        json_schema_extra={"minimum": -180, "maximum": 180},
    ),
]


async def _covered_point(client: NwsClient, lat: float, lon: float, what: str) -> GridPoint:
    """The point's grid cell, or an input error saying the point is outside NWS coverage."""
    try:
        return (await client.point(lat, lon)).value
    except PointNotCovered:
        raise _input_error(
            f"No {what} for {_where(lat, lon)}: the National Weather Service covers the United States"
            " and its territories only. Check the coordinates (latitude first;"
            " longitudes in the Americas are negative)."
        ) from None


async def get_alerts(
    state: Annotated[
        str,
        Field(
            description="Two-letter US state or territory code (e.g. CA, NY, PR) or NWS marine area code"
            " (e.g. GM for the Gulf of America/Mexico); case-insensitive.",
        ),
    ],
    ctx: Context,
    severity: SeverityParameter = None,
) -> ToolResult:
    """Get the active weather alerts (warnings, watches, advisories) the US National Weather Service
    has issued for a US state, territory or marine area.

    Returns each alert's event, affected area, severity, urgency, certainty, headline, description,
    instructions and effective/expiry times. An empty list means no alerts are in effect.
    Optionally only the alerts of one severity (Extreme, Severe, Moderate, Minor, Unknown).
    """
    area = normalize_area(state)
    wanted = normalize_severity(severity)
    with _upstream_errors("get_alerts"):
        lookup = await _client(ctx).alerts(area)
    alerts = filter_severity(lookup.value, wanted)
    result = AlertsResult(
        area=area,
        total=len(alerts),
        alerts=list(alerts[:MAX_ALERTS_SHOWN]),
        severity=wanted,
        total_unfiltered=len(lookup.value) if wanted else None,
        freshness=_freshness(lookup),
    )
    return ToolResult(content=render_alerts(result), structured_content=result)


async def get_forecast(
    latitude: Annotated[
        float,
        Field(
            description="Latitude in decimal degrees, -90 to 90 (north positive); rounded to 4 decimals.",
            json_schema_extra={"minimum": -90, "maximum": 90},
        ),
    ],
    longitude: Annotated[
        float,
        Field(
            description="Longitude in decimal degrees, -180 to 180 (east positive, so the US is"
            " negative); rounded to 4 decimals.",
            json_schema_extra={"minimum": -180, "maximum": 180},
        ),
    ],
    ctx: Context,
    periods: Annotated[
        int,
        Field(
            description=f"How many forecast periods (half-days) to return, 1 to {MAX_PERIODS}; NWS"
            " usually publishes 14 (7 days).",
            json_schema_extra={"minimum": 1, "maximum": MAX_PERIODS},
        ),
    ] = DEFAULT_PERIODS,
) -> ToolResult:
    """Get the US National Weather Service forecast for a location in the United States or its
    territories, given its latitude and longitude.

    Returns the next forecast periods ("Tonight", "Wednesday", ...) with temperature, wind,
    chance of precipitation and a detailed description, plus the nearest named place.
    Locations outside NWS coverage (other countries, open ocean) are an error.
    """
    lat = check_coordinate("latitude", latitude, 90)
    lon = check_coordinate("longitude", longitude, 180)
    if not 1 <= periods <= MAX_PERIODS:
        raise _input_error(f"periods must be between 1 and {MAX_PERIODS} (got {periods}).")
    client = _client(ctx)
    with _upstream_errors("get_forecast"):
        try:
            point = await client.point(lat, lon)
        except PointNotCovered:
            raise _input_error(
                f"No forecast for {_number(lat)}, {_number(lon)}: the National Weather Service covers"
                " the United States and its territories only. Check the coordinates (latitude first;"
                " longitudes in the Americas are negative)."
            ) from None
        forecast = await client.forecast(point.value)
    result = ForecastResult(
        latitude=lat,
        longitude=lon,
        place=point.value.place,
        grid=point.value.grid,
        updated=forecast.value.updated,
        periods=list(forecast.value.periods[:periods]),
        available_periods=len(forecast.value.periods),
        freshness=_freshness(forecast),
    )
    return ToolResult(content=render_forecast(result), structured_content=result)


async def get_hourly_forecast(
    latitude: LatitudeParameter,
    longitude: LongitudeParameter,
    ctx: Context,
    hours: Annotated[
        int,
        Field(
            description=f"How many hours to return, 1 to {MAX_HOURS} (what NWS publishes); default"
            f" {DEFAULT_HOURS}.",
            json_schema_extra={"minimum": 1, "maximum": MAX_HOURS},
        ),
    ] = DEFAULT_HOURS,
) -> ToolResult:
    """Get the US National Weather Service hour-by-hour forecast for a location in the United States
    or its territories, given its latitude and longitude.

    Returns each hour's time (local), temperature, chance of precipitation, wind and a short
    forecast ("Chance Showers"), plus the nearest named place. Good for "will it rain in the next
    few hours". Locations outside NWS coverage are an error.
    """
    lat = check_coordinate("latitude", latitude, 90)
    lon = check_coordinate("longitude", longitude, 180)
    if not 1 <= hours <= MAX_HOURS:
        raise _input_error(f"hours must be between 1 and {MAX_HOURS} (got {hours}).")
    client = _client(ctx)
    with _upstream_errors("get_hourly_forecast"):
        point = await _covered_point(client, lat, lon, "hourly forecast")
        forecast = await client.hourly_forecast(point)
    hours_published = forecast.value.hours
    result = HourlyForecastResult(
        latitude=lat,
        longitude=lon,
        place=point.place,
        grid=point.grid,
        updated=forecast.value.updated,
        hours=[HourlyPeriod(**dataclasses.asdict(hour)) for hour in hours_published[:hours]],
        available_hours=len(hours_published),
        freshness=_freshness(forecast),
    )
    return ToolResult(content=render_hourly(result), structured_content=result)


async def get_alerts_for_point(
    latitude: LatitudeParameter,
    longitude: LongitudeParameter,
    ctx: Context,
    severity: SeverityParameter = None,
) -> ToolResult:
    """Get the active weather alerts (warnings, watches, advisories) that the US National Weather Service
    has issued for areas containing a location, given its latitude and longitude: "is there a warning
    where I am" without knowing the state.

    Returns each alert's event, affected area, severity, urgency, certainty, headline, description,
    instructions and effective/expiry times. An empty list means no alerts are in effect there.
    Optionally only the alerts of one severity (Extreme, Severe, Moderate, Minor, Unknown).
    """
    lat = check_coordinate("latitude", latitude, 90)
    lon = check_coordinate("longitude", longitude, 180)
    wanted = normalize_severity(severity)
    with _upstream_errors("get_alerts_for_point"):
        lookup = await _client(ctx).point_alerts(lat, lon)
    if lookup.value is None:
        raise _input_error(
            f"The National Weather Service does not issue alerts for {_where(lat, lon)}: it covers the"
            " United States, its territories and their coastal waters. Check the coordinates"
            " (latitude first; longitudes in the Americas are negative); for offshore waters, use"
            " get_alerts with a marine area code."
        )
    alerts = filter_severity(lookup.value, wanted)
    result = PointAlertsResult(
        latitude=lat,
        longitude=lon,
        total=len(alerts),
        alerts=list(alerts[:MAX_ALERTS_SHOWN]),
        severity=wanted,
        total_unfiltered=len(lookup.value) if wanted else None,
        freshness=_freshness(lookup),
    )
    return ToolResult(content=render_alerts(result), structured_content=result)


async def _first_usable_observation(
    client: NwsClient, stations: tuple[Station, ...]
) -> tuple[Station, Lookup[Observation | None], list[SkippedStation]]:
    """The nearest station whose latest observation is usable, trying at most MAX_STATIONS_TRIED."""
    skipped: list[SkippedStation] = []
    failure: NwsError | None = None
    now = datetime.now(UTC)
    for station in stations[:MAX_STATIONS_TRIED]:
        try:
            lookup = await client.latest_observation(station.id)
        except NwsError as error:
            if error.status == 403:  # the server's own configuration: no other station will do better
                raise
            failure = error
            problem = f"HTTP {error.status}" if error.status else "no answer"
            skipped.append(
                SkippedStation(id=station.id, reason=f"NWS failed to send its observation ({problem})")
            )
            continue
        reason = unusable_reason(lookup.value, now)
        if reason is None:
            return station, lookup, skipped
        skipped.append(SkippedStation(id=station.id, reason=reason))
    if failure is not None and all(item.reason.startswith("NWS failed") for item in skipped):
        raise failure
    reasons = "; ".join(f"{item.id}: {item.reason}" for item in skipped)
    raise ToolError(
        f"No usable current observation near this point: the nearest {_plural(len(skipped), 'station')}"
        f" checked could not be used ({reasons}). get_hourly_forecast gives the forecast for the"
        " current hour instead.",
        log_level=logging.INFO,
    )


async def get_current_conditions(
    latitude: LatitudeParameter,
    longitude: LongitudeParameter,
    ctx: Context,
) -> ToolResult:
    """Get the current weather near a location in the United States or its territories, given its
    latitude and longitude: the latest US National Weather Service observation from the nearest
    station that reported recently.

    Returns the station (id, name, distance), observation time and age, description, temperature
    (°F and °C), dew point, humidity, wind (speed, direction, gust), pressure, visibility, and heat
    index or wind chill when reported. Values the station did not report are left out.
    Locations outside NWS coverage are an error.
    """
    lat = check_coordinate("latitude", latitude, 90)
    lon = check_coordinate("longitude", longitude, 180)
    client = _client(ctx)
    try:
        with anyio.fail_after(CONDITIONS_BUDGET_SECONDS), _upstream_errors("get_current_conditions"):
            point = await _covered_point(client, lat, lon, "current conditions")
            stations = (await client.stations(point)).value
            if not stations:
                raise ToolError(
                    f"The National Weather Service lists no observation stations near {_where(lat, lon)}."
                    " get_hourly_forecast gives the forecast for the current hour instead.",
                    log_level=logging.INFO,
                )
            station, lookup, skipped = await _first_usable_observation(client, stations)
    except TimeoutError:
        raise ToolError(
            "The National Weather Service did not provide a usable observation within"
            f" {CONDITIONS_BUDGET_SECONDS:g} seconds. Try again in a few minutes.",
            log_level=logging.WARNING,
        ) from None
    observation = lookup.value
    if observation is None:  # unusable_reason never lets None through
        raise ToolError("get_current_conditions failed because of an internal error in this weather server.")
    result = build_conditions(
        latitude=lat,
        longitude=lon,
        place=point.place,
        station=station,
        observation=observation,
        now=datetime.now(UTC),
        skipped=skipped,
        freshness=_freshness(lookup),
    )
    text = render_conditions(result)
    if result.freshness.stale:
        text = _stale_note(result.freshness, "observation") + "\n\n" + text
    return ToolResult(content=text, structured_content=result)


class ArgumentErrors(ToolCallMiddleware):
    """Turns argument type errors (pydantic's, with its internals and URLs) into one plain sentence."""

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> ToolResult:
        """Pass the call on; rephrase an argument validation failure."""
        try:
            return await call_next(context)
        except ArgumentValidationError as error:
            cause = error.__cause__
            if not isinstance(cause, PydanticValidationError):
                raise
            problems = []
            for item in cause.errors(include_url=False):
                name = ".".join(str(part) for part in item["loc"]) or "arguments"
                given = item.get("input")
                shown = f" (got {given!r:.60})" if item["type"] != "missing" else ""
                problems.append(f"{name}: {item['msg']}{shown}")
            tool = getattr(context.message, "name", "the tool")
            raise _input_error(f"Invalid arguments for {tool}: {'; '.join(problems)}.") from None


def register_tools(mcp: FastMCP) -> None:
    """Add every tool to the server with annotations, output schemas and the call timeout."""
    tools: tuple[tuple[Callable[..., Any], str, type[BaseModel]], ...] = (
        (get_alerts, "Weather alerts (US NWS)", AlertsResult),
        (get_forecast, "Weather forecast (US NWS)", ForecastResult),
        (get_current_conditions, "Current conditions (US NWS)", ConditionsResult),
        (get_hourly_forecast, "Hourly forecast (US NWS)", HourlyForecastResult),
        (get_alerts_for_point, "Weather alerts for a location (US NWS)", PointAlertsResult),
    )
    for function, title, result in tools:
        mcp.tool(
            function,
            annotations=ToolAnnotations(title=title, **_ANNOTATIONS),
            output_schema=result.model_json_schema(mode="serialization"),
            timeout=TOOL_TIMEOUT_SECONDS,
        )
