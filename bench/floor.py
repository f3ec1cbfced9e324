"""The framework floor: a trivial echo tool behind exactly the weather server's transport.

`python -m bench.floor` validates the same environment and serves with the same process model as
`python -m server` (`server.serving.serve` with this module's app factory), and `create_app` wraps
the echo server with the server's own `http_transport`. What the weather tools cost on top of this
is our code's overhead per call.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from server.gc_tuning import settle_heap
from server.logs import configure_logging
from server.serving import EXIT_BAD_CONFIG, read_settings, serve
from server.settings import ServerSettings

if TYPE_CHECKING:
    from starlette.types import ASGIApp

FACTORY = "bench.floor:create_app"


async def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


def create_app() -> ASGIApp:
    """The uvicorn factory of the floor (one per worker process, like the weather server's)."""
    # Imported here, as server.app is by uvicorn: the supervisor process stays as lean as the server's.
    from fastmcp import FastMCP

    from server.app import http_transport

    settings = ServerSettings()
    configure_logging(settings.log_level)
    mcp = FastMCP(name="floor")
    mcp.tool(echo)
    app = http_transport(mcp, settings)
    settle_heap()  # the weather server's process settings too: the floor differs only in its tool
    return app


def main() -> int:
    """Serve the floor until SIGTERM/SIGINT, like `python -m server`; returns the exit code."""
    settings = read_settings()
    if settings is None:
        return EXIT_BAD_CONFIG
    serve(settings, app_factory=FACTORY)
    return 0


if __name__ == "__main__":
    sys.exit(main())
