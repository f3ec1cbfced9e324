"""`python -m server.healthcheck`: exit 0 when the local server's /health answers 200, else 1.

The container's HEALTHCHECK runs this (the slim image has no curl). Standard library only, so it is
cheap to start every few seconds.
"""

from __future__ import annotations

import os
import sys
import urllib.request

from server.contract import CONTAINER_PORT, HEALTH_PATH, EnvVar

TIMEOUT_SECONDS = 4


def main() -> int:
    """Probe http://127.0.0.1:$MCP_PORT/health once."""
    port = os.environ.get(EnvVar.PORT, str(CONTAINER_PORT))
    url = f"http://127.0.0.1:{port}{HEALTH_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            healthy = response.status == 200
    except (OSError, ValueError) as error:
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
