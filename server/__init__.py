"""MCP weather server: FastMCP over streamable HTTP, backed by the US National Weather Service API.

Kept import-light: `stacks/` imports `server.contract`, which must not pull in FastMCP.
"""

__version__ = "0.1.0"
