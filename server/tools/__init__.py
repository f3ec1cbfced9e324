"""The MCP tools and prompt of the weather server, by job.

`weather` (the NWS tools, the choice of source per point, and `register_tools`, the registration
table of every tool), `anywhere` (the Open-Meteo tools: find_location, get_air_quality, and the
forecasts where NWS has no grid), `world` (Open-Meteo results), `answers` (freshness and upstream
errors), `validation` (argument checks and the parameter types), `areas` (the alert area codes),
`conditions` (which observation may stand for "now", converted to both unit systems), `scales` (WMO
weather codes and AQI categories in words), `rendering` and `world_rendering` (answers as text),
`prompts` (`weather_briefing`), and `argument_errors` (the middleware that rewords argument type
errors).
"""

from server.tools.answers import NWS_CLIENT_KEY, OPEN_METEO_CLIENT_KEY
from server.tools.argument_errors import ArgumentErrors
from server.tools.prompts import register_prompts
from server.tools.weather import register_tools

__all__ = ["NWS_CLIENT_KEY", "OPEN_METEO_CLIENT_KEY", "ArgumentErrors", "register_prompts", "register_tools"]
