"""Overload shedding: past a bound of concurrent work, answer at once with a retryable error.

Queueing more work than a process can finish only grows every caller's latency; refusing the excess
quickly keeps p99 bounded and tells the client to come back. Two layers, both per process:

- `CallShedder` (FastMCP middleware): tool calls in progress beyond `MCP_MAX_CONCURRENT_CALLS` get a
  ToolError saying the server is busy and when to retry. That is what MCP clients show a person.
- `HttpShedder` (ASGI): MCP HTTP requests in progress beyond twice that bound (initialize, list and
  call requests piling up before the tool layer sees them) get 503 with Retry-After.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from fastmcp.exceptions import ToolError
from fastmcp.server.middleware import MiddlewareContext
from fastmcp.tools.base import ToolResult
from starlette.types import ASGIApp, Receive, Scope, Send

from server.contract import MCP_PATH
from server.logs import SHEDDING_LOGGER, get_logger
from server.tool_call_middleware import ToolCallMiddleware

#: Seconds a shed caller is asked to wait before retrying.
RETRY_AFTER_SECONDS: Final = 1
#: The HTTP layer's bound is this many times the tool-call bound.
HTTP_HEADROOM: Final = 2

log = get_logger(SHEDDING_LOGGER)


def busy_message(limit: int) -> str:
    """What a shed caller reads."""
    return (
        f"This weather server is busy (more than {limit} requests in progress). This is temporary:"
        f" retry in {RETRY_AFTER_SECONDS} second{'s' if RETRY_AFTER_SECONDS != 1 else ''}."
    )


class CallShedder(ToolCallMiddleware):
    """Refuses a tool call when `limit` calls are already in progress in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_progress = 0

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> ToolResult:
        """Pass the call on, or refuse it when the process is at its bound."""
        if self.in_progress >= self.limit:
            raise ToolError(busy_message(self.limit), log_level=logging.INFO)
        self.in_progress += 1
        try:
            return await call_next(context)
        finally:
            self.in_progress -= 1


class HttpShedder:
    """503 with Retry-After for an MCP request when `limit` of them are already in progress."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_progress = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or scope["path"] != MCP_PATH:
            await self.app(scope, receive, send)
            return
        if self.in_progress >= self.limit:
            log.info("http_request_shed", in_progress=self.in_progress, limit=self.limit)
            body = json.dumps(
                {
                    "error": "overloaded",
                    "message": busy_message(self.limit),
                    "retry_after": RETRY_AFTER_SECONDS,
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                        (b"cache-control", b"no-store"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        self.in_progress += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_progress -= 1
