"""Structured JSON logs on stdout, and the one log line written per tool call.

Everything (our events, uvicorn, FastMCP) goes through one stdlib handler that renders JSON with
structlog, so CloudWatch gets one JSON object per line. The NWS client reports cache outcomes and
upstream statuses into the current call's `CallRecord`; `ToolCallLogger` writes them out.
"""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastmcp.exceptions import ToolError
from fastmcp.server.middleware import Middleware, MiddlewareContext
from fastmcp.tools.base import ToolResult
from structlog.typing import EventDict, WrappedLogger

_THIRD_PARTY_LOGGERS = ("uvicorn", "uvicorn.error", "fastmcp", "mcp")
#: Chatty per-request loggers: uvicorn's access log (ALB health checks every few seconds) and httpx's
#: one line per upstream request (the tool call line already carries the upstream status).
_QUIET_LOGGERS = ("uvicorn.access", "httpx", "httpcore")


class _Redact:
    """Replace a secret (the bearer token) wherever it would appear in a log line."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret

    def __call__(self, _logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
        if self._secret:
            for key, value in event.items():
                if isinstance(value, str) and self._secret in value:
                    event[key] = value.replace(self._secret, "[redacted]")
        return event


def configure_logging(level: str, *, secret: str | None = None) -> None:
    """Route all logging to stdout as JSON lines at `level`. Safe to call more than once."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _Redact(secret),
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
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


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger for this project's modules."""
    return structlog.stdlib.get_logger(name)


@dataclass
class CallRecord:
    """What one tool call did upstream: cache outcome per lookup, HTTP statuses seen."""

    cache: dict[str, str] = field(default_factory=dict)
    upstream_statuses: list[int | str] = field(default_factory=list)

    def summary(self) -> str | None:
        """One word for the whole call: stale beats miss beats hit."""
        outcomes = set(self.cache.values())
        for word, members in (
            ("stale", {"stale"}),
            ("miss", {"miss", "coalesced"}),
            ("bypass", {"bypass"}),
            ("hit", {"hit"}),
        ):
            if outcomes & members:
                return word
        return None


_current_call: ContextVar[CallRecord | None] = ContextVar("current_tool_call", default=None)


def record_cache(kind: str, status: str) -> None:
    """Note a cache outcome (kind: points, forecast, alerts) on the current tool call, if any."""
    record = _current_call.get()
    if record is not None:
        record.cache[kind] = status


def record_upstream(status: int | str) -> None:
    """Note an upstream HTTP status (or "timeout", "connect_error") on the current tool call, if any."""
    record = _current_call.get()
    if record is not None:
        record.upstream_statuses.append(status)


class ToolCallLogger(Middleware):
    """Writes one JSON line per tool call: tool, duration_ms, cache, upstream status, outcome."""

    def __init__(self) -> None:
        self._log = get_logger("server.tool_call")

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> ToolResult:
        """Time the call and log what it did, whatever its outcome."""
        record = CallRecord()
        token = _current_call.set(record)
        started = time.perf_counter()
        outcome, error = "ok", None
        try:
            result: ToolResult = await call_next(context)
            if result.is_error:
                outcome = "error"
            return result
        except ToolError as exc:
            outcome, error = "error", str(exc)
            raise
        except Exception as exc:
            outcome, error = "failure", type(exc).__name__
            raise
        finally:
            _current_call.reset(token)
            self._log.info(
                "tool_call",
                tool=getattr(context.message, "name", None),
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                cache=record.summary(),
                cache_detail=record.cache or None,
                upstream_status=record.upstream_statuses[-1] if record.upstream_statuses else None,
                upstream_requests=len(record.upstream_statuses),
                outcome=outcome,
                error=error,
            )
