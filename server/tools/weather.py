"""The weather tools: get_alerts, get_forecast, get_current_conditions, get_hourly_forecast and
get_alerts_for_point, and `register_tools`, the table that adds every tool (these, and find_location
and get_air_quality from `server.tools.anywhere`) to the server.

Each tool checks its arguments (`server.tools.validation`), asks the NWS client for models, and
answers with text (`server.tools.rendering`) and structured content (`server.models`). Where NWS has
no forecast grid (`server.nws.coverage`, then NWS's own answer, remembered per point), the three
forecast tools answer from Open-Meteo instead (`server.tools.anywhere`): one source per point, so a US
point never falls back to Open-Meteo. Tool names and parameters are a public contract (see
docs/ARCHITECTURE.md); new parameters must be optional.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Union

import anyio
from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.tools.base import ToolResult
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, TypeAdapter

from server.cache import Lookup
from server.models import (
    Alert,
    AlertsResult,
    ConditionsResult,
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
from server.nws import NwsClient, NwsError, PointNotCovered
from server.nws.coverage import may_cover
from server.settings import TOOL_TIMEOUT_SECONDS
from server.tools.answers import NWS_CLIENT_KEY, freshness_of, upstream_errors
from server.tools.anywhere import (
    conditions_anywhere,
    find_location,
    forecast_anywhere,
    get_air_quality,
    hourly_anywhere,
)
from server.tools.conditions import MAX_STATIONS_TRIED, build_conditions, unusable_reason
from server.tools.rendering import (
    plural,
    point_text,
    render_alerts,
    render_conditions,
    render_forecast,
    render_hourly,
    stale_note,
)
from server.tools.validation import (
    DEFAULT_HOURS,
    DEFAULT_PERIODS,
    MAX_HOURS,
    MAX_PERIODS,
    LatitudeParameter,
    LongitudeParameter,
    SeverityParameter,
    check_count,
    check_point,
    input_error,
    normalize_area,
    normalize_severity,
)
from server.world_models import (
    AirQualityResult,
    LocationsResult,
    PointConditionsResult,
    PointForecastResult,
    PointHourlyResult,
)

MAX_ALERTS_SHOWN: Final = 25
#: get_current_conditions may need several upstream requests in a row (point, stations, then one
#: observation per station tried); all of them must fit in the tool's timeout, with a margin.
CONDITIONS_BUDGET_SECONDS: Final = TOOL_TIMEOUT_SECONDS - 1

_ANNOTATIONS: Final = {
    "read_only_hint": True,
    "destructive_hint": False,
    "idempotent_hint": True,
    "open_world_hint": True,
}


def _client(ctx: Context) -> NwsClient:
    return ctx.lifespan_context[NWS_CLIENT_KEY]


def filter_severity(alerts: tuple[Alert, ...], severity: str | None) -> tuple[Alert, ...]:
    """The alerts of one severity (all when severity is None); NWS's own case is not trusted."""
    if severity is None:
        return alerts
    return tuple(alert for alert in alerts if (alert.severity or "").lower() == severity.lower())


async def _nws_grid(client: NwsClient, lat: float, lon: float) -> GridPoint | None:
    """The point's NWS grid cell, or None where NWS has none: outside every region it may cover (NWS
    is not asked), or where it said so (404 or no grid, remembered per point). Any other NWS failure
    is raised: a point NWS may cover never falls back to another source."""
    if not may_cover(lat, lon):
        return None
    try:
        return (await client.point(lat, lon)).value
    except PointNotCovered:
        return None


def _no_alerts_there(lat: float, lon: float) -> ToolError:
    return input_error(
        f"The National Weather Service does not issue alerts for {point_text(lat, lon)}: it covers the"
        " United States, its territories and their coastal waters. Check the coordinates"
        " (latitude first; longitudes in the Americas are negative); for offshore waters, use"
        " get_alerts with a marine area code."
    )


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
    with upstream_errors("get_alerts"):
        lookup = await _client(ctx).alerts(area)
    result = AlertsResult(area=area, **_shown_alerts(lookup.value, wanted, freshness_of(lookup)))
    return ToolResult(content=render_alerts(result), structured_content=result)


async def get_forecast(
    latitude: LatitudeParameter,
    longitude: LongitudeParameter,
    ctx: Context,
    periods: Annotated[
        int,
        Field(
            description=f"How many forecast periods (half-days) to return, 1 to {MAX_PERIODS}; NWS"
            " usually publishes 14 (7 days). Outside NWS coverage the forecast is daily: two periods"
            " make a day (up to 8 days).",
            json_schema_extra={"minimum": 1, "maximum": MAX_PERIODS},
        ),
    ] = DEFAULT_PERIODS,
) -> ToolResult:
    """Get the weather forecast for any location on Earth, given its latitude and longitude (use
    find_location first to turn a place name into coordinates).

    In the United States and its territories the US National Weather Service answers: the next
    forecast periods ("Tonight", "Wednesday", ...) with temperature, wind, chance of precipitation
    and a detailed description, plus the nearest named place. Elsewhere (other countries, open
    ocean) Open-Meteo answers: one entry per day from today with the weather, high and low in °C and
    °F, precipitation, wind and sunrise/sunset, in the place's local time.
    """
    lat, lon = check_point(latitude, longitude)
    check_count("periods", periods, MAX_PERIODS)
    client = _client(ctx)
    with upstream_errors("get_forecast"):
        point = await _nws_grid(client, lat, lon)
        if point is None:
            return await forecast_anywhere(ctx, lat, lon, periods)
        forecast = await client.forecast(point)
    result = ForecastResult(
        latitude=lat,
        longitude=lon,
        place=point.place,
        grid=point.grid,
        updated=forecast.value.updated,
        periods=list(forecast.value.periods[:periods]),
        available_periods=len(forecast.value.periods),
        freshness=freshness_of(forecast),
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
    """Get the hour-by-hour forecast for any location on Earth, given its latitude and longitude.

    Returns each hour's time (local), temperature, chance of precipitation, wind and the weather
    in words ("Chance Showers"). Good for "will it rain in the next few hours". The US National
    Weather Service answers in the United States and its territories (with the nearest named
    place), Open-Meteo elsewhere (temperatures in °C and °F, the place's local time).
    """
    lat, lon = check_point(latitude, longitude)
    check_count("hours", hours, MAX_HOURS)
    client = _client(ctx)
    with upstream_errors("get_hourly_forecast"):
        point = await _nws_grid(client, lat, lon)
        if point is None:
            return await hourly_anywhere(ctx, lat, lon, hours)
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
        freshness=freshness_of(forecast),
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
    Alerts cover US points only: elsewhere the answer says so (it is not "no alerts").
    """
    lat, lon = check_point(latitude, longitude)
    wanted = normalize_severity(severity)
    if not may_cover(lat, lon):  # no data there is not "no alerts": say so without asking NWS
        raise input_error(
            f"Alerts cover US points only: the National Weather Service, their source here, issues none"
            f" for {point_text(lat, lon)}, which is outside the United States, its territories and their"
            " waters. That is not the same as no alerts: for warnings there, ask the local weather"
            " service. get_forecast and get_current_conditions do answer for this point."
        )
    with upstream_errors("get_alerts_for_point"):
        lookup = await _client(ctx).point_alerts(lat, lon)
    if lookup.value is None:
        raise _no_alerts_there(lat, lon)
    result = PointAlertsResult(
        latitude=lat, longitude=lon, **_shown_alerts(lookup.value, wanted, freshness_of(lookup))
    )
    return ToolResult(content=render_alerts(result), structured_content=result)


def _shown_alerts(found: tuple[Alert, ...], wanted: str | None, freshness: Freshness) -> dict[str, Any]:
    """What both alert results report: the alerts of the severity asked for (at most
    MAX_ALERTS_SHOWN of them), how many there are with and without the filter, and freshness."""
    alerts = filter_severity(found, wanted)
    return {
        "total": len(alerts),
        "alerts": list(alerts[:MAX_ALERTS_SHOWN]),
        "severity": wanted,
        "total_unfiltered": len(found) if wanted else None,
        "freshness": freshness,
    }


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
        f"No usable current observation near this point: the nearest {plural(len(skipped), 'station')}"
        f" checked could not be used ({reasons}). get_hourly_forecast gives the forecast for the"
        " current hour instead.",
        log_level=logging.INFO,
    )


async def get_current_conditions(
    latitude: LatitudeParameter,
    longitude: LongitudeParameter,
    ctx: Context,
) -> ToolResult:
    """Get the current weather at any location on Earth, given its latitude and longitude.

    In the United States and its territories: the latest US National Weather Service observation
    from the nearest station that reported recently, with the station (id, name, distance),
    observation time and age, description, temperature (°F and °C), dew point, humidity, wind
    (speed, direction, gust), pressure, visibility, and heat index or wind chill when reported.
    Elsewhere: Open-Meteo's model values for the current 15 minutes (weather in words, temperature
    and feels-like in °C and °F, humidity, wind, pressure, precipitation, cloud cover) in the
    place's local time. Values not reported are left out.
    """
    lat, lon = check_point(latitude, longitude)
    client = _client(ctx)
    try:
        with anyio.fail_after(CONDITIONS_BUDGET_SECONDS), upstream_errors("get_current_conditions"):
            point = await _nws_grid(client, lat, lon)
            if point is None:
                return await conditions_anywhere(ctx, lat, lon)
            stations = (await client.stations(point)).value
            if not stations:
                raise ToolError(
                    f"The National Weather Service lists no observation stations near {point_text(lat, lon)}."
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
        freshness=freshness_of(lookup),
    )
    text = render_conditions(result)
    if result.freshness.stale:
        text = stale_note(result.freshness, "observation") + "\n\n" + text
    return ToolResult(content=text, structured_content=result)


def output_schema(*results: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of a tool's structured content: one model, or any of several (NWS's answer in
    the US, Open-Meteo's elsewhere); an object either way, as MCP requires."""
    if len(results) == 1:
        return results[0].model_json_schema(mode="serialization")
    either: Any = Union[results]  # noqa: UP007 (a Union built from a tuple of types)
    return {"type": "object", **TypeAdapter(either).json_schema(mode="serialization")}


def register_tools(mcp: FastMCP) -> None:
    """Add every tool to the server with annotations, output schemas and the call timeout."""
    tools: tuple[tuple[Callable[..., Any], str, tuple[type[BaseModel], ...]], ...] = (
        (get_alerts, "Weather alerts (US NWS)", (AlertsResult,)),
        (
            get_forecast,
            "Weather forecast (NWS in the US, Open-Meteo elsewhere)",
            (ForecastResult, PointForecastResult),
        ),
        (
            get_current_conditions,
            "Current conditions (NWS in the US, Open-Meteo elsewhere)",
            (ConditionsResult, PointConditionsResult),
        ),
        (
            get_hourly_forecast,
            "Hourly forecast (NWS in the US, Open-Meteo elsewhere)",
            (HourlyForecastResult, PointHourlyResult),
        ),
        (get_alerts_for_point, "Weather alerts for a location (US NWS)", (PointAlertsResult,)),
        (find_location, "Find a place by name (Open-Meteo)", (LocationsResult,)),
        (get_air_quality, "Air quality (Open-Meteo)", (AirQualityResult,)),
    )
    for function, title, results in tools:
        mcp.tool(
            function,
            annotations=ToolAnnotations(title=title, **_ANNOTATIONS),
            output_schema=output_schema(*results),
            timeout=TOOL_TIMEOUT_SECONDS,
        )
