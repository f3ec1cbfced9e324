"""The one log line written per tool call.

`ToolCallLogger` opens a `CallRecord` (`server.call_record`) around each call, which the NWS client
fills with cache outcomes and upstream statuses, and writes it out with the CloudWatch embedded
metrics of `server.metrics` in the same line.
"""

from __future__ import annotations

import time
from typing import Any

from fastmcp.exceptions import ToolError
from fastmcp.server.dependencies import get_access_token
from fastmcp.server.middleware import MiddlewareContext
from fastmcp.tools.base import ToolResult

from server.call_record import CallRecord, recording
from server.logs import TOOL_CALL_LOGGER, get_logger
from server.metrics import emf_members
from server.tool_call_middleware import ToolCallMiddleware


class ToolCallLogger(ToolCallMiddleware):
    """Writes one JSON line per tool call: tool, duration_ms, cache, upstream status, outcome, and the
    same facts as CloudWatch embedded metrics."""

    def __init__(self) -> None:
        self._log = get_logger(TOOL_CALL_LOGGER)

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> ToolResult:
        """Time the call and log what it did, whatever its outcome."""
        started = time.perf_counter()
        outcome, error = "ok", None
        with recording() as record:
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
                self._write(context, record, outcome, error, started)

    def _write(
        self,
        context: MiddlewareContext[Any],
        record: CallRecord,
        outcome: str,
        error: str | None,
        started: float,
    ) -> None:
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
                upstreams={
                    name: (attempts.statuses, attempts.ms) for name, attempts in record.by_upstream.items()
                },
                shared_cache_unavailable=record.shared_cache_unavailable,
            ),
            **person,
        )
