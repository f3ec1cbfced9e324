"""The MCP tools of the weather server, by job.

`weather` (the five tools and `register_tools`, their registration table), `validation` (argument
checks and the parameter types), `areas` (the alert area codes), `conditions` (which observation may
stand for "now", converted to both unit systems), `rendering` (answers as text), and
`argument_errors` (the middleware that rewords argument type errors).
"""

from server.tools.argument_errors import ArgumentErrors
from server.tools.weather import NWS_CLIENT_KEY, register_tools

__all__ = ["NWS_CLIENT_KEY", "ArgumentErrors", "register_tools"]
