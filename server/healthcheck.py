"""`python -m server.healthcheck [PATH]`: exit 0 when the local server answers 200 on PATH, else 1.

The one container health check: the image's HEALTHCHECK and the ECS task definition both run it,
with the timings in `server.contract.ContainerHealthCheck` (the slim image has no curl). PATH
defaults to the contract's /health. Standard library only, so it is cheap to start every few seconds.
"""

from __future__ import annotations

import os
import sys
import urllib.request

from server.contract import CONTAINER_PORT, HEALTH_PATH, ContainerHealthCheck, EnvVar


def main(argv: list[str] | None = None) -> int:
    """Probe http://127.0.0.1:$MCP_PORT<PATH> once."""
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else HEALTH_PATH
    port = os.environ.get(EnvVar.PORT, str(CONTAINER_PORT))
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=ContainerHealthCheck.PROBE_TIMEOUT_SECONDS) as response:
            healthy = response.status == 200
    except (OSError, ValueError) as error:
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
