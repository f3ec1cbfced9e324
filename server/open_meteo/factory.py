"""`open_open_meteo_client`: the process's Open-Meteo client with its pooled HTTP connections, for the
server lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx

from server import __version__
from server.open_meteo.client import OpenMeteoClient
from server.settings import ServerSettings
from server.shared_cache import NO_SHARED_LAYERS, SharedLayers


@asynccontextmanager
async def open_open_meteo_client(
    settings: ServerSettings,
    *,
    clock: Callable[[], float] = time.monotonic,
    shared_layers: SharedLayers = NO_SHARED_LAYERS,
) -> AsyncIterator[OpenMeteoClient]:
    """The process's Open-Meteo client; closes its connections on exit.

    `shared_layers`: the process's shared layers (`server.shared_cache.open_shared_layers`, the same
    factory the NWS client was given, see `server.app`), so Open-Meteo answers are shared exactly
    like NWS's, whatever the store is; the default keeps them in this process only.
    """
    timeout = httpx.Timeout(
        connect=settings.connect_timeout_seconds,
        read=settings.read_timeout_seconds,
        write=settings.read_timeout_seconds,
        pool=settings.connect_timeout_seconds,
    )
    async with httpx.AsyncClient(
        headers={"User-Agent": f"mcp-weather-server/{__version__}", "Accept": "application/json"},
        timeout=timeout,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        # No redirects: one would carry the query, and with it the API key, to another host.
        follow_redirects=False,
        trust_env=False,
    ) as http:
        yield OpenMeteoClient(http, settings, clock=clock, shared_layers=shared_layers)
