"""The server's prompt: `weather_briefing(place)`, which leads a model from a place name to a briefing
through find_location, get_forecast and get_alerts_for_point (listed by `prompts/list`)."""

from __future__ import annotations

from typing import Annotated, Final

from fastmcp import FastMCP
from fastmcp.exceptions import PromptError, ToolError
from pydantic import Field

from server.tools.validation import MAX_QUERY_LENGTH, check_query

BRIEFING_DESCRIPTION: Final = (
    "A weather briefing for a place given by name, anywhere on Earth: finds the place, then its"
    " forecast and, in the US, its active alerts."
)


def weather_briefing(
    place: Annotated[
        str,
        Field(
            description="The place, in any language: 'Seoul', '서울', 'Springfield, Illinois'"
            f" (1 to {MAX_QUERY_LENGTH} characters)."
        ),
    ],
) -> str:
    """A weather briefing for a place given by name, anywhere on Earth."""
    try:
        check_query(place)  # the same checks as find_location: a clear error before the model starts
    except ToolError as error:
        raise PromptError(str(error).replace("query ", "place ", 1)) from None
    name = " ".join(place.split())
    return f"""Give me a short weather briefing for {name}.

Work through these steps with the weather tools:
1. Call find_location with query "{name}". If several places match and it is not clear which one
   I mean, ask me before going on; if none matches, tell me and stop.
2. Call get_forecast with the place's latitude and longitude.
3. Call get_alerts_for_point with the same coordinates. Alerts exist for US points only: elsewhere
   the tool says so, which is not the same as "no alerts"; say that alerts are not available there.

Then brief me in a few sentences, in the language I used for the place name: where (name, region,
country), today's and the next days' weather with highs and lows in the units usual there (both
°C and °F if unsure), and any alerts with what they ask people to do. Name the data source the
tools named (the National Weather Service, or Open-Meteo with its CC BY 4.0 attribution)."""


def register_prompts(mcp: FastMCP) -> None:
    """Add the prompts to the server."""
    mcp.prompt(weather_briefing, title="Weather briefing for a place", description=BRIEFING_DESCRIPTION)
