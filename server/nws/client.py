"""The NWS client: one method per endpoint, each a cached lookup of a parsed answer.

Requests go through the circuit breaker, a per-process concurrency limit and the retry policy
(`server.retry`) inside a hard time budget; each attempt is traced and noted on the current
tool call (`server.call_record`). Returns models, never text: wording is the tools' job, except
for the error messages, which say which service failed and whether retrying may help.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
from pydantic import TypeAdapter

from server.breaker import CircuitBreaker, CircuitOpen, State
from server.cache import Lookup, ResponseCache
from server.call_record import record_upstream
from server.coordinates import format_coordinate
from server.logs import NWS_LOGGER, get_logger
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
from server.retry import TRANSIENT_STATUSES, TransientStatus, retrying
from server.settings import ServerSettings
from server.shared_cache import NO_SHARED_LAYERS, SharedLayers
from server.tracing import request_span, set_response

log = get_logger(NWS_LOGGER)


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
        self._http = http
        self._settings = settings
        common: dict[str, Any] = {
            "maxsize": settings.cache_max_entries,
            "stale_window": settings.stale_window_seconds,
            "enabled": settings.cache_enabled,
            "clock": clock,
        }

        def shared(collection: str, kind: Any) -> dict[str, Any]:
            # The layer other processes share for this collection (None: this worker's cache only),
            # and the entry size the byte budget counts: the answer's JSON length.
            adapter: TypeAdapter[Any] = TypeAdapter(kind)
            return {
                **common,
                "shared": shared_layers.layer(collection, kind),
                "max_bytes": int(settings.cache_max_mib * 1024 * 1024),
                "size_of": lambda value: len(adapter.dump_json(value)),
            }

        self._limiter = asyncio.Semaphore(settings.max_concurrent_requests)
        self.breaker = CircuitBreaker(
            failures=settings.breaker_failures,
            open_seconds=settings.breaker_open_seconds,
            clock=clock,
            on_change=_log_breaker_change,
        )
        self._points: ResponseCache[GridPoint | NoForecastGrid] = ResponseCache(
            **shared("points", GridPoint | NoForecastGrid)
        )
        self._forecasts: ResponseCache[GridForecast] = ResponseCache(**shared("forecasts", GridForecast))
        self._alerts: ResponseCache[tuple[Alert, ...]] = ResponseCache(**shared("alerts", tuple[Alert, ...]))
        self._hourly: ResponseCache[HourlyForecast] = ResponseCache(**shared("hourly", HourlyForecast))
        self._stations: ResponseCache[tuple[Station, ...]] = ResponseCache(
            **shared("stations", tuple[Station, ...])
        )
        self._observations: ResponseCache[Observation | None] = ResponseCache(
            **shared("observations", Observation | None)
        )
        self._point_alerts: ResponseCache[tuple[Alert, ...] | None] = ResponseCache(
            **shared("point_alerts", tuple[Alert, ...] | None)
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
        """GET through the circuit breaker and the concurrency limit, with retries.

        `stale`: a stale entry can answer instead, so do not queue behind a full limiter.
        """
        try:
            probe = self.breaker.before_request()
        except CircuitOpen as refused:
            wait = max(1, math.ceil(refused.retry_after))
            raise NwsCircuitOpen(
                f"{SERVICE} is failing right now, so this server has paused its requests to it."
                f" Try again in {wait} seconds.",
                retry_after=wait,
            ) from None
        if stale and self._limiter.locked():
            if probe:
                self.breaker.release_probe()
            raise NwsBusy(
                f"{SERVICE} is slow to answer right now. Try again in a few seconds.", retry_after=1
            )
        try:
            response = await self._send(path)
        except NwsBusy:
            if probe:
                self.breaker.release_probe()
            raise
        except NwsUnavailable as failure:
            self.breaker.record_failure(failure.retry_after)
            raise
        except NwsError:
            self.breaker.record_success()  # NWS answered, with something unusable: not an outage
            raise
        except BaseException:
            if probe:
                self.breaker.release_probe()
            raise
        self.breaker.record_success()
        if response.status_code == 200:
            return response
        raise self._client_error(response, point_lookup=point_lookup)

    async def _send(self, path: str) -> httpx.Response:
        """GET with retries on 5xx/429/timeouts/connection errors, within the retry budget.

        Waiting for a free slot of the concurrency limit counts against the budget too.
        """
        settings = self._settings
        budget = settings.retry_budget_seconds
        attempts = retrying(
            attempts=settings.retry_attempts,
            budget_seconds=budget,
            backoff_seconds=settings.retry_backoff_seconds,
        )
        admitted = False
        try:
            with anyio.fail_after(budget):
                async with self._limiter:
                    admitted = True
                    async for attempt in attempts:
                        with attempt:
                            response = await self._attempt(path, attempt.retry_state.attempt_number)
        except TimeoutError:
            if not admitted:
                raise NwsBusy(
                    f"{SERVICE} is slow to answer and this server's requests to it are queued."
                    " Try again in a few seconds.",
                    retry_after=1,
                ) from None
            raise NwsUnavailable(
                f"{SERVICE} did not answer within {budget:g} seconds. Try again in a few minutes."
            ) from None
        except httpx.TimeoutException:
            raise NwsUnavailable(f"{SERVICE} timed out. Try again in a few minutes.") from None
        except httpx.TransportError:
            raise NwsUnavailable(
                "Could not connect to the National Weather Service API. Try again in a few minutes."
            ) from None
        except httpx.RequestError as error:  # redirect loops, undecodable bodies, ...
            log.warning("nws_request_error", path=path, error=type(error).__name__)
            raise NwsBadResponse(
                f"{SERVICE} sent a response this server could not use. Try again in a few minutes."
            ) from None
        except TransientStatus as transient:
            response = transient.response
            if response.status_code == 429:
                raise NwsUnavailable(
                    f"{SERVICE} is rate-limiting requests right now (HTTP 429). Try again in a minute.",
                    status=429,
                    retry_after=transient.retry_after,
                ) from None
            raise NwsUnavailable(
                f"{SERVICE} is having trouble (HTTP {response.status_code}). This is usually temporary;"
                " try again in a few minutes.",
                status=response.status_code,
                retry_after=transient.retry_after,
            ) from None
        return response

    async def _attempt(self, path: str, number: int = 1) -> httpx.Response:
        with request_span(path, number) as span:
            started = time.perf_counter()
            try:
                response = await self._http.get(path)
            except httpx.TimeoutException:
                record_upstream("timeout", (time.perf_counter() - started) * 1000)
                set_response(span, "timeout")
                raise
            except httpx.TransportError:
                record_upstream("connect_error", (time.perf_counter() - started) * 1000)
                set_response(span, "connect_error")
                raise
            record_upstream(response.status_code, (time.perf_counter() - started) * 1000)
            set_response(span, response.status_code)
        if response.status_code in TRANSIENT_STATUSES:
            log.info("nws_transient_status", path=path, status=response.status_code)
            raise TransientStatus(response)
        return response

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


def _log_breaker_change(previous: State, current: State) -> None:
    level = log.warning if current == "open" else log.info
    level("nws_circuit", previous=previous, state=current)
