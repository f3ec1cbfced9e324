"""The MCP tools: get_alerts and get_forecast. Validate, ask the NWS client, render text + structure.

Tool names and parameters are a public contract (see docs/ARCHITECTURE.md); new parameters must be optional.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastmcp import Context, FastMCP
from fastmcp.exceptions import ToolError
from fastmcp.exceptions import ValidationError as ArgumentValidationError
from fastmcp.server.middleware import MiddlewareContext
from fastmcp.tools.base import ToolResult
from mcp_types import ToolAnnotations
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from server.cache import Lookup
from server.logs import get_logger
from server.models import Alert, AlertsResult, ForecastPeriod, ForecastResult, Freshness
from server.nws import NwsClient, NwsError, PointNotCovered
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


def render_alerts(result: AlertsResult) -> str:
    """The whole alerts answer as text."""
    parts = []
    if result.freshness.stale:
        parts.append(_stale_note(result.freshness, "alert list"))
    if result.total == 0:
        parts.append(f"No active weather alerts for {result.area}.")
        return "\n\n".join(parts)
    count = f"{result.total} active weather alert{'s' if result.total != 1 else ''} for {result.area}"
    if result.total > len(result.alerts):
        count += f" (showing the first {len(result.alerts)})"
    parts.append(count + ":")
    parts.append("\n\n---\n\n".join(render_alert(alert) for alert in result.alerts))
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


def check_coordinate(name: str, value: float, limit: int) -> float:
    """The coordinate rounded to 4 decimals (NWS's precision), or a ToolError naming the problem."""
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise _input_error(f"{name} must be a number between -{limit} and {limit} (got {value}).")
    return round(value, 4)


async def get_alerts(
    state: Annotated[
        str,
        Field(
            description="Two-letter US state or territory code (e.g. CA, NY, PR) or NWS marine area code"
            " (e.g. GM for the Gulf of America/Mexico); case-insensitive.",
        ),
    ],
    ctx: Context,
) -> ToolResult:
    """Get the active weather alerts (warnings, watches, advisories) the US National Weather Service
    has issued for a US state, territory or marine area.

    Returns each alert's event, affected area, severity, urgency, certainty, headline, description,
    instructions and effective/expiry times. An empty list means no alerts are in effect.
    """
    area = normalize_area(state)
    with _upstream_errors("get_alerts"):
        lookup = await _client(ctx).alerts(area)
    result = AlertsResult(
        area=area,
        total=len(lookup.value),
        alerts=list(lookup.value[:MAX_ALERTS_SHOWN]),
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
    """Add both tools to the server with annotations, output schemas and the call timeout."""
    mcp.tool(
        get_alerts,
        annotations=ToolAnnotations(title="Weather alerts (US NWS)", **_ANNOTATIONS),
        output_schema=AlertsResult.model_json_schema(mode="serialization"),
        timeout=TOOL_TIMEOUT_SECONDS,
    )
    mcp.tool(
        get_forecast,
        annotations=ToolAnnotations(title="Weather forecast (US NWS)", **_ANNOTATIONS),
        output_schema=ForecastResult.model_json_schema(mode="serialization"),
        timeout=TOOL_TIMEOUT_SECONDS,
    )
