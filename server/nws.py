"""Client for the National Weather Service API (api.weather.gov).

One pooled `httpx.AsyncClient` per process (opened and closed by the server lifespan); transient
failures retried by tenacity with jittered exponential backoff inside a hard time budget; answers
cached per kind (see `server.cache`). Returns models, never text: wording is the tools' job, except
for the error messages, which say which service failed and whether retrying may help.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import re
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import anyio
import httpx
from pydantic import TypeAdapter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from server.breaker import CircuitBreaker, CircuitOpen, State
from server.cache import Fetch, Lookup, ResponseCache, StaleAllowed, V
from server.call_record import record_cache, record_upstream
from server.logs import get_logger
from server.models import (
    Alert,
    ForecastPeriod,
    GridForecast,
    GridPoint,
    Hour,
    HourlyForecast,
    Observation,
    Station,
)
from server.settings import ServerSettings
from server.shared_cache import SharedLayer, open_store
from server.tracing import lookup_span, request_span, set_cache_outcome, set_response
from server.units import to_si

SERVICE: Final = "The National Weather Service API"
_TRANSIENT_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
_MAX_AGE_RE: Final = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d+)", re.IGNORECASE)
_OFFICE_RE: Final = re.compile(r"^[A-Z]{2,4}$")
#: Longest wait between attempts, whatever the backoff or Retry-After says (the budget still rules).
_MAX_BACKOFF_SECONDS: Final = 4.0
#: Latest observations are kept at least this long and at most this long, whatever max-age says:
#: stations report about once an hour, and a few minutes of reuse spares NWS most repeats.
_OBSERVATION_TTL_FLOOR_SECONDS: Final = 60.0
_OBSERVATION_TTL_CEILING_SECONDS: Final = 600.0
_STATION_ID_RE: Final = re.compile(r"^[A-Za-z0-9]{3,8}$")

log = get_logger(__name__)


class NwsError(Exception):
    """A failure talking to NWS; the message is a sentence a person can act on."""

    #: Whether the same request may succeed later.
    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NwsUnavailable(NwsError, StaleAllowed):
    """NWS failed transiently (5xx, 429, timeout, connection error) and retries did not help."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        #: Seconds NWS asked us to wait (Retry-After of its last answer), if it said.
        self.retry_after = retry_after


class NwsCircuitOpen(NwsUnavailable):
    """Not sent: NWS kept failing and the circuit breaker is open; `retry_after` says for how long."""


class NwsBusy(NwsUnavailable):
    """Not sent: this process already has its maximum of upstream requests in flight."""


class NwsBadResponse(NwsError, StaleAllowed):
    """NWS answered 200 with something that is not the documented shape."""

    retryable = True


class NwsRejected(NwsError):
    """NWS answered with a client error (4xx other than 429); the same request will fail again."""


class PointNotCovered(NwsRejected):
    """The point is outside NWS coverage (404 InvalidPoint) or has no forecast grid."""


def format_coordinate(value: float) -> str:
    """A coordinate as NWS accepts it: at most 4 decimals, no trailing zeros (NWS redirects otherwise)."""
    text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def ttl_from_cache_control(headers: httpx.Headers, *, floor: float, ceiling: float) -> float:
    """Seconds to keep a response: NWS's Cache-Control max-age clamped to [floor, ceiling]."""
    value = headers.get("cache-control", "")
    if "no-store" in value.lower():
        return 0.0
    match = _MAX_AGE_RE.search(value)
    max_age = float(match.group(1)) if match else floor
    return min(max(max_age, floor), ceiling)


def _retry_after_seconds(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


class _TransientStatus(Exception):
    """An attempt answered with a retryable status; carries the response for the final error."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response
        self.retry_after = _retry_after_seconds(response.headers)


class _Wait:
    """Jittered exponential backoff that also honours a Retry-After from a 429/503."""

    def __init__(self, initial: float) -> None:
        self._backoff = wait_exponential_jitter(multiplier=initial, max=_MAX_BACKOFF_SECONDS, jitter=initial)

    def __call__(self, state: RetryCallState) -> float:
        delay = self._backoff(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _TransientStatus) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay


def _problem(response: httpx.Response) -> dict[str, Any]:
    """The RFC 7807 problem document NWS sends with errors, or {} when there is none."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _text(value: Any) -> str | None:
    """A non-empty string, or None (NWS sends null, "" and occasionally other types)."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _number(value: Any) -> float | None:
    """A finite number, also from a QuantitativeValue object ({"value": ..., "unitCode": ...})."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _properties(payload: Any, what: str) -> dict[str, Any]:
    properties = payload.get("properties") if isinstance(payload, dict) else None
    if not isinstance(properties, dict):
        raise NwsBadResponse(f"{SERVICE} sent a {what} response without its properties. Try again later.")
    return properties


def parse_point(payload: Any) -> GridPoint:
    """GridPoint from a `/points/{lat},{lon}` GeoJSON Feature."""
    properties = _properties(payload, "point")
    office, grid_x, grid_y = properties.get("gridId"), properties.get("gridX"), properties.get("gridY")
    if office is None or grid_x is None or grid_y is None or properties.get("forecast") is None:
        raise PointNotCovered(f"{SERVICE} has no forecast grid for this point.", status=200)
    if not (
        isinstance(office, str)
        and _OFFICE_RE.match(office)
        and isinstance(grid_x, int)
        and isinstance(grid_y, int)
        and grid_x >= 0
        and grid_y >= 0
    ):
        raise NwsBadResponse(f"{SERVICE} sent a point response with an unreadable grid. Try again later.")
    place = properties.get("relativeLocation")
    place_properties = place.get("properties") if isinstance(place, dict) else None
    if not isinstance(place_properties, dict):
        place_properties = {}
    return GridPoint(
        office=office,
        grid_x=grid_x,
        grid_y=grid_y,
        city=_text(place_properties.get("city")),
        state=_text(place_properties.get("state")),
        time_zone=_text(properties.get("timeZone")),
        stations_path=_url_path(properties.get("observationStations")),
        hourly_path=_url_path(properties.get("forecastHourly")),
    )


def _url_path(value: Any) -> str | None:
    """The path of an NWS link (requests always go to the configured base URL, never elsewhere)."""
    text = _text(value)
    if text is None:
        return None
    path = urlsplit(text).path
    return path if path.startswith("/") and ".." not in path else None


def _parse_period(raw: dict[str, Any]) -> ForecastPeriod:
    chance = _number(raw.get("probabilityOfPrecipitation"))
    is_daytime = raw.get("isDaytime")
    return ForecastPeriod(
        name=_text(raw.get("name")),
        start_time=_text(raw.get("startTime")),
        end_time=_text(raw.get("endTime")),
        is_daytime=is_daytime if isinstance(is_daytime, bool) else None,
        temperature=_number(raw.get("temperature")),
        temperature_unit=_text(raw.get("temperatureUnit")),
        wind_speed=_text(raw.get("windSpeed")) if not isinstance(raw.get("windSpeed"), dict) else None,
        wind_direction=_text(raw.get("windDirection")),
        precipitation_chance=round(chance) if chance is not None else None,
        short_forecast=_text(raw.get("shortForecast")),
        detailed_forecast=_text(raw.get("detailedForecast")),
    )


def parse_forecast(payload: Any) -> GridForecast:
    """GridForecast from a `/gridpoints/{office}/{x},{y}/forecast` GeoJSON Feature."""
    properties = _properties(payload, "forecast")
    periods = properties.get("periods")
    if not isinstance(periods, list):
        raise NwsBadResponse(f"{SERVICE} sent a forecast without periods. Try again later.")
    return GridForecast(
        updated=_text(properties.get("updateTime")) or _text(properties.get("generatedAt")),
        periods=tuple(_parse_period(raw) for raw in periods if isinstance(raw, dict)),
    )


def _interned(value: Any) -> str | None:
    """`_text`, interned: hourly forecasts repeat a few words ("Sunny", "10 mph", "SW") thousands of times."""
    text = _text(value)
    return sys.intern(text) if text is not None else None


def parse_hourly(payload: Any) -> HourlyForecast:
    """HourlyForecast from a `/gridpoints/{office}/{x},{y}/forecast/hourly` GeoJSON Feature."""
    properties = _properties(payload, "hourly forecast")
    periods = properties.get("periods")
    if not isinstance(periods, list):
        raise NwsBadResponse(f"{SERVICE} sent an hourly forecast without periods. Try again later.")
    hours = []
    for raw in periods:
        if not isinstance(raw, dict):
            continue
        chance = _number(raw.get("probabilityOfPrecipitation"))
        temperature = _number(raw.get("temperature"))
        hours.append(
            Hour(
                start_time=_text(raw.get("startTime")),
                temperature=int(temperature)
                if temperature is not None and temperature.is_integer()
                else temperature,
                temperature_unit=_interned(raw.get("temperatureUnit")),
                precipitation_chance=round(chance) if chance is not None else None,
                wind_speed=_interned(raw.get("windSpeed")),
                wind_direction=_interned(raw.get("windDirection")),
                short_forecast=_interned(raw.get("shortForecast")),
            )
        )
    return HourlyForecast(
        updated=_text(properties.get("updateTime")) or _text(properties.get("generatedAt")),
        hours=tuple(hours),
    )


def parse_alerts(payload: Any) -> tuple[Alert, ...]:
    """Alerts from an `/alerts/active/area/{area}` GeoJSON FeatureCollection."""
    features = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(features, list):
        raise NwsBadResponse(f"{SERVICE} sent an alerts response without a feature list. Try again later.")
    alerts = []
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            continue
        alerts.append(
            Alert(
                event=_text(properties.get("event")),
                area=_text(properties.get("areaDesc")),
                severity=_text(properties.get("severity")),
                certainty=_text(properties.get("certainty")),
                urgency=_text(properties.get("urgency")),
                headline=_text(properties.get("headline")),
                description=_text(properties.get("description")),
                instruction=_text(properties.get("instruction")),
                effective=_text(properties.get("effective")),
                onset=_text(properties.get("onset")),
                expires=_text(properties.get("expires")),
                ends=_text(properties.get("ends")),
                sender=_text(properties.get("senderName")),
            )
        )
    return tuple(alerts)


def parse_stations(payload: Any) -> tuple[Station, ...]:
    """Stations, nearest first, from a `/gridpoints/{office}/{x},{y}/stations` FeatureCollection."""
    features = payload.get("features") if isinstance(payload, dict) else None
    if not isinstance(features, list):
        raise NwsBadResponse(f"{SERVICE} sent a stations response without a feature list. Try again later.")
    stations = []
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            continue
        station_id = _text(properties.get("stationIdentifier"))
        if station_id is None or not _STATION_ID_RE.match(station_id):
            continue
        geometry = feature.get("geometry")
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        longitude = latitude = None
        if isinstance(coordinates, list) and len(coordinates) >= 2:
            longitude, latitude = _number(coordinates[0]), _number(coordinates[1])
        stations.append(
            Station(id=station_id, name=_text(properties.get("name")), latitude=latitude, longitude=longitude)
        )
    return tuple(stations)


def parse_observation(payload: Any) -> Observation:
    """Observation (SI units) from a `/stations/{id}/observations/latest` GeoJSON Feature."""
    properties = _properties(payload, "observation")
    return Observation(
        timestamp=_text(properties.get("timestamp")),
        description=_text(properties.get("textDescription")),
        temperature_c=to_si(properties.get("temperature"), "temperature"),
        dewpoint_c=to_si(properties.get("dewpoint"), "temperature"),
        relative_humidity=to_si(properties.get("relativeHumidity"), "percent"),
        wind_direction_degrees=to_si(properties.get("windDirection"), "angle"),
        wind_speed_kmh=to_si(properties.get("windSpeed"), "speed"),
        wind_gust_kmh=to_si(properties.get("windGust"), "speed"),
        pressure_pa=to_si(properties.get("barometricPressure"), "pressure"),
        visibility_m=to_si(properties.get("visibility"), "length"),
        heat_index_c=to_si(properties.get("heatIndex"), "temperature"),
        wind_chill_c=to_si(properties.get("windChill"), "temperature"),
    )


async def _lookup(cache: ResponseCache[V], kind: str, key: str, fetch: Fetch[V]) -> Lookup[V]:
    """A cache lookup whose outcome is noted on the current tool call's log record and trace."""
    with lookup_span(kind) as span:
        try:
            lookup = await cache.get(key, fetch)
        except NwsError:
            record_cache(kind, "miss")
            set_cache_outcome(span, "miss")
            raise
        record_cache(kind, lookup.status)
        set_cache_outcome(span, lookup.status)
        return lookup


class NwsClient:
    """NWS API access with retries and caching. Create with `open_nws_client`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: ServerSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        shared_store: Any = None,
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
            if shared_store is None:
                return common
            return {**common, "shared": SharedLayer(shared_store, collection, TypeAdapter(kind))}

        self._limiter = asyncio.Semaphore(settings.max_concurrent_requests)
        self.breaker = CircuitBreaker(
            failures=settings.breaker_failures,
            open_seconds=settings.breaker_open_seconds,
            clock=clock,
            on_change=_log_breaker_change,
        )
        self._points: ResponseCache[GridPoint] = ResponseCache(**shared("points", GridPoint))
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
        """The grid cell covering a coordinate (cached for hours: it rarely changes)."""
        path = f"/points/{format_coordinate(latitude)},{format_coordinate(longitude)}"

        async def fetch() -> tuple[GridPoint, float]:
            response = await self._get(path, point_lookup=True, stale=self._points.has_entry(path))
            return parse_point(self._json(response)), self._settings.points_ttl_seconds

        return await _lookup(self._points, "points", path, fetch)

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

        return await _lookup(self._forecasts, "forecast", path, fetch)

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

        return await _lookup(self._alerts, "alerts", path, fetch)

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

        return await _lookup(self._hourly, "hourly", path, fetch)

    async def stations(self, point: GridPoint) -> Lookup[tuple[Station, ...]]:
        """Observation stations near a grid cell, nearest first (cached like points: they rarely change)."""
        path = point.stations_path or f"/gridpoints/{point.grid}/stations"

        async def fetch() -> tuple[tuple[Station, ...], float]:
            response = await self._get(path, stale=self._stations.has_entry(path))
            return parse_stations(self._json(response)), self._settings.points_ttl_seconds

        return await _lookup(self._stations, "stations", path, fetch)

    async def latest_observation(self, station_id: str) -> Lookup[Observation | None]:
        """A station's latest observation; None when NWS has none for it (404), remembered like an answer."""
        path = f"/stations/{station_id}/observations/latest"

        async def fetch() -> tuple[Observation | None, float]:
            try:
                response = await self._get(path, stale=self._observations.has_entry(path))
            except NwsRejected as error:
                if error.status != 404:
                    raise
                return None, _OBSERVATION_TTL_CEILING_SECONDS
            ttl = ttl_from_cache_control(
                response.headers,
                floor=_OBSERVATION_TTL_FLOOR_SECONDS,
                ceiling=_OBSERVATION_TTL_CEILING_SECONDS,
            )
            return parse_observation(self._json(response)), ttl

        return await _lookup(self._observations, "observation", path, fetch)

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

        return await _lookup(self._point_alerts, "alerts", path, fetch)

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
        retrying = AsyncRetrying(
            stop=stop_after_attempt(settings.retry_attempts) | stop_before_delay(budget),
            wait=_Wait(settings.retry_backoff_seconds),
            retry=retry_if_exception_type((_TransientStatus, httpx.TransportError)),
            reraise=True,
        )
        admitted = False
        try:
            with anyio.fail_after(budget):
                async with self._limiter:
                    admitted = True
                    async for attempt in retrying:
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
        except _TransientStatus as transient:
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
        if response.status_code in _TRANSIENT_STATUSES:
            log.info("nws_transient_status", path=path, status=response.status_code)
            raise _TransientStatus(response)
        return response

    @staticmethod
    def _client_error(response: httpx.Response, *, point_lookup: bool) -> NwsError:
        """The error for a final non-200, non-transient answer (logged with NWS's problem details)."""
        status = response.status_code
        problem = _problem(response)
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
        title = _text(problem.get("title"))
        reason = f"HTTP {status}: {title}" if title else f"HTTP {status}"
        message = f"{SERVICE} rejected the request ({reason}). Retrying will not help."
        return NwsRejected(message, status=status)


def _log_breaker_change(previous: State, current: State) -> None:
    level = log.warning if current == "open" else log.info
    level("nws_circuit", previous=previous, state=current)


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


__all__ = [
    "NwsBadResponse",
    "NwsBusy",
    "NwsCircuitOpen",
    "NwsClient",
    "NwsError",
    "NwsRejected",
    "NwsUnavailable",
    "PointNotCovered",
    "format_coordinate",
    "open_nws_client",
    "ttl_from_cache_control",
]
