"""Client for the National Weather Service API (api.weather.gov).

One pooled `httpx.AsyncClient` per process (opened and closed by the server lifespan); transient
failures retried by tenacity with jittered exponential backoff inside a hard time budget; answers
cached per kind (see `server.cache`). Returns models, never text: wording is the tools' job, except
for the error messages, which say which service failed and whether retrying may help.

Modules: `errors` (what can go wrong), `parsing` (GeoJSON -> models), `caching` (TTLs and the noted
cache lookup), `client` (`NwsClient`), `factory` (`open_nws_client`), `coverage` (where NWS may have
a forecast grid). The retry policy is `server.retry`, shared with the Open-Meteo client.
This package imports nothing from FastMCP or the tools (tests/server/test_layers.py).
Re-exported here: what code outside the package uses; the rest is imported from its module.
"""

from server.nws.client import NwsClient
from server.nws.errors import (
    SERVICE,
    NwsCircuitOpen,
    NwsError,
    NwsUnavailable,
    PointNotCovered,
)
from server.nws.factory import open_nws_client

__all__ = [
    "SERVICE",
    "NwsCircuitOpen",
    "NwsClient",
    "NwsError",
    "NwsUnavailable",
    "PointNotCovered",
    "open_nws_client",
]
