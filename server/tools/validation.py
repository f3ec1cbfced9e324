"""Argument checks of the tools: every input is checked before any upstream request, and a bad one is
a `ToolError` naming the argument, what was given and what is accepted (logged at info level: it is
the caller's problem, not the server's). The annotated parameter types carry the descriptions and
bounds the model sees in the tools' input schemas.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from typing import Annotated, Final

from fastmcp.exceptions import ToolError
from pydantic import Field

from server.tools.areas import AREA_CODES, MARINE_CODES

DEFAULT_PERIODS: Final = 5
MAX_PERIODS: Final = 50
DEFAULT_HOURS: Final = 12
#: Hours NWS publishes in an hourly forecast (6.5 days).
MAX_HOURS: Final = 156
#: find_location: places returned by default and at most, and the longest name searched for.
DEFAULT_PLACES: Final = 5
MAX_PLACES: Final = 10
MAX_QUERY_LENGTH: Final = 200
#: Severities of the Common Alerting Protocol, as NWS writes them.
SEVERITIES: Final = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")


def input_error(message: str) -> ToolError:
    """A ToolError about the caller's input: logged at info level, it is not a server problem."""
    return ToolError(message, log_level=logging.INFO)


def normalize_area(state: str) -> str:
    """Upper-case area code, or a ToolError that lists what is accepted."""
    code = state.strip().upper() if isinstance(state, str) else ""
    if code in AREA_CODES:
        return code
    raise input_error(
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
    raise input_error(
        f"{severity!r} is not an alert severity. Use one of {', '.join(SEVERITIES)} (any case), or leave"
        " severity out for every alert."
    )


def check_coordinate(name: str, value: float, limit: int) -> float:
    """The coordinate rounded to 4 decimals (NWS's precision), or a ToolError naming the problem."""
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise input_error(f"{name} must be a number between -{limit} and {limit} (got {value}).")
    return round(value, 4)


def check_point(latitude: float, longitude: float) -> tuple[float, float]:
    """Latitude and longitude checked and rounded by `check_coordinate`."""
    return check_coordinate("latitude", latitude, 90), check_coordinate("longitude", longitude, 180)


def check_count(name: str, value: int, maximum: int) -> int:
    """A count between 1 and `maximum`, or a ToolError naming the problem."""
    if not 1 <= value <= maximum:
        raise input_error(f"{name} must be between 1 and {maximum} (got {value}).")
    return value


def check_query(query: str) -> tuple[str, str | None]:
    """A place name to search for, and the region or country after a comma (None without one), or a
    ToolError naming the problem: empty, too long, or with control characters."""
    text = query.strip() if isinstance(query, str) else ""
    if not text:
        raise input_error(
            "query must name a place, e.g. 'Seoul' or 'Springfield, Illinois' (got an empty query)."
        )
    if len(text) > MAX_QUERY_LENGTH:
        raise input_error(
            f"query must be at most {MAX_QUERY_LENGTH} characters (got {len(text)}): a place name, not a"
            " sentence."
        )
    if any(unicodedata.category(ch) == "Cc" and not ch.isspace() for ch in text):
        raise input_error("query must not contain control characters: send the place name as plain text.")
    name, _, qualifier = text.partition(",")
    name, qualifier = " ".join(name.split()), " ".join(qualifier.split())
    if not name:
        raise input_error(f"query must start with a place name before any comma (got {text!r}).")
    return name, qualifier or None


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
