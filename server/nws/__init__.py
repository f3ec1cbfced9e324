"""Client for the National Weather Service API (api.weather.gov).

One pooled `httpx.AsyncClient` per process (opened and closed by the server lifespan); transient
failures retried by tenacity with jittered exponential backoff inside a hard time budget; answers
cached per kind (see `server.cache`). Returns models, never text: wording is the tools' job, except
for the error messages, which say which service failed and whether retrying may help.

Modules: `errors` (what can go wrong), `retry` (the retry policy), `parsing` (GeoJSON -> models),
`caching` (TTLs and the noted cache lookup), `client` (`NwsClient`), `factory` (`open_nws_client`).
This package imports nothing from FastMCP or the tools (tests/server/test_layers.py).
"""

from server.nws.caching import ttl_from_cache_control
from server.nws.client import NwsClient
from server.nws.errors import (
    SERVICE,
    NwsBadResponse,
    NwsBusy,
    NwsCircuitOpen,
    NwsError,
    NwsRejected,
    NwsUnavailable,
    PointNotCovered,
)
from server.nws.factory import open_nws_client
from server.nws.parsing import (
    parse_alerts,
    parse_forecast,
    parse_hourly,
    parse_observation,
    parse_point,
    parse_stations,
)

__all__ = [
    "SERVICE",
    "NwsBadResponse",
    "NwsBusy",
    "NwsCircuitOpen",
    "NwsClient",
    "NwsError",
    "NwsRejected",
    "NwsUnavailable",
    "PointNotCovered",
    "open_nws_client",
    "parse_alerts",
    "parse_forecast",
    "parse_hourly",
    "parse_observation",
    "parse_point",
    "parse_stations",
    "ttl_from_cache_control",
]
