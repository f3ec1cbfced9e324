"""The OAuth endpoints at the HTTP edge: who may call them from a browser, how their pages are
framed, and what a client gets when the store or the identity provider fails.

- `PublicOAuthEndpoints`: the metadata documents, /register, /token and /revoke answer a page on any
  origin (`Access-Control-Allow-Origin: *`, no credentials: these endpoints use none, and cookies
  never reach them), preflights included, so a single-page app can run OAuth itself. Everything else
  (/mcp, /authorize, the consent form, the callback) stays behind the Origin guard.
- `SignInPageHeaders`: the browser pages (/authorize, /consent, the callback) get the headers of
  `server.oauth_pages` (a Content-Security-Policy that loads nothing from anywhere, no framing).
- `FaultAnswers`: when a request failed because the store or the provider did (`server.oauth_faults`),
  its error answer is replaced with the one that says so: 503 and Retry-After (a page for a browser,
  OAuth JSON for a client), 403 for a person outside the allowed groups, 502 when the provider
  refuses this server's own credentials. A 401 at /mcp caused by an unreachable store becomes 503,
  so the client retries instead of throwing its token away.

Starlette only: no FastMCP here.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.contract import MCP_PATH, OAUTH_CALLBACK_PATH
from server.oauth_faults import Fault, recording_faults
from server.oauth_pages import PAGE_SECURITY_HEADERS, fault_answer

#: Endpoints a browser page on any origin may call (with their metadata documents).
PUBLIC_OAUTH_PATHS: Final = frozenset(
    {
        "/register",
        "/token",
        "/revoke",
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource" + MCP_PATH,
    }
)
#: Pages a person's browser opens during sign-in.
SIGN_IN_PAGE_PATHS: Final = frozenset({"/authorize", "/consent", OAUTH_CALLBACK_PATH})
#: Request headers a browser client may send to the public endpoints.
PUBLIC_ALLOWED_HEADERS: Final = ("Authorization", "Content-Type", "MCP-Protocol-Version")


def public_oauth_cors(app: ASGIApp) -> ASGIApp:
    """CORS for the public OAuth endpoints: any origin, no credentials, preflights answered."""
    return CORSMiddleware(
        app,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=list(PUBLIC_ALLOWED_HEADERS),
        expose_headers=["Retry-After", "WWW-Authenticate"],
        max_age=600,
    )


class PublicOAuthEndpoints:
    """Sends the public OAuth endpoints to `public` and every other request to `guarded`."""

    def __init__(self, guarded: ASGIApp, public: ASGIApp) -> None:
        self.guarded = guarded
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "http" and scope["path"] in PUBLIC_OAUTH_PATHS:
            await self.public(scope, receive, send)
        else:
            await self.guarded(scope, receive, send)


class SignInPageHeaders:
    """Adds the sign-in page headers to every answer on the sign-in page paths."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or scope["path"] not in SIGN_IN_PAGE_PATHS:
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in PAGE_SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def _answerable(faults: list[Fault], *, browser: bool) -> Fault | None:
    """The fault to answer with: a group refusal is only a page (clients get the provider's answer)."""
    for fault in faults:
        if fault is not Fault.NOT_IN_ALLOWED_GROUP or browser:
            return fault
    return None


class FaultAnswers:
    """Replaces the error answer of a request that a store or provider failure stopped (see above)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        browser = scope["path"] in SIGN_IN_PAGE_PATHS
        started = replaced = False
        with recording_faults() as faults:

            async def watch(message: Message) -> None:
                nonlocal started, replaced
                if message["type"] == "http.response.start":
                    started = True
                    fault = _answerable(faults, browser=browser) if message["status"] >= 400 else None
                    if fault is not None:
                        replaced = True
                        await fault_answer(fault, browser=browser)(scope, receive, send)
                        return
                if not replaced:
                    await send(message)

            try:
                await self.app(scope, receive, watch)
            except Exception:
                if replaced:
                    # Starlette answered 500 and re-raised; the client has its answer and the
                    # failure was logged where it happened. Re-raising would make the server close
                    # the connection after an answer that is complete.
                    return
                fault = _answerable(faults, browser=browser)
                if started or fault is None:
                    raise
                await fault_answer(fault, browser=browser)(scope, receive, send)
