"""`python -m server`: validate the environment, then serve with uvicorn.

A bad environment value stops the server before it binds, with exit code 2 and one line per
problem naming the variable (no traceback).
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack

from pydantic import ValidationError

from server.contract import SHUTDOWN_GRACE_SECONDS, EnvVar
from server.settings import ServerSettings, describe_validation_error

EXIT_BAD_CONFIG = 2
#: The uvicorn factory of the weather server (each worker process calls it).
APP_FACTORY = "server.app:create_app"


def main(app_factory: str = APP_FACTORY) -> int:
    """Run the server until SIGTERM/SIGINT; returns the process exit code.

    `app_factory` exists for the benchmark's framework floor, which serves another FastMCP app with
    exactly this uvicorn configuration.
    """
    try:
        settings = ServerSettings()
    except ValidationError as error:
        print(
            f"server: invalid configuration, not starting:\n{describe_validation_error(error)}",
            file=sys.stderr,
        )
        return EXIT_BAD_CONFIG

    # Imported only once the configuration is known to be good: a bad value fails fast and quietly.
    from server.logs import configure_logging, get_logger
    from server.shared_cache import process_group_directory

    token = settings.auth_token.get_secret_value() if settings.auth_token else None
    configure_logging(settings.log_level, secret=token)
    log = get_logger("server")
    if settings.uses_default_user_agent:
        log.warning(
            "nws_user_agent_default",
            message=f"Set {EnvVar.NWS_USER_AGENT} to identify this service with a contact email;"
            " NWS may block anonymous or generic clients.",
        )
    with ExitStack() as stack:
        if settings.workers > 1 and settings.cache_enabled and not settings.shared_cache_dir:
            # Inherited by every worker (their settings are read from the environment again).
            os.environ[EnvVar.NWS_SHARED_CACHE_DIR] = stack.enter_context(process_group_directory())
        _serve(app_factory, settings, auth=settings.effective_auth_mode)
    return 0


def _serve(app_factory: str, settings: ServerSettings, *, auth: str) -> None:
    import uvicorn

    from server.logs import get_logger

    get_logger("server").info(
        "server_starting",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        auth=auth,
        allowed_origins=list(settings.allowed_origins),
        nws_api_base_url=settings.nws_api_base_url,
        cache_enabled=settings.cache_enabled,
        keep_alive_seconds=settings.keep_alive_seconds,
        shared_cache_dir=os.environ.get(EnvVar.NWS_SHARED_CACHE_DIR),
    )
    uvicorn.run(
        app_factory,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_keep_alive=settings.keep_alive_seconds,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )


if __name__ == "__main__":
    sys.exit(main())
