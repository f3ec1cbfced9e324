"""The NWS client: one method per endpoint, each a cached lookup of a parsed answer.

Requests go through the circuit breaker, a per-process concurrency limit and the retry policy
(`server.retry`) inside a hard time budget; each attempt is traced and noted on the current
tool call (`server.call_record`). Returns models, never text: wording is the tools' job, except
for the error messages, which say which service failed and whether retrying may help.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

import httpx

from server.cache import Lookup, ResponseCache
from server.coordinates import format_coordinate
from server.logs import NWS_LOGGER, get_logger
from server.metrics import NWS
from server.models import (
    Alert,
    GridForecast,
    GridPoint,
    HourlyForecast,
    NoForecastGrid,
    Observation,
    Station,
)
from server.nws.caching import (
    OBSERVATION_TTL_CEILING_SECONDS,
    OBSERVATION_TTL_FLOOR_SECONDS,
    lookup,
    ttl_from_cache_control,
)
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
from server.nws.parsing import (
    optional_text,
    parse_alerts,
    parse_forecast,
    parse_hourly,
    parse_observation,
    parse_point,
    parse_stations,
    problem_details,
)
from server.settings import ServerSettings
from server.shared_cache import NO_SHARED_LAYERS, SharedLayers
from server.upstream_requests import Upstream, UpstreamRequests

log = get_logger(NWS_LOGGER)

#: How NWS is named and fails, for its breaker, limit and retries (`UpstreamRequests`).
UPSTREAM: Final = Upstream(
    service=SERVICE,
    log_prefix="nws",
    label=NWS,
    log=log,
    unavailable=NwsUnavailable,
    circuit_open=NwsCircuitOpen,
    busy=NwsBusy,
    bad_response=NwsBadResponse,
    error=NwsError,
    rate_limited_advice=". Try again in a minute.",
    connect_failed="Could not connect to the National Weather Service API. Try again in a few minutes.",
    path_of=lambda path: path,  # NWS paths carry no secret: spans keep the query (`?point=`)
)


class NwsClient:
    """NWS API access with retries and caching. Create with `open_nws_client`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: ServerSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        shared_layers: SharedLayers = NO_SHARED_LAYERS,
    ) -> None:
        self._settings = settings

        def cache(collection: str, kind: Any) -> ResponseCache[Any]:
            return shared_layers.response_cache(collection, kind, settings, clock)

        self._requests = UpstreamRequests(http, settings, UPSTREAM, clock=clock)
        self.breaker = self._requests.breaker
        self._points: ResponseCache[GridPoint | NoForecastGrid] = cache("points", GridPoint | NoForecastGrid)
        self._forecasts: ResponseCache[GridForecast] = cache("forecasts", GridForecast)
        self._alerts: ResponseCache[tuple[Alert, ...]] = cache("alerts", tuple[Alert, ...])
        self._hourly: ResponseCache[HourlyForecast] = cache("hourly", HourlyForecast)
        self._stations: ResponseCache[tuple[Station, ...]] = cache("stations", tuple[Station, ...])
        self._observations: ResponseCache[Observation | None] = cache("observations", Observation | None)
        self._point_alerts: ResponseCache[tuple[Alert, ...] | None] = cache(
            "point_alerts", tuple[Alert, ...] | None
        )

    async def point(self, latitude: float, longitude: float) -> Lookup[GridPoint]:
        """The grid cell covering a coordinate (cached for hours: it rarely changes).

        `PointNotCovered` when NWS has no grid there (404 InvalidPoint, or a point without a grid):
        remembered like an answer, so NWS is asked once per point, and known even while NWS is down.
        """
        path = f"/points/{format_coordinate(latitude)},{format_coordinate(longitude)}"

        async def fetch() -> tuple[GridPoint | NoForecastGrid, float]:
            try:
                response = await self._get(path, point_lookup=True, stale=self._points.has_entry(path))
                return parse_point(self._json(response)), self._settings.points_ttl_seconds
            except PointNotCovered as not_covered:
                return NoForecastGrid(status=not_covered.status or 404), self._settings.points_ttl_seconds

        found = await lookup(self._points, "points", path, fetch)
        if isinstance(found.value, NoForecastGrid):
            raise PointNotCovered(
                f"{SERVICE} has no forecast grid for this point.", status=found.value.status
            )
        return Lookup(found.value, found.status, found.fetched_at)

    async def forecast(self, point: GridPoint) -> Lookup[GridForecast]:
        """The forecast of a grid cell; nearby coordinates share one cache entry."""
        path = f"/gridpoints/{point.office}/{point.grid_x},{point.grid_y}/forecast"

        async def fetch() -> tuple[GridForecast, float]:
            response = await self._get(path, stale=self._forecasts.has_entry(path))
            ttl = ttl_from_cache_control(
                response.headers,
                floor=self._settings.forecast_ttl_min_seconds,
                ceiling=self._settings.forecast_ttl_max_seconds,
            )
            return parse_forecast(self._json(response)), ttl

        return await lookup(self._forecasts, "forecast", path, fetch)

    async def alerts(self, area: str) -> Lookup[tuple[Alert, ...]]:
        """Active alerts for a state, territory or marine area (cached at most alerts_ttl_seconds)."""
        path = f"/alerts/active/area/{area}"

        async def fetch() -> tuple[tuple[Alert, ...], float]:
            response = await self._get(path, stale=self._alerts.has_entry(path))
            ceiling = self._settings.alerts_ttl_seconds
            ttl = ttl_from_cache_control(response.headers, floor=0.0, ceiling=ceiling)
            if "max-age" not in response.headers.get("cache-control", ""):
                ttl = ceiling
            return parse_alerts(self._json(response)), ttl

        return await lookup(self._alerts, "alerts", path, fetch)

    async def hourly_forecast(self, point: GridPoint) -> Lookup[HourlyForecast]:
        """The hourly forecast of a grid cell (NWS forecastHourly), cached per grid like the forecast."""
        path = (
            point.hourly_path or f"/gridpoints/{point.office}/{point.grid_x},{point.grid_y}/forecast/hourly"
        )

        async def fetch() -> tuple[HourlyForecast, float]:
            response = await self._get(path, stale=self._hourly.has_entry(path))
            ttl = ttl_from_cache_control(
                response.headers,
                floor=self._settings.forecast_ttl_min_seconds,
                ceiling=self._settings.forecast_ttl_max_seconds,
            )
            return parse_hourly(self._json(response)), ttl

        return await lookup(self._hourly, "hourly", path, fetch)

    async def stations(self, point: GridPoint) -> Lookup[tuple[Station, ...]]:
        """Observation stations near a grid cell, nearest first (cached like points: they rarely change)."""
        path = point.stations_path or f"/gridpoints/{point.grid}/stations"

        async def fetch() -> tuple[tuple[Station, ...], float]:
            response = await self._get(path, stale=self._stations.has_entry(path))
            return parse_stations(self._json(response)), self._settings.points_ttl_seconds

        return await lookup(self._stations, "stations", path, fetch)

    async def latest_observation(self, station_id: str) -> Lookup[Observation | None]:
        """A station's latest observation; None when NWS has none for it (404), remembered like an answer."""
        path = f"/stations/{station_id}/observations/latest"

        async def fetch() -> tuple[Observation | None, float]:
            try:
                response = await self._get(path, stale=self._observations.has_entry(path))
            except NwsRejected as error:
                if error.status != 404:
                    raise
                return None, OBSERVATION_TTL_CEILING_SECONDS
            ttl = ttl_from_cache_control(
                response.headers,
                floor=OBSERVATION_TTL_FLOOR_SECONDS,
                ceiling=OBSERVATION_TTL_CEILING_SECONDS,
            )
            return parse_observation(self._json(response)), ttl

        return await lookup(self._observations, "observation", path, fetch)

    async def point_alerts(self, latitude: float, longitude: float) -> Lookup[tuple[Alert, ...] | None]:
        """Active alerts whose area contains a point; None when NWS refuses the point (400: outside
        the areas it issues alerts for), remembered like an answer. Cached like the area alerts."""
        path = f"/alerts/active?point={format_coordinate(latitude)},{format_coordinate(longitude)}"

        async def fetch() -> tuple[tuple[Alert, ...] | None, float]:
            ceiling = self._settings.alerts_ttl_seconds
            try:
                response = await self._get(path, stale=self._point_alerts.has_entry(path))
            except NwsRejected as error:
                if error.status != 400:
                    raise
                return None, ceiling
            ttl = ttl_from_cache_control(response.headers, floor=0.0, ceiling=ceiling)
            if "max-age" not in response.headers.get("cache-control", ""):
                ttl = ceiling
            return parse_alerts(self._json(response)), ttl

        return await lookup(self._point_alerts, "alerts", path, fetch)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            log.warning("nws_unreadable_json", url=str(response.url), status=response.status_code)
            raise NwsBadResponse(
                f"{SERVICE} sent a response this server could not read. Try again in a few minutes."
            ) from None

    async def _get(self, path: str, *, point_lookup: bool = False, stale: bool = False) -> httpx.Response:
        """GET through NWS's breaker, limit and retries (`UpstreamRequests`); a final non-200 is an error.

        `stale`: a stale entry can answer instead, so do not queue behind a full limiter.
        """
        response = await self._requests.get(path, stale=stale)
        if response.status_code == 200:
            return response
        raise self._client_error(response, point_lookup=point_lookup)

    @staticmethod
    def _client_error(response: httpx.Response, *, point_lookup: bool) -> NwsError:
        """The error for a final non-200, non-transient answer (logged with NWS's problem details)."""
        status = response.status_code
        problem = problem_details(response)
        log.warning(
            "nws_rejected",
            url=str(response.url),
            status=status,
            problem_type=problem.get("type"),
            title=problem.get("title"),
            detail=problem.get("detail"),
            correlation_id=problem.get("correlationId"),
        )
        if status == 404 and point_lookup:
            return PointNotCovered(f"{SERVICE} has no data for this point.", status=404)
        if status == 403:
            return NwsRejected(
                f"{SERVICE} refused this server's requests (HTTP 403). This is a server configuration"
                " problem (its NWS_USER_AGENT); retrying will not help, please tell the operator.",
                status=403,
            )
        if 300 <= status < 400:
            return NwsBadResponse(
                f"{SERVICE} redirected the request unexpectedly (HTTP {status}). Try again later.",
                status=status,
            )
        title = optional_text(problem.get("title"))
        reason = f"HTTP {status}: {title}" if title else f"HTTP {status}"
        message = f"{SERVICE} rejected the request ({reason}). Retrying will not help."
        return NwsRejected(message, status=status)
