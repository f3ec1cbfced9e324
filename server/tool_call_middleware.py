"""Base class of this server's FastMCP middleware: it hooks tools/call and nothing else.

FastMCP's default `Middleware.__call__` builds a chain of three wrappers for every middleware and
message (`on_message`, `on_request`, then the typed hook such as `on_call_tool`). Our middleware
only has a typed hook, so `__call__` (which FastMCP documents as overridable, called once per
message) goes straight to `on_call_tool` for a tool call and passes every other message through.
"""

from __future__ import annotations

from typing import Any

import mcp_types
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext


class ToolCallMiddleware(Middleware):
    """Middleware whose only hook is `on_call_tool`, at the cost of one wrapper per call."""

    async def __call__(self, context: MiddlewareContext[Any], call_next: CallNext[Any, Any]) -> Any:
        """Run `on_call_tool` for a validated tools/call, pass anything else on untouched."""
        # A malformed tools/call reaches middleware only in FastMCP's outer pass, with the raw
        # params dict as its message: like the default dispatch, do not run on_call_tool for it.
        if isinstance(context.message, mcp_types.CallToolRequestParams):
            return await self.on_call_tool(context, call_next)
        return await call_next(context)
