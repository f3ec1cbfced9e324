"""Tool-call middleware that turns argument type errors into one plain sentence for the caller."""

from __future__ import annotations

from typing import Any

from fastmcp.exceptions import ValidationError as ArgumentValidationError
from fastmcp.server.middleware import MiddlewareContext
from fastmcp.tools.base import ToolResult
from pydantic import ValidationError as PydanticValidationError

from server.problems import problems
from server.tool_call_middleware import ToolCallMiddleware
from server.tools.validation import input_error


class ArgumentErrors(ToolCallMiddleware):
    """Turns argument type errors (pydantic's, with its internals and URLs) into one plain sentence."""

    async def on_call_tool(self, context: MiddlewareContext[Any], call_next: Any) -> ToolResult:
        """Pass the call on; rephrase an argument validation failure."""
        try:
            return await call_next(context)
        except ArgumentValidationError as error:
            cause = error.__cause__
            if not isinstance(cause, PydanticValidationError):
                raise
            described = [
                f"{problem.where}: {problem.message}"
                + (f" (got {problem.given!r:.60})" if problem.kind != "missing" else "")
                for problem in problems(cause, whole="arguments")
            ]
            tool = getattr(context.message, "name", "the tool")
            raise input_error(f"Invalid arguments for {tool}: {'; '.join(described)}.") from None
