"""`open_nws_client`: the process's NWS client with its pooled HTTP connections, for the server lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx

from server.nws.client import NwsClient
from server.settings import ServerSettings
from server.shared_cache import open_store


@asynccontextmanager
async def open_nws_client(
    settings: ServerSettings, *, clock: Callable[[], float] = time.monotonic
) -> AsyncIterator[NwsClient]:
    """The process's NWS client with its pooled HTTP connections; closes them on exit.

    `clock` (monotonic seconds) decides freshness and expiry of cache entries. With
    `NWS_SHARED_CACHE_DIR` set, the caches share their entries with the other workers through it.
    """
    timeout = httpx.Timeout(
        connect=settings.connect_timeout_seconds,
        read=settings.read_timeout_seconds,
        write=settings.read_timeout_seconds,
        pool=settings.connect_timeout_seconds,
    )
    async with AsyncExitStack() as stack:
        store = None
        if settings.shared_cache_dir and settings.cache_enabled:
            store = await stack.enter_async_context(open_store(settings.shared_cache_dir))
        http = await stack.enter_async_context(_http_client(settings, timeout))
        yield NwsClient(http, settings, clock=clock, shared_store=store)


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
