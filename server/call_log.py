"""The one log line written per tool call, and what the NWS client notes on it.

The NWS client reports cache outcomes and upstream statuses into the current call's `CallRecord`
(a context variable, so concurrent calls do not mix); `ToolCallLogger` writes them out, with the
CloudWatch embedded metrics of `server.metrics` in the same line.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware import MiddlewareContext
from fastmcp.tools.base import ToolResult

from server.logs import get_logger
from server.metrics import emf_members
from server.tool_middleware import ToolCallMiddleware


@dataclass
class CallRecord:
    """What one tool call did upstream: cache outcome per lookup, HTTP statuses seen."""

    cache: dict[str, str] = field(default_factory=dict)
    upstream_statuses: list[int | str] = field(default_factory=list)
    #: Milliseconds spent waiting on upstream attempts, summed.
    upstream_ms: float = 0.0

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


def record_upstream(status: int | str, elapsed_ms: float = 0.0) -> None:
    """Note an upstream HTTP status (or "timeout", "connect_error") and how long the attempt took
    on the current tool call, if any."""
    record = _current_call.get()
    if record is not None:
        record.upstream_statuses.append(status)
        record.upstream_ms += elapsed_ms


class ToolCallLogger(ToolCallMiddleware):
    """Writes one JSON line per tool call: tool, duration_ms, cache, upstream status, outcome, and the
    same facts as CloudWatch embedded metrics."""

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
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            cache = record.summary()
            # The signed-in person (OAuth mode): their subject, never their token.
            access = get_access_token()
            person = {"subject": access.subject} if access is not None and access.subject else {}
            self._log.info(
                "tool_call",
                duration_ms=duration_ms,
                cache=cache,
                cache_detail=record.cache or None,
                upstream_status=record.upstream_statuses[-1] if record.upstream_statuses else None,
                upstream_requests=len(record.upstream_statuses),
                outcome=outcome,
                error=error,
                **emf_members(
                    tool=str(getattr(context.message, "name", "unknown")),
                    outcome=outcome,
                    duration_ms=duration_ms,
                    cache=cache,
                    upstream_statuses=record.upstream_statuses,
                    upstream_ms=record.upstream_ms,
                ),
                **person,
            )
