"""`open_nws_client`: the process's NWS client with its pooled HTTP connections, for the server lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx

from server.nws.client import NwsClient
from server.settings import ServerSettings
from server.shared_cache import SharedLayers, open_shared_layers


@asynccontextmanager
async def open_nws_client(
    settings: ServerSettings,
    *,
    clock: Callable[[], float] = time.monotonic,
    shared_layers: SharedLayers | None = None,
) -> AsyncIterator[NwsClient]:
    """The process's NWS client with its pooled HTTP connections; closes them on exit.

    `clock` (monotonic seconds) decides freshness and expiry of cache entries. `shared_layers`: the
    process's shared layers (`server.shared_cache.open_shared_layers`), which every upstream client
    of the process should share; None opens this client's own from the settings
    (`MCP_SHARED_CACHE_URL`, else `NWS_SHARED_CACHE_DIR`).
    """
    timeout = httpx.Timeout(
        connect=settings.connect_timeout_seconds,
        read=settings.read_timeout_seconds,
        write=settings.read_timeout_seconds,
        pool=settings.connect_timeout_seconds,
    )
    async with AsyncExitStack() as stack:
        if shared_layers is None:
            shared_layers = await stack.enter_async_context(open_shared_layers(settings))
        http = await stack.enter_async_context(_http_client(settings, timeout))
        yield NwsClient(http, settings, clock=clock, shared_layers=shared_layers)


def _http_client(settings: ServerSettings, timeout: httpx.Timeout) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=settings.nws_api_base_url,
        headers={"User-Agent": settings.nws_user_agent, "Accept": "application/geo+json"},
        timeout=timeout,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        follow_redirects=True,
        max_redirects=3,
        trust_env=False,
    )
