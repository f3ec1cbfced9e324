"""The application: FastMCP server (tools, prompt, lifespan, auth, logging middleware) wrapped for HTTP.

`create_app` is the uvicorn factory (`server.app:create_app`, run by `server.serving.serve`), so each
worker process builds its own app, upstream clients and caches from the same validated environment.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastmcp import FastMCP
from fastmcp.server.auth import AuthProvider
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from server import __version__
from server.auth import StaticBearerToken
from server.branding import server_icons
from server.contract import MCP_PATH, normalize_origin
from server.draining import DrainOnSigterm
from server.gc_tuning import settle_heap
from server.http_edge import EdgeRoutes, OriginGuard
from server.logs import configure_logging
from server.nws import open_nws_client
from server.open_meteo import open_open_meteo_client
from server.settings import ServerSettings
from server.shared_cache import open_shared_layers
from server.shedding import HTTP_HEADROOM, CallShedder, HttpShedder
from server.tool_call_log import ToolCallLogger
from server.tools import (
    NWS_CLIENT_KEY,
    OPEN_METEO_CLIENT_KEY,
    ArgumentErrors,
    register_prompts,
    register_tools,
)
from server.tracing import TraceContext, configure_tracing

INSTRUCTIONS = (
    "Weather for any place on Earth: find_location turns a place name (any language) into"
    " coordinates; get_forecast, get_hourly_forecast and get_current_conditions answer for a"
    " latitude/longitude from the US National Weather Service in the United States and its territories"
    " and from Open-Meteo elsewhere; get_air_quality gives air quality anywhere (Open-Meteo). Active"
    " alerts (get_alerts_for_point, get_alerts for a state, territory or marine area) cover the US"
    " only. Open-Meteo data is CC BY 4.0: name it as the source when you use it."
)
#: Seconds a modern client (protocol 2026-07-28) may reuse the tool and prompt lists (`ttlMs`): they
#: change only when a new version is deployed, and are the same for everyone who may call (public).
LIST_CACHE_SECONDS = 3600


def create_server(settings: ServerSettings, *, clock: Callable[[], float] = time.monotonic) -> FastMCP:
    """The FastMCP server with its tools and prompt; its lifespan owns the process's pooled upstream
    clients (NWS, Open-Meteo).

    `clock` (monotonic seconds) drives cache freshness; tests pass one they can move.
    """

    @asynccontextmanager
    async def lifespan(_server: FastMCP) -> AsyncIterator[dict[str, Any]]:
        # One shared store (and connection pool) per worker, for every upstream client's caches.
        async with (
            open_shared_layers(settings) as shared_layers,
            open_nws_client(settings, clock=clock, shared_layers=shared_layers) as nws,
            open_open_meteo_client(settings, clock=clock, shared_layers=shared_layers) as open_meteo,
        ):
            yield {NWS_CLIENT_KEY: nws, OPEN_METEO_CLIENT_KEY: open_meteo}

    mcp = FastMCP(
        name="weather",
        instructions=INSTRUCTIONS,
        version=__version__,
        icons=server_icons(),
        lifespan=lifespan,
        auth=auth_provider(settings),
        # First is outermost: shed calls are logged too.
        middleware=[ToolCallLogger(), CallShedder(settings.max_concurrent_calls), ArgumentErrors()],
        mask_error_details=True,
        cache_ttl=LIST_CACHE_SECONDS,
        cache_scope="public",
    )
    register_tools(mcp)
    register_prompts(mcp)
    return mcp


def auth_provider(settings: ServerSettings) -> AuthProvider | None:
    """What guards /mcp: nothing, the shared bearer token, or the OAuth 2.1 resource server."""
    mode = settings.effective_auth_mode
    if mode == "token" and settings.auth_token is not None:
        return StaticBearerToken(settings.auth_token.get_secret_value())
    if mode == "oauth":
        from server.oauth import oauth_provider  # discovery and the store only in oauth mode

        return oauth_provider(settings)
    return None


def create_app(settings: ServerSettings | None = None) -> ASGIApp:
    """The ASGI app served by uvicorn: /health, Origin guard, CORS for allowed origins, /mcp."""
    return worker_app(create_server, settings)


def worker_app(
    build_server: Callable[[ServerSettings], FastMCP], settings: ServerSettings | None = None
) -> ASGIApp:
    """One worker process's ASGI app for the FastMCP server `build_server` makes, set up as deployed.

    Logging (every secret setting redacted), tracing, the server built with the settings, wrapped by
    `http_transport`, and the heap settled. `create_app` calls it with the weather server; an app
    factory given to `server.serving.serve` calls it with its own server (bench/floor.py does).
    """
    settings = settings or ServerSettings()
    configure_logging(settings.log_level, secrets=settings.secret_values())
    configure_tracing(settings.otlp_endpoint)
    app = http_transport(build_server(settings), settings)
    settle_heap()  # after everything long-lived is built (see server/gc_tuning.py)
    return app


def http_transport(mcp: FastMCP, settings: ServerSettings) -> ASGIApp:
    """A FastMCP server wrapped for HTTP the way this server is deployed.

    Stateless streamable HTTP with JSON responses at MCP_PATH, CORS for the allowed origins, the
    Origin guard, /health, 503 past the HTTP overload bound, and the drain on SIGTERM (see
    `worker_app` for the rest of a worker's setup). In oauth mode also `server.oauth_edge`: the
    public OAuth endpoints around the Origin guard with CORS `*`, the sign-in pages' headers, and
    clear answers when the store or the identity provider fails.
    """
    mcp_app: ASGIApp = mcp.http_app(
        path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        # FastMCP's Host/Origin guard would also cover /health and reject the ALB's health checks
        # (they send the target's IP as Host). OriginGuard below does the MCP spec's Origin check.
        host_origin_protection=False,
    )
    oauth = settings.effective_auth_mode == "oauth"
    if oauth:
        from server.oauth_edge import FaultAnswers, SignInPageHeaders

        mcp_app = FaultAnswers(SignInPageHeaders(mcp_app))
    if settings.otlp_endpoint:
        mcp_app = TraceContext(mcp_app)  # a client's traceparent header continues its trace
    inner = mcp_app
    if settings.allowed_origins:
        mcp_app = CORSMiddleware(
            mcp_app,
            allow_origins=list(settings.allowed_origins),
            allow_methods=["POST", "DELETE", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=["Mcp-Session-Id", "WWW-Authenticate"],
        )
    allowed = settings.allowed_origins
    own_origin = normalize_origin(settings.public_url) if oauth and settings.public_url else None
    if own_origin is not None:
        # The consent form posts back from the server's own pages.
        allowed = (*allowed, own_origin)
    guarded: ASGIApp = OriginGuard(
        mcp_app,
        allowed,
        allow_loopback=settings.binds_loopback,
        own_origin=own_origin,
        own_origin_paths=("/consent",) if oauth else (),
    )
    if oauth:
        from server.oauth_edge import PublicOAuthEndpoints, public_oauth_cors

        # Metadata, registration, token and revocation answer browser pages on any origin.
        guarded = PublicOAuthEndpoints(guarded, public_oauth_cors(inner))
    shed = HttpShedder(guarded, settings.max_concurrent_calls * HTTP_HEADROOM)
    edge = EdgeRoutes(shed, resource_metadata_alias=settings.effective_auth_mode == "oauth")
    return DrainOnSigterm(edge, settings.shutdown_drain_seconds)
