"""Structured JSON logs on stdout: one JSON object per line for CloudWatch.

Our own events (structlog) are rendered and written by structlog directly; third-party records
(uvicorn, FastMCP, the MCP SDK) go through one stdlib handler that renders them with the same
processors. Both produce the same keys in the same order. Rendering our events without the stdlib
round trip (two LogRecords, a formatter, a handler per line) cut the per-tool-call line from ~55
to ~22 us in a busy worker. The line written per tool call is `server.tool_call_log`'s. This module
does not import FastMCP: uvicorn's supervisor process (which only configures logging) stays ~35 MB
smaller with several workers.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Final, TextIO

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, WrappedLogger

# Our logger names. Each log line carries its name in "logger", so these are part of the log format
# that operators query and alert on: they are fixed here and must not follow module renames (the
# edge logger kept "server.middleware" when its module became server/http_edge.py).
#: Process start-up: the starting line and configuration warnings (`server.serving`).
SERVER_LOGGER: Final = "server"
#: One line per tool call (`server.tool_call_log`).
TOOL_CALL_LOGGER: Final = "server.tool_call"
#: A tool's unexpected internal error (`server.tools.weather`).
TOOLS_LOGGER: Final = "server.tools"
#: Upstream retries, failures and unreadable answers (`server.nws.client`).
NWS_LOGGER: Final = "server.nws"
#: Open-Meteo retries, failures and unreadable answers (`server.open_meteo.client`).
OPEN_METEO_LOGGER: Final = "server.open_meteo"
#: Requests refused at the HTTP edge, e.g. a foreign Origin (`server.http_edge`).
EDGE_LOGGER: Final = "server.middleware"
#: HTTP requests shed under overload (`server.shedding`).
SHEDDING_LOGGER: Final = "server.shedding"
#: The drain after SIGTERM (`server.draining`).
DRAINING_LOGGER: Final = "server.draining"
#: Errors of the cache shared between workers, or between the tasks of the fleet
#: (`server.shared_cache`, `server.fleet_cache`).
SHARED_CACHE_LOGGER: Final = "server.shared_cache"
#: OAuth sign-in: registrations, refused clients, reuse of refresh tokens, store and provider
#: failures (`server.oauth`, `server.oauth_store`, `server.oauth_registration`).
OAUTH_LOGGER: Final = "server.oauth"

_THIRD_PARTY_LOGGERS = ("uvicorn", "uvicorn.error", "fastmcp", "mcp")
#: Chatty per-request loggers: uvicorn's access log (ALB health checks every few seconds) and httpx's
#: one line per upstream request (the tool call line already carries the upstream status).
_QUIET_LOGGERS = ("uvicorn.access", "httpx", "httpcore")
#: The MCP SDK's streamable HTTP transport logs this at INFO for every stateless request (the
#: per-request transport ends; there is no session). It carries nothing and doubled the log volume.
_STATELESS_SESSION_END = ("mcp.server.streamable_http", "Terminating session: None")


def _not_stateless_session_end(record: logging.LogRecord) -> bool:
    """Handler filter: False for the SDK's per-request 'Terminating session: None' line only."""
    return record.name != _STATELESS_SESSION_END[0] or record.getMessage() != _STATELESS_SESSION_END[1]


def _add_process_id(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """`pid`: which process wrote the line. A task runs one uvicorn worker per vCPU and all of them
    write to the task's one log stream; the pid tells their lines apart (and a restarted worker)."""
    event["pid"] = os.getpid()  # read per line, not cached: right in forked processes too
    return event


class _Redact:
    """Replace secrets (the bearer token, the Open-Meteo key) wherever they would appear in a log line,
    nested fields too."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = tuple(sorted({secret for secret in secrets if secret}, key=len, reverse=True))

    def __call__(self, _logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
        if self._secrets:
            for key, value in event.items():
                event[key] = self._clean(value, self._secrets)
        return event

    @classmethod
    def _clean(cls, value: Any, secrets: tuple[str, ...]) -> Any:
        """`value` with the secrets replaced in every string inside it (containers copied, not changed)."""
        if isinstance(value, str):
            for secret in secrets:
                if secret in value:
                    value = value.replace(secret, "[redacted]")
            return value
        if isinstance(value, dict):
            return {cls._clean(k, secrets): cls._clean(v, secrets) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [cls._clean(item, secrets) for item in value]
        return value


class _NamedWriteLogger(structlog.WriteLogger):
    """A structlog line writer that carries its logger name, as `add_logger_name` expects."""

    def __init__(self, file: TextIO, name: str) -> None:
        super().__init__(file)
        self.name = name


class _NamedWriteLoggerFactory:
    """structlog logger factory: one named writer per logger name, all on the same stream."""

    def __init__(self, file: TextIO) -> None:
        self._file = file
        self._loggers: dict[str, _NamedWriteLogger] = {}

    def __call__(self, *args: Any) -> _NamedWriteLogger:
        name = str(args[0]) if args else "root"
        logger = self._loggers.get(name)
        if logger is None:
            logger = self._loggers[name] = _NamedWriteLogger(self._file, name)
        return logger


def configure_logging(level: str, *, secret: str | None = None, secrets: tuple[str | None, ...] = ()) -> None:
    """Route all logging to stdout as JSON lines at `level`, with `secret` and `secrets` redacted.

    Safe to call more than once.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _add_process_id,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    rendering: list[Any] = [
        structlog.processors.format_exc_info,
        _Redact(tuple(value for value in (secret, *secrets) if value)),
        structlog.processors.JSONRenderer(),
    ]
    structlog.configure(
        processors=[*shared, *rendering],
        logger_factory=_NamedWriteLoggerFactory(sys.stdout),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(_not_stateless_session_end)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in _THIRD_PARTY_LOGGERS:
        third_party = logging.getLogger(name)
        third_party.handlers = []  # FastMCP installs a rich console handler on import
        third_party.propagate = True
        third_party.setLevel(logging.NOTSET)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def get_logger(name: str) -> FilteringBoundLogger:
    """A structlog logger for this project's modules (usable before `configure_logging`)."""
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger
