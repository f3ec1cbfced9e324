"""Client for Open-Meteo (open-meteo.com): forecasts anywhere on Earth, place search, air quality.

Open-Meteo answers where NWS has no forecast grid, finds places by name and gives air quality. The
same layers as the NWS client (`server.nws`), with their own instances: one pooled
`httpx.AsyncClient` per process (opened and closed by the server lifespan), retries with jittered
backoff inside a hard time budget (`server.retry`), its own circuit breaker, answers cached per
resource, coalesced, shared between the workers and served stale when Open-Meteo fails. Returns
models (`server.world_models`), never text, except for error messages that name Open-Meteo.

Modules: `errors` (what can go wrong), `parsing` (JSON -> models), `caching` (TTLs, cache keys and the
noted cache lookup), `client` (`OpenMeteoClient`), `factory` (`open_open_meteo_client`). This package
imports nothing from FastMCP, the tools or the NWS client (tests/server/test_layers.py).
"""

from server.open_meteo.client import OpenMeteoClient
from server.open_meteo.errors import (
    SERVICE,
    OpenMeteoCircuitOpen,
    OpenMeteoError,
    OpenMeteoRejected,
    OpenMeteoUnavailable,
)
from server.open_meteo.factory import open_open_meteo_client

__all__ = [
    "SERVICE",
    "OpenMeteoCircuitOpen",
    "OpenMeteoClient",
    "OpenMeteoError",
    "OpenMeteoRejected",
    "OpenMeteoUnavailable",
    "open_open_meteo_client",
]
