"""The tools Open-Meteo answers, anywhere on Earth: find_location and get_air_quality, and the Open-Meteo
side of get_forecast, get_current_conditions and get_hourly_forecast (points where NWS has no
forecast grid; `server.tools.weather` decides which source answers).

Arguments are checked before any request (`server.tools.validation`); results are built by
`server.tools.world` and written by `server.tools.world_rendering`.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastmcp import Context
from fastmcp.exceptions import ToolError
from fastmcp.tools.base import ToolResult
from pydantic import Field

from server.open_meteo import SERVICE, OpenMeteoClient
from server.tools.answers import OPEN_METEO_CLIENT_KEY, freshness_of, upstream_errors
from server.tools.rendering import point_text
from server.tools.validation import (
    DEFAULT_PLACES,
    MAX_PLACES,
    MAX_QUERY_LENGTH,
    LatitudeParameter,
    LongitudeParameter,
    check_count,
    check_point,
    check_query,
)
from server.tools.world import (
    build_air_quality,
    build_point_conditions,
    build_point_forecast,
    build_point_hourly,
    days_for_periods,
)
from server.tools.world_rendering import (
    render_air_quality,
    render_locations,
    render_point_conditions,
    render_point_forecast,
    render_point_hourly,
)
from server.world_models import LocationsResult, Place


def _client(ctx: Context) -> OpenMeteoClient:
    return ctx.lifespan_context[OPEN_METEO_CLIENT_KEY]


def _qualified(places: tuple[Place, ...], qualifier: str) -> tuple[Place, ...]:
    """The places whose region, district, country or country code starts with `qualifier`."""
    wanted = qualifier.casefold()
    return tuple(
        place
        for place in places
        if any(
            (part or "").casefold().startswith(wanted)
            for part in (place.admin_area, place.district, place.country, place.country_code)
        )
    )


async def find_location(
    query: Annotated[
        str,
        Field(
            description="A place name in any language or script, e.g. 'Seoul', '서울', '東京', 'München',"
            " 'Springfield'. Optionally a comma and a region or country to narrow it down:"
            f" 'Springfield, Illinois', 'Paris, France'. 1 to {MAX_QUERY_LENGTH} characters.",
            json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_LENGTH},
        ),
    ],
    ctx: Context,
    count: Annotated[
        int,
        Field(
            description=f"How many matching places to return at most, 1 to {MAX_PLACES};"
            f" default {DEFAULT_PLACES}.",
            json_schema_extra={"minimum": 1, "maximum": MAX_PLACES},
        ),
    ] = DEFAULT_PLACES,
) -> ToolResult:
    """Find places on Earth by name, to get their latitude and longitude for the other tools.

    Returns the matching places, most relevant (largest) first, each with its name, region,
    country, latitude/longitude, time zone and population when known. An ambiguous name
    ("Springfield") returns several: ask the person which one they mean. Names in any language
    or script work. Data: Open-Meteo's geocoding (GeoNames), CC BY 4.0.
    """
    name, qualifier = check_query(query)
    check_count("count", count, MAX_PLACES)
    with upstream_errors("find_location", SERVICE):
        lookup = await _client(ctx).places(name)
    places = lookup.value if qualifier is None else _qualified(lookup.value, qualifier)
    shown = list(places[:count])
    result = LocationsResult(
        query=query.strip(), total=len(shown), places=shown, freshness=freshness_of(lookup)
    )
    return ToolResult(content=render_locations(result), structured_content=result)


async def get_air_quality(
    latitude: LatitudeParameter,
    longitude: LongitudeParameter,
    ctx: Context,
) -> ToolResult:
    """Get the current air quality anywhere on Earth, given a latitude and longitude.

    Returns the US AQI and the European AQI with their categories ("Good", "Moderate", ...), and
    PM2.5, PM10, ozone and nitrogen dioxide in μg/m³, with the place's local time. Data: Open-Meteo's
    air quality API (Copernicus CAMS models), CC BY 4.0.
    """
    lat, lon = check_point(latitude, longitude)
    with upstream_errors("get_air_quality", SERVICE):
        lookup = await _client(ctx).air_quality(lat, lon)
    result = build_air_quality(lookup, lat, lon, freshness=freshness_of(lookup))
    return ToolResult(content=render_air_quality(result), structured_content=result)


async def forecast_anywhere(ctx: Context, lat: float, lon: float, periods: int) -> ToolResult:
    """get_forecast where NWS has no grid: Open-Meteo's daily forecast, two periods to a day."""
    with upstream_errors("get_forecast", SERVICE):
        lookup = await _client(ctx).forecast(lat, lon)
    result = build_point_forecast(
        lookup, lat, lon, days=days_for_periods(periods), freshness=freshness_of(lookup)
    )
    return ToolResult(content=render_point_forecast(result), structured_content=result)


async def hourly_anywhere(ctx: Context, lat: float, lon: float, hours: int) -> ToolResult:
    """get_hourly_forecast where NWS has no grid: Open-Meteo's hours from the current one."""
    with upstream_errors("get_hourly_forecast", SERVICE):
        lookup = await _client(ctx).forecast(lat, lon)
    result = build_point_hourly(lookup, lat, lon, hours=hours, freshness=freshness_of(lookup))
    return ToolResult(content=render_point_hourly(result), structured_content=result)


async def conditions_anywhere(ctx: Context, lat: float, lon: float) -> ToolResult:
    """get_current_conditions where NWS has no grid: Open-Meteo's model values for now."""
    with upstream_errors("get_current_conditions", SERVICE):
        lookup = await _client(ctx).forecast(lat, lon)
    result = build_point_conditions(lookup, lat, lon, freshness=freshness_of(lookup))
    if result is None:
        raise ToolError(
            f"Open-Meteo sent no current conditions for {point_text(lat, lon)}. get_hourly_forecast gives"
            " the forecast for the current hour instead.",
            log_level=logging.INFO,
        )
    return ToolResult(content=render_point_conditions(result), structured_content=result)
