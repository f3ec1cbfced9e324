"""Serving a server process: read the environment, then run uvicorn the way this server is deployed.

`python -m server` is `read_settings()` then `serve(settings)`. An application that serves its own
FastMCP server with this process model (workers, shared cache directory, keep-alive, graceful
shutdown) passes `serve` the import string of its own app factory, typically one that returns
`server.app.worker_app(<function building its FastMCP server>)`.

This module does not import FastMCP: uvicorn's supervisor process stays small; each worker imports
the app factory itself.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from typing import Final

from pydantic import ValidationError

from server.contract import SHUTDOWN_GRACE_SECONDS, EnvVar
from server.settings import ServerSettings, describe_validation_error

#: Exit code of a process whose environment is invalid.
EXIT_BAD_CONFIG: Final = 2
#: Exit code of an oauth-mode process whose identity provider's discovery document cannot be read.
EXIT_PROVIDER_UNAVAILABLE: Final = 3
#: Seconds the start-up check waits for the identity provider's discovery document.
DISCOVERY_CHECK_TIMEOUT_SECONDS: Final = 10
#: The uvicorn factory of the weather server (each worker process calls it).
APP_FACTORY: Final = "server.app:create_app"


def read_settings() -> ServerSettings | None:
    """The validated environment, or None after printing one line per problem (naming the variable)
    on stderr: the caller exits with EXIT_BAD_CONFIG, before binding and without a traceback."""
    try:
        return ServerSettings()
    except ValidationError as error:
        print(
            f"server: invalid configuration, not starting:\n{describe_validation_error(error)}",
            file=sys.stderr,
        )
        return None


def discovery_problem(url: str, timeout: float = DISCOVERY_CHECK_TIMEOUT_SECONDS) -> str | None:
    """What is wrong with the identity provider's discovery document at `url`, or None if it serves one.

    In oauth mode every worker reads this document while it builds its app; a worker that cannot
    would fail, and uvicorn's supervisor would keep replacing it: the server would hang instead of
    saying why. So `serve` reads it once first and stops with this sentence.
    """
    import httpx

    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.TimeoutException:
        return f"did not answer within {timeout:g} s"
    except httpx.HTTPError as error:
        return f"could not be reached ({type(error).__name__})"
    if response.status_code != 200:
        return f"answered HTTP {response.status_code}"
    try:
        document = response.json()
    except ValueError:
        return "is not JSON"
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [
        name for name in needed if not isinstance(document, dict) or not isinstance(document.get(name), str)
    ]
    return f"lacks {', '.join(missing)}" if missing else None


def serve(settings: ServerSettings, *, app_factory: str = APP_FACTORY) -> None:
    """Run uvicorn until SIGTERM/SIGINT with `settings`' host, port, workers and timeouts.

    `app_factory` ("module:function") is called in each worker process to build its ASGI app; the
    default is the weather server (`server.app.create_app`). In oauth mode, a discovery document
    that cannot be read stops the process first (exit code EXIT_PROVIDER_UNAVAILABLE).
    """
    if settings.effective_auth_mode == "oauth" and settings.oidc_config_url:
        problem = discovery_problem(settings.oidc_config_url)
        if problem is not None:
            print(
                f"server: not starting: the identity provider's discovery document"
                f" ({EnvVar.OIDC_CONFIG_URL}={settings.oidc_config_url}) {problem}",
                file=sys.stderr,
            )
            sys.exit(EXIT_PROVIDER_UNAVAILABLE)
    # Imported only once the configuration is known to be good: a bad value fails fast and quietly.
    from server.logs import SERVER_LOGGER, configure_logging, get_logger
    from server.shared_cache import process_group_directory

    configure_logging(settings.log_level, secrets=settings.secret_values())
    log = get_logger(SERVER_LOGGER)
    if settings.uses_default_user_agent:
        log.warning(
            "nws_user_agent_default",
            message=f"Set {EnvVar.NWS_USER_AGENT} to identify this service with a contact email;"
            " NWS may block anonymous or generic clients.",
        )
    with ExitStack() as stack:
        if (
            settings.workers > 1
            and settings.cache_enabled
            and not settings.shared_cache_dir
            and not settings.uses_fleet_cache  # the fleet cache replaces the per-task directory
        ):
            # Inherited by every worker (their settings are read from the environment again).
            os.environ[EnvVar.NWS_SHARED_CACHE_DIR] = stack.enter_context(process_group_directory())
        _run_uvicorn(app_factory, settings)


def _run_uvicorn(app_factory: str, settings: ServerSettings) -> None:
    import uvicorn

    from server.logs import SERVER_LOGGER, get_logger

    get_logger(SERVER_LOGGER).info(
        "server_starting",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        auth=settings.effective_auth_mode,
        allowed_origins=list(settings.allowed_origins),
        nws_api_base_url=settings.nws_api_base_url,
        cache_enabled=settings.cache_enabled,
        keep_alive_seconds=settings.keep_alive_seconds,
        shared_cache_dir=os.environ.get(EnvVar.NWS_SHARED_CACHE_DIR),
        shared_cache_url=settings.shared_cache_url if settings.uses_fleet_cache else None,
        shared_cache_auth=_shared_cache_auth(settings),
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


def _shared_cache_auth(settings: ServerSettings) -> str | None:
    """How the fleet cache connections authenticate, for the starting line (never the secret)."""
    if not settings.uses_fleet_cache:
        return None
    if settings.shared_cache_iam_cache_name is not None:
        return "iam"
    return "password" if settings.shared_cache_password is not None else "none"
