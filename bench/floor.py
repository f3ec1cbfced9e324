"""The framework floor: a trivial echo tool set up exactly like the weather server.

`python -m bench.floor` validates the same environment and serves with the same process model as
`python -m server` (`server.serving.serve` with this module's app factory), and `create_app` is the
weather server's per-worker setup (`server.app.worker_app`: logging, tracing, transport, heap) with
the echo server instead. What the weather tools cost on top of this is our code's overhead per call.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from server.serving import EXIT_BAD_CONFIG, read_settings, serve

if TYPE_CHECKING:
    from fastmcp import FastMCP
    from starlette.types import ASGIApp

    from server.settings import ServerSettings

FACTORY = "bench.floor:create_app"


async def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


def echo_server(_settings: ServerSettings) -> FastMCP:
    """The floor's FastMCP server: one tool, no lifespan, no auth, no middleware."""
    from fastmcp import FastMCP

    mcp = FastMCP(name="floor")
    mcp.tool(echo)
    return mcp


def create_app() -> ASGIApp:
    """The uvicorn factory of the floor (one per worker process, like the weather server's)."""
    # Imported here, as server.app is by uvicorn: the supervisor process stays as lean as the server's.
    from server.app import worker_app

    return worker_app(echo_server)


def main() -> int:
    """Serve the floor until SIGTERM/SIGINT, like `python -m server`; returns the exit code."""
    settings = read_settings()
    if settings is None:
        return EXIT_BAD_CONFIG
    serve(settings, app_factory=FACTORY)
    return 0


if __name__ == "__main__":
    sys.exit(main())
