"""Optional static bearer-token authentication for the MCP endpoint (`MCP_AUTH_TOKEN`)."""

from __future__ import annotations

import hmac

from fastmcp.server.auth import TokenVerifier
from fastmcp.server.auth.auth import AccessToken


class StaticBearerToken(TokenVerifier):
    """Accepts exactly one shared token, compared in constant time.

    FastMCP answers a missing or wrong token with 401 and `WWW-Authenticate: Bearer`; routes outside
    the MCP endpoint (such as /health) are not behind it.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self._expected = token.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        """The caller's access, or None when the token does not match."""
        if hmac.compare_digest(token.encode(), self._expected):
            # The token itself is not kept on the access object, so nothing downstream can log it.
            return AccessToken(token="static-bearer-token", client_id="mcp-client", scopes=[])  # noqa: S106
        return None
