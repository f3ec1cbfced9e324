"""ASGI wrappers around the MCP app: /health, the exact MCP path, Origin validation.

They sit outside FastMCP's app on purpose: /health must answer whatever the Host header says (ALB
health checks send the target's private IP) and without auth, and Origin checks apply to every MCP
request before any session or auth work is done.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from server import __version__
from server.contract import HEALTH_PATH, MCP_PATH, normalize_origin
from server.logs import EDGE_LOGGER, get_logger

log = get_logger(EDGE_LOGGER)


async def _send_json(send: Send, status: int, body: dict[str, object], *, head: bool = False) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else payload})


#: Protected Resource Metadata (RFC 9728): FastMCP serves it path-suffixed for the MCP endpoint;
#: clients that look for it at the root (older drafts, some connectors) get the same document.
PROTECTED_RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource"


class EdgeRoutes:
    """Answers /health itself and serves `MCP_PATH/` as `MCP_PATH` (no redirect), then delegates.

    With `resource_metadata_alias`, the root Protected Resource Metadata path answers with the
    document of `MCP_PATH` (this server protects exactly one resource).
    """

    def __init__(self, app: ASGIApp, *, resource_metadata_alias: bool = False) -> None:
        self.app = app
        self._alias = resource_metadata_alias

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "http":
            path = scope["path"]
            if path == HEALTH_PATH:
                await self._health(scope, send)
                return
            if path == MCP_PATH + "/":
                # Starlette would answer 307 with an absolute http:// Location, which behind a
                # TLS-terminating load balancer sends clients to plain http. Serve it instead.
                scope = {**scope, "path": MCP_PATH, "raw_path": MCP_PATH.encode()}
            elif self._alias and path == PROTECTED_RESOURCE_METADATA_PATH:
                target = PROTECTED_RESOURCE_METADATA_PATH + MCP_PATH
                scope = {**scope, "path": target, "raw_path": target.encode()}
        await self.app(scope, receive, send)

    @staticmethod
    async def _health(scope: Scope, send: Send) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 405,
                    "headers": [(b"allow", b"GET, HEAD"), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await _send_json(send, 200, {"status": "ok", "version": __version__}, head=method == "HEAD")


def _is_loopback_origin(origin: str) -> bool:
    host = urlsplit(origin).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OriginGuard:
    """403 for a request whose Origin header is present and not allowed (MCP spec, DNS rebinding).

    Requests without Origin (non-browser clients: mcp-remote, VS Code, SDKs) pass. Allowed are the
    configured origins and, when the server itself is bound to loopback, loopback origins.
    """

    def __init__(
        self,
        app: ASGIApp,
        allowed_origins: Iterable[str],
        *,
        allow_loopback: bool,
        own_origin: str | None = None,
        own_origin_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self._allowed = frozenset(allowed_origins)
        self._allow_loopback = allow_loopback
        self._own_origin = own_origin
        self._own_origin_paths = frozenset(own_origin_paths)

    def allows(self, origin: str, path: str = "") -> bool:
        """Whether a request carrying this Origin header may proceed to `path`.

        On the own-origin paths (the consent form) only the server's own origin may: neither the
        listed origins nor, on a loopback server, other loopback ports (a page on 127.0.0.1:<any
        port> gets the person's consent cookies too, since cookies ignore ports).
        """
        normalized = normalize_origin(origin)
        if normalized is None:
            return False
        if path in self._own_origin_paths:
            return normalized == self._own_origin
        return normalized in self._allowed or (self._allow_loopback and _is_loopback_origin(normalized))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "http":
            origin = Headers(scope=scope).get("origin")
            if origin is not None and not self.allows(origin, scope["path"]):
                log.warning("origin_rejected", origin=origin[:200], path=scope["path"])
                await _send_json(
                    send,
                    403,
                    {
                        "error": "forbidden_origin",
                        "message": "This Origin is not allowed to use this MCP server.",
                    },
                )
                return
        await self.app(scope, receive, send)
