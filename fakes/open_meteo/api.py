"""The fake API: the three Open-Meteo endpoints on one port, knobs for tests, request records, serving."""

from __future__ import annotations

import asyncio
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from fakes.loopback import LoopbackServer, ServedFake
from fakes.nws.faults import Fault
from fakes.open_meteo.documents import (
    AIR_QUALITY,
    CURRENT,
    DAILY,
    HOURLY,
    air_quality_body,
    forecast_body,
    search_body,
)

FORECAST_PATH = "/v1/forecast"
GEOCODING_PATH = "/v1/search"
AIR_QUALITY_PATH = "/v1/air-quality"


@dataclass
class OpenMeteoRequest:
    """One request as the fake saw it (its query parameters too: the API key travels there)."""

    path: str
    params: dict[str, str]
    status: int = 0


@dataclass
class _Rule:
    prefix: str
    remaining: int
    status: int | None = None
    reason: str | None = None
    delay: float = 0.0
    body: bytes | None = None
    json_body: Any = None
    drop: bool = False
    headers: dict[str, str] = field(default_factory=dict)


class _Drop(Response):
    """Marker: start a response, then drop the connection mid-body."""


class _Invalid(Exception):
    """A request Open-Meteo answers with 400 and a reason."""


def error(status: int, reason: str) -> JSONResponse:
    """Open-Meteo's error document."""
    return JSONResponse({"error": True, "reason": reason}, status_code=status)


class FakeOpenMeteo(ServedFake):
    """Forecast, geocoding and air quality on one loopback port; use `start()`/`stop()` or `with`.

    In tests::

        with FakeOpenMeteo() as fake:
            fake.environment()                        # the OPEN_METEO_*_URL settings pointing at it
            fake.fail("/v1/forecast", 503, times=2)   # next 2 matching requests answer 503
            fake.fail("/v1/forecast", 400, reason="Latitude must be in range of -90 to 90°.")
            fake.slow("/v1/search", seconds=5)        # next matching request waits 5 s
            fake.malformed("/v1/air-quality")         # next matching request is 200 with broken JSON
            fake.drop("/v1/forecast")                 # next matching request loses its connection
            fake.set_fault(Fault(status=503))          # every request fails until cleared
            fake.count("/v1/forecast")                # requests received on that path
            fake.requests[-1].params["apikey"]        # what the server sent
    """

    def __init__(self, *, latency_ms: float = 0.0, host: str = "127.0.0.1", port: int = 0) -> None:
        self.latency_ms = latency_ms
        self._default_latency = latency_ms
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._requests: list[OpenMeteoRequest] = []
        self.fault: Fault | None = None
        self._fault_counter = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.app = Starlette(
            routes=[
                Route("/__fake__/stats", self._stats, methods=["GET"]),
                Route("/__fake__/reset", self._reset_endpoint, methods=["POST"]),
                Route("/__fake__/fault", self._fault_endpoint, methods=["POST"]),
                Route(FORECAST_PATH, self._forecast, methods=["GET"]),
                Route(GEOCODING_PATH, self._search, methods=["GET"]),
                Route(AIR_QUALITY_PATH, self._air_quality, methods=["GET"]),
            ]
        )
        self._serving = LoopbackServer(
            self._gate,
            name="fake-open-meteo",
            host=host,
            port=port,
            timeout_graceful_shutdown=1,
            backlog=2048,
            interface="asgi3",  # _gate is a bound method, which uvicorn would take for ASGI 2
        )

    # --- knobs -----------------------------------------------------------------------------------
    def fail(
        self,
        prefix: str,
        status: int,
        *,
        times: int = 1,
        reason: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` requests on a path starting with `prefix` answer `status` (with `reason`:
        Open-Meteo's JSON error document; without: its gateway's plain text page)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._add(_Rule(prefix, times, status=status, reason=reason, headers=headers))

    def slow(self, prefix: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` matching requests wait `seconds` before answering normally."""
        self._add(_Rule(prefix, times, delay=seconds))

    def malformed(
        self, prefix: str, *, body: bytes = b'{"latitude": 37.5, "hourly": ', times: int = 1
    ) -> None:
        """The next `times` matching requests answer 200 with `body` (by default, truncated JSON)."""
        self._add(_Rule(prefix, times, body=body))

    def respond(self, prefix: str, json_body: Any, *, status: int = 200, times: int = 1) -> None:
        """The next `times` matching requests answer this JSON document with this status."""
        self._add(_Rule(prefix, times, status=status, json_body=json_body))

    def drop(self, prefix: str, *, times: int = 1) -> None:
        """The next `times` matching requests lose their connection halfway through the response."""
        self._add(_Rule(prefix, times, drop=True))

    def set_fault(self, fault: Fault | None) -> None:
        """A standing fault from now on (every `fault.every`-th request misbehaves); None: healthy."""
        with self._lock:
            self.fault = fault
            self._fault_counter = 0

    def reset(self) -> None:
        """Forget injected behaviour and recorded requests; latency back to its default."""
        with self._lock:
            self.fault = None
            self._rules.clear()
            self._requests.clear()
            self.peak_in_flight = self.in_flight
        self.latency_ms = self._default_latency

    @property
    def requests(self) -> list[OpenMeteoRequest]:
        """Every request received so far (a copy)."""
        with self._lock:
            return list(self._requests)

    def count(self, prefix: str = "/") -> int:
        """How many requests arrived on a path starting with `prefix`."""
        return sum(1 for request in self.requests if request.path.startswith(prefix))

    def environment(self) -> dict[str, str]:
        """The server settings that point all three Open-Meteo URLs at this fake."""
        base = self.base_url
        return {
            "OPEN_METEO_FORECAST_URL": base + FORECAST_PATH,
            "OPEN_METEO_GEOCODING_URL": base + GEOCODING_PATH,
            "OPEN_METEO_AIR_QUALITY_URL": base + AIR_QUALITY_PATH,
        }

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _take_rule(self, path: str) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining > 0 and path.startswith(rule.prefix):
                    rule.remaining -= 1
                    return rule
            fault = self.fault
            if fault is None:
                return None
            self._fault_counter += 1
            if self._fault_counter % fault.every:
                return None
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return _Rule("", 1, status=fault.status, delay=fault.delay, drop=fault.drop, headers=headers)

    async def _gate(self, scope: Any, receive: Any, send: Any) -> None:
        """Records every API request, applies latency and injected behaviour, then the routes."""
        if scope["type"] != "http" or scope["path"].startswith("/__fake__"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        record = OpenMeteoRequest(request.url.path, dict(request.query_params))
        with self._lock:
            self._requests.append(record)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency_ms:
                await asyncio.sleep(self.latency_ms / 1000)
            response = await self._injected(record)
            if response is None:
                status: dict[str, int] = {}

                async def capture(message: Any) -> None:
                    if message["type"] == "http.response.start":
                        status["status"] = message["status"]
                    await send(message)

                await self.app(scope, receive, capture)
                record.status = status.get("status", 0)
                return
            if isinstance(response, _Drop):
                record.status = 200
                start = {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"1000")],
                }
                await send(start)
                await send({"type": "http.response.body", "body": b'{"latitude": ', "more_body": True})
                raise ConnectionResetError("fake Open-Meteo: connection dropped on purpose")
            record.status = response.status_code
            await response(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _injected(self, record: OpenMeteoRequest) -> Response | None:
        rule = self._take_rule(record.path)
        if rule is None:
            return None
        if rule.delay:
            await asyncio.sleep(rule.delay)
        if rule.drop:
            return _Drop()
        if rule.body is not None:
            return Response(rule.body, media_type="application/json")
        if rule.json_body is not None:
            return JSONResponse(rule.json_body, status_code=rule.status or 200)
        if rule.status is None:
            return None
        if rule.reason is not None or rule.status == 400:
            response: Response = error(rule.status, rule.reason or f"Injected {rule.status} for tests")
        else:  # what a gateway in front of the API sends: not JSON
            response = PlainTextResponse(f"{rule.status} error (injected for tests)", status_code=rule.status)
        response.headers.update(rule.headers)
        return response

    # --- endpoints -------------------------------------------------------------------------------
    @staticmethod
    def _coordinates(request: Request) -> tuple[float, float]:
        values = []
        for name, limit in (("latitude", 90), ("longitude", 180)):
            raw = request.query_params.get(name)
            if raw is None:
                raise _Invalid(f"Parameter '{name}' is required")
            try:
                value = float(raw)
            except ValueError:
                raise _Invalid(
                    f"Cannot initialize Float from invalid String value {raw} for key {name}"
                ) from None
            if not math.isfinite(value) or not -limit <= value <= limit:
                raise _Invalid(
                    f"{name.capitalize()} must be in range of -{limit} to {limit}°. Given: {value}."
                )
            values.append(value)
        return values[0], values[1]

    @staticmethod
    def _variables(request: Request, key: str, known: frozenset[str]) -> list[str]:
        names = [name for name in request.query_params.get(key, "").split(",") if name]
        for name in names:
            if name not in known:
                raise _Invalid(
                    f"Cannot initialize WeatherVariable from invalid String value {name} for key {key}"
                )
        return names

    async def _forecast(self, request: Request) -> Response:
        try:
            lat, lon = self._coordinates(request)
            current = self._variables(request, "current", CURRENT)
            hourly = self._variables(request, "hourly", HOURLY)
            daily = self._variables(request, "daily", DAILY)
            raw_days = request.query_params.get("forecast_days", "7")
            if not raw_days.isdigit() or not 0 <= int(raw_days) <= 16:
                raise _Invalid("Forecast days is invalid. Allowed range 0 to 16.")
            if daily and request.query_params.get("timezone") is None:
                raise _Invalid("Timezone is required")
        except _Invalid as invalid:
            return error(400, str(invalid))
        return Response(
            forecast_body(lat, lon, current, hourly, daily, int(raw_days)), media_type="application/json"
        )

    async def _air_quality(self, request: Request) -> Response:
        try:
            lat, lon = self._coordinates(request)
            current = self._variables(request, "current", AIR_QUALITY)
        except _Invalid as invalid:
            return error(400, str(invalid))
        return JSONResponse(air_quality_body(lat, lon, current))

    async def _search(self, request: Request) -> Response:
        name = request.query_params.get("name")
        raw_count = request.query_params.get("count", "10")
        if name is None:
            return error(400, "Parameter 'name' is required")
        if not raw_count.isdigit() or not 1 <= int(raw_count) <= 100:
            return error(400, "Parameter 'count' must be between 1 and 100")
        return JSONResponse(search_body(name, int(raw_count)))

    async def _stats(self, _request: Request) -> Response:
        counts = Counter(request.path for request in self.requests)
        return JSONResponse(
            {"total": sum(counts.values()), "by_path": dict(counts), "peak_in_flight": self.peak_in_flight}
        )

    async def _fault_endpoint(self, request: Request) -> Response:
        fields = await request.json()
        try:
            self.set_fault(Fault(**fields) if fields else None)
        except (TypeError, ValueError) as problem:
            return JSONResponse({"error": str(problem)}, status_code=400)
        return Response(status_code=204)

    async def _reset_endpoint(self, _request: Request) -> Response:
        self.reset()
        return Response(status_code=204)
