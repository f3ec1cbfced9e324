"""`python -m server`: validate the environment, then serve the weather server with uvicorn.

A bad environment value stops the server before it binds, with exit code 2 and one line per
problem naming the variable (no traceback).
"""

from __future__ import annotations

import sys

from server.serving import EXIT_BAD_CONFIG, read_settings, serve


def main() -> int:
    """Run the server until SIGTERM/SIGINT; returns the process exit code."""
    settings = read_settings()
    if settings is None:
        return EXIT_BAD_CONFIG
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
