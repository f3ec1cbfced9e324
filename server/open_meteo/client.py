"""The Open-Meteo client: one method per resource (place search, point forecast, air quality), each a
cached lookup of a parsed answer.

The same engineering as the NWS client (`server.nws.client`), with its own instances: requests go
through Open-Meteo's own circuit breaker (an Open-Meteo outage never opens NWS's, nor the reverse),
a per-process concurrency limit and the retry policy (`server.retry`) inside a hard time budget;
each attempt is traced and noted on the current tool call under the upstream "open_meteo". Answers
are cached per resource with TTLs that fit their data (`server.open_meteo.caching`), coalesced,
shared with the other workers, and served stale (labelled) when Open-Meteo fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from server.cache import Lookup, ResponseCache
from server.contract import EnvVar
from server.logs import OPEN_METEO_LOGGER, get_logger
from server.metrics import OPEN_METEO
from server.open_meteo.caching import (
    grid_key,
    lookup,
    normalize_query,
    query_key,
)
from server.open_meteo.errors import (
    SERVICE,
    OpenMeteoBadResponse,
    OpenMeteoBusy,
    OpenMeteoCircuitOpen,
    OpenMeteoError,
    OpenMeteoRejected,
    OpenMeteoUnavailable,
)
from server.open_meteo.parsing import (
    AIR_QUALITY_VARIABLES,
    error_reason,
    parse_air_quality,
    parse_forecast,
    parse_places,
)
from server.settings import ServerSettings
from server.shared_cache import NO_SHARED_LAYERS, SharedLayers
from server.upstream_requests import Upstream, UpstreamRequests
from server.world_models import AirQuality, Place, PointForecast

log = get_logger(OPEN_METEO_LOGGER)

#: How Open-Meteo is named and fails, for its breaker, limit and retries (`UpstreamRequests`).
UPSTREAM: Final = Upstream(
    service=SERVICE,
    log_prefix="open_meteo",
    label=OPEN_METEO,
    log=log,
    unavailable=OpenMeteoUnavailable,
    circuit_open=OpenMeteoCircuitOpen,
    busy=OpenMeteoBusy,
    bad_response=OpenMeteoBadResponse,
    error=OpenMeteoError,
    rate_limited_advice=": its free tier allows about 10,000 calls a day. Try again later.",
    connect_failed=f"Could not connect to {SERVICE}. Try again in a few minutes.",
    path_of=lambda url: urlsplit(url).path,  # the coordinates and the key travel in the query
)

#: Places asked of the geocoding API per name, whatever `count` a caller wants (one cache entry serves
#: every count up to it: Open-Meteo ranks the same places first).
MAX_PLACES: Final = 10
#: Days of forecast asked for: 8, so that at least 7 whole days and 168 hours lie ahead of "now".
FORECAST_DAYS: Final = 8
CURRENT_VARIABLES: Final = (
    "temperature_2m",
    "relative_humidity_2m",
    "apparent_temperature",
    "is_day",
    "precipitation",
    "weather_code",
    "cloud_cover",
    "pressure_msl",
    "wind_speed_10m",
    "wind_direction_10m",
    "wind_gusts_10m",
)
HOURLY_VARIABLES: Final = (
    "temperature_2m",
    "precipitation_probability",
    "precipitation",
    "weather_code",
    "wind_speed_10m",
    "wind_direction_10m",
)
DAILY_VARIABLES: Final = (
    "weather_code",
    "temperature_2m_max",
    "temperature_2m_min",
    "precipitation_sum",
    "precipitation_probability_max",
    "wind_speed_10m_max",
    "sunrise",
    "sunset",
)
#: Units asked for explicitly (they are Open-Meteo's defaults), so a changed default cannot mislabel them.
_UNITS: Final = {"temperature_unit": "celsius", "wind_speed_unit": "kmh", "precipitation_unit": "mm"}


class OpenMeteoClient:
    """Open-Meteo access with retries and caching. Create with `open_open_meteo_client`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: ServerSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        shared_layers: SharedLayers = NO_SHARED_LAYERS,
    ) -> None:
        self._settings = settings
        key = settings.open_meteo_api_key
        #: Query parameters of every request: the commercial key, when there is one.
        self._key_params = {"apikey": key.get_secret_value()} if key else {}

        def cache(collection: str, kind: Any) -> ResponseCache[Any]:
            return shared_layers.response_cache(collection, kind, settings, clock)

        self._requests = UpstreamRequests(http, settings, UPSTREAM, clock=clock)
        self.breaker = self._requests.breaker
        self._places: ResponseCache[tuple[Place, ...]] = cache("open_meteo_places", tuple[Place, ...])
        self._forecasts: ResponseCache[PointForecast] = cache("open_meteo_forecasts", PointForecast)
        self._air_quality: ResponseCache[AirQuality] = cache("open_meteo_air_quality", AirQuality)

    async def places(self, query: str) -> Lookup[tuple[Place, ...]]:
        """Places matching a name in any language, most relevant first (at most MAX_PLACES)."""
        name = normalize_query(query)
        url = self._settings.open_meteo_geocoding_url
        params = {"name": name, "count": str(MAX_PLACES), "language": "en", "format": "json"}

        async def fetch() -> tuple[tuple[Place, ...], float]:
            response = await self._get(url, params, stale=self._places.has_entry(query_key(query)))
            return parse_places(self._json(response)), self._settings.open_meteo_geocoding_ttl_seconds

        return await lookup(self._places, "geocoding", query_key(query), fetch)

    async def forecast(self, latitude: float, longitude: float) -> Lookup[PointForecast]:
        """A point's forecast: now, hourly and daily, in its local time (one request for all three)."""
        lat, lon = grid_key(latitude, longitude)
        key = f"{lat:.2f},{lon:.2f}"
        params = {
            "latitude": f"{lat:.2f}",
            "longitude": f"{lon:.2f}",
            "current": ",".join(CURRENT_VARIABLES),
            "hourly": ",".join(HOURLY_VARIABLES),
            "daily": ",".join(DAILY_VARIABLES),
            "timezone": "auto",
            "forecast_days": str(FORECAST_DAYS),
            **_UNITS,
        }
        url = self._settings.open_meteo_forecast_url

        async def fetch() -> tuple[PointForecast, float]:
            response = await self._get(url, params, stale=self._forecasts.has_entry(key))
            return parse_forecast(self._json(response)), self._settings.open_meteo_forecast_ttl_seconds

        return await lookup(self._forecasts, "forecast", key, fetch)

    async def air_quality(self, latitude: float, longitude: float) -> Lookup[AirQuality]:
        """A point's current air quality (US and European AQI, particulates, ozone, NO2)."""
        lat, lon = grid_key(latitude, longitude)
        key = f"{lat:.2f},{lon:.2f}"
        params = {
            "latitude": f"{lat:.2f}",
            "longitude": f"{lon:.2f}",
            "current": ",".join(AIR_QUALITY_VARIABLES),
            "timezone": "auto",
        }
        url = self._settings.open_meteo_air_quality_url

        async def fetch() -> tuple[AirQuality, float]:
            response = await self._get(url, params, stale=self._air_quality.has_entry(key))
            return parse_air_quality(self._json(response)), self._settings.open_meteo_air_quality_ttl_seconds

        return await lookup(self._air_quality, "air_quality", key, fetch)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            log.warning("open_meteo_unreadable_json", path=response.url.path, status=response.status_code)
            raise OpenMeteoBadResponse(
                f"{SERVICE} sent a response this server could not read. Try again in a few minutes."
            ) from None

    async def _get(self, url: str, params: dict[str, str], *, stale: bool = False) -> httpx.Response:
        """GET through Open-Meteo's breaker, limit and retries (`UpstreamRequests`), with the key if there
        is one; a final non-200 is an error.

        `stale`: a stale entry can answer instead, so do not queue behind a full limiter.
        """
        response = await self._requests.get(url, {**params, **self._key_params}, stale=stale)
        if response.status_code == 200:
            return response
        raise self._client_error(response)

    def _client_error(self, response: httpx.Response) -> OpenMeteoError:
        """The error for a final non-200, non-transient answer, with Open-Meteo's reason when it gave one."""
        status = response.status_code
        reason = error_reason(response)
        if reason is not None and self._key_params:  # a reason that quotes the request keeps the key out
            reason = reason.replace(self._key_params["apikey"], "[redacted]")
        # The path only: the query carries the key, if there is one.
        log.warning("open_meteo_rejected", path=response.url.path, status=status, reason=reason)
        if 300 <= status < 400:
            return OpenMeteoBadResponse(
                f"{SERVICE} redirected the request unexpectedly (HTTP {status}). Try again later.",
                status=status,
            )
        if status in (401, 403):
            return OpenMeteoRejected(
                f"{SERVICE} refused this server's requests (HTTP {status}"
                + (f": {reason}" if reason else "")
                + f"). This is a server configuration problem (its {EnvVar.OPEN_METEO_API_KEY} or Open-Meteo"
                " URLs); retrying will not help, please tell the operator.",
                status=status,
                reason=reason,
            )
        detail = f"HTTP {status}: {reason}" if reason else f"HTTP {status}"
        return OpenMeteoRejected(
            f"{SERVICE} rejected the request ({detail}). Retrying will not help.",
            status=status,
            reason=reason,
        )
