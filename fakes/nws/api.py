"""The fake API: routes, knobs for tests, request records, and serving on loopback."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fakes.loopback import LoopbackServer, ServedFake
from fakes.nws.documents import (
    alerts_body,
    forecast_body,
    hourly_body,
    observation_feature,
    point_body,
    stations_body,
)
from fakes.nws.faults import Fault, Gate, Hold, RecordedRequest, Rule
from fakes.nws.fixtures import (
    ALERT_AREAS,
    MID_ATLANTIC,
    NO_GRID_POINT,
    NULLS_POINT,
    TOPEKA,
    TOPEKA_NEIGHBOUR,
    grid_for,
    station,
)
from fakes.nws.responses import geojson, problem

_DECIMALS_RE = re.compile(r"^-?\d+(?:\.(\d+))?$")


def _four_decimals(value: float) -> str:
    return f"{round(value, 4):.4f}".rstrip("0").rstrip(".")


class FakeNws(ServedFake):
    """The fake API with its knobs; serve it with `start()`/`stop()` or as a context manager."""

    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        forecast_max_age: int = 900,
        alerts_max_age: int = 30,
        observation_max_age: int = 300,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.latency_ms = latency_ms
        self.forecast_max_age = forecast_max_age
        self.alerts_max_age = alerts_max_age
        self.observation_max_age = observation_max_age
        self._defaults = (latency_ms, forecast_max_age, alerts_max_age, observation_max_age)
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._requests: list[RecordedRequest] = []
        self.in_flight = 0  # requests being answered now (touched only on the fake's event loop)
        self.fault: Fault | None = None
        self._fault_counter = 0
        self.peak_in_flight = 0
        self.app = Starlette(
            routes=[
                Route("/__fake__/stats", self._stats, methods=["GET"]),
                Route("/__fake__/reset", self._reset_endpoint, methods=["POST"]),
                Route("/__fake__/fault", self._fault_endpoint, methods=["POST"]),
                Route("/points/{coords}", self._points, methods=["GET"]),
                Route("/gridpoints/{office}/{grid}/forecast", self._forecast, methods=["GET"]),
                Route("/gridpoints/{office}/{grid}/forecast/hourly", self._hourly, methods=["GET"]),
                Route("/gridpoints/{office}/{grid}/stations", self._stations, methods=["GET"]),
                Route("/stations/{station_id}/observations/latest", self._observation, methods=["GET"]),
                Route("/alerts/active/area/{area}", self._alerts, methods=["GET"]),
                Route("/alerts/active", self._point_alerts, methods=["GET"]),
            ]
        )
        self.app.add_middleware(Gate, fake=self)
        self._serving = LoopbackServer(
            self.app, name="fake-nws", host=host, port=port, timeout_graceful_shutdown=1, backlog=2048
        )

    # --- knobs -----------------------------------------------------------------------------------
    def fail(self, prefix: str, status: int, *, times: int = 1, retry_after: int | str | None = None) -> None:
        """The next `times` requests whose path starts with `prefix` answer `status` (problem+json)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        self._add(Rule(prefix, times, status=status, headers=headers))

    def slow(self, prefix: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` matching requests wait `seconds` before answering normally."""
        self._add(Rule(prefix, times, delay=seconds))

    def hold(self, prefix: str, *, times: int = 1, limit: float = 60.0) -> Hold:
        """The next `times` matching requests wait until the returned hold is released (`hold.waiting`
        counts those waiting now); they answer normally afterwards."""
        hold = Hold(limit)
        self._add(Rule(prefix, times, hold=hold))
        return hold

    def malformed(
        self, prefix: str, *, body: bytes = b'{"type": "Feature", "properties": ', times: int = 1
    ) -> None:
        """The next `times` matching requests answer 200 with `body` (by default, truncated JSON)."""
        self._add(Rule(prefix, times, body=body))

    def drop(self, prefix: str, *, times: int = 1) -> None:
        """The next `times` matching requests lose their connection halfway through the response."""
        self._add(Rule(prefix, times, drop=True))

    def respond(self, prefix: str, json_body: Any, *, status: int = 200, times: int = 1) -> None:
        """The next `times` matching requests answer this JSON document with this status."""
        self._add(Rule(prefix, times, status=status, json_body=json_body))

    def set_fault(self, fault: Fault | None) -> None:
        """Apply a standing fault from now on (None: healthy again)."""
        with self._lock:
            self.fault = fault
            self._fault_counter = 0

    def _fault_now(self) -> Fault | None:
        with self._lock:
            fault = self.fault
            if fault is None:
                return None
            self._fault_counter += 1
            return fault if self._fault_counter % fault.every == 0 else None

    def reset(self) -> None:
        """Forget injected behaviour and recorded requests; latency and max-ages back to the defaults."""
        with self._lock:
            self.fault = None
            for rule in self._rules:
                if rule.hold is not None:
                    rule.hold.release()  # nothing stays held into the next test
            self._rules.clear()
            self._requests.clear()
            self.peak_in_flight = self.in_flight
        self.latency_ms, self.forecast_max_age, self.alerts_max_age, self.observation_max_age = self._defaults

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (a copy)."""
        with self._lock:
            return list(self._requests)

    def count(self, prefix: str = "/") -> int:
        """How many requests arrived whose path starts with `prefix`."""
        return sum(1 for request in self.requests if request.path.startswith(prefix))

    def _add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _take_rule(self, path: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining > 0 and path.startswith(rule.prefix):
                    rule.remaining -= 1
                    return rule
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    # --- endpoints -------------------------------------------------------------------------------
    def _base(self, request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    async def _points(self, request: Request) -> Response:
        raw = request.path_params["coords"]
        parts = raw.split(",")
        matches = [_DECIMALS_RE.match(part) for part in parts]
        if len(parts) != 2 or not all(matches):
            error = {"parameter": "path.point", "message": "Does not match the pattern latitude,longitude"}
            return problem(
                request, 400, "Bad Request", f"Invalid point {raw}", "BadRequest", parameterErrors=[error]
            )
        lat, lon = float(parts[0]), float(parts[1])
        if any(match and match.group(1) and len(match.group(1)) > 4 for match in matches):
            rounded = f"{_four_decimals(lat)},{_four_decimals(lon)}"
            response = problem(
                request,
                301,
                "Adjusting Precision Of Point Coordinate",
                "The precision of latitude/longitude points is limited to 4 decimal digits for efficiency."
                " The location attribute contains your request mapped to the nearest supported point."
                " If your client supports it, you will be redirected.",
                "AdjustPointPrecision",
            )
            response.headers["Location"] = f"/points/{rounded}"
            return response
        body = point_body(self._base(request), lat, lon, raw)
        if body is None:
            return problem(
                request,
                404,
                "Data Unavailable For Requested Point",
                f"Unable to provide data for requested point {raw}",
                "InvalidPoint",
            )
        return geojson(body, max_age=3600)

    async def _forecast(self, request: Request) -> Response:
        office = request.path_params["office"]
        grid = request.path_params["grid"]
        match = re.fullmatch(r"(\d+),(\d+)", grid)
        if not re.fullmatch(r"[A-Z]{3}", office) or match is None:
            return problem(request, 404, "Not Found", f"Grid {office}/{grid} not found", "InvalidGrid")
        grid_x, grid_y = int(match.group(1)), int(match.group(2))
        nulls = grid_for(*NULLS_POINT) == (office, grid_x, grid_y)
        body = forecast_body(self._base(request), office, grid_x, grid_y, nulls)
        return geojson(body, max_age=self.forecast_max_age)

    async def _hourly(self, request: Request) -> Response:
        grid = _parse_grid(request)
        if grid is None:
            return problem(request, 404, "Not Found", "Grid not found", "InvalidGrid")
        nulls = grid_for(*NULLS_POINT) == grid
        return geojson(hourly_body(nulls), max_age=self.forecast_max_age)

    async def _stations(self, request: Request) -> Response:
        grid = _parse_grid(request)
        if grid is None:
            return problem(request, 404, "Not Found", "Grid not found", "InvalidGrid")
        return geojson(stations_body(self._base(request), *grid), max_age=86400)

    async def _observation(self, request: Request) -> Response:
        station_id = request.path_params["station_id"]
        fixture = station(station_id)
        if fixture is None or fixture.kind == "missing":
            return problem(request, 404, "Not Found", f"Station {station_id} not found", "NotFound")
        body = observation_feature(self._base(request), fixture, datetime.now(UTC))
        return geojson(json.dumps(body).encode(), max_age=self.observation_max_age)

    async def _point_alerts(self, request: Request) -> Response:
        raw = request.query_params.get("point", "")
        parts = raw.split(",")
        matches = [_DECIMALS_RE.match(part) for part in parts]
        if (
            len(parts) != 2
            or not all(matches)
            or any(m and m.group(1) and len(m.group(1)) > 4 for m in matches)
        ):
            error = {"parameter": "point", "message": f"Does not match the pattern latitude,longitude: {raw}"}
            return problem(request, 400, "Bad Request", "Bad Request", "BadRequest", parameterErrors=[error])
        lat, lon = float(parts[0]), float(parts[1])
        if (lat, lon) == NO_GRID_POINT:
            area = "GM"
        elif (lat, lon) == MID_ATLANTIC:
            area = ""
        elif grid_for(lat, lon) is None:
            error = {"parameter": "point", "message": "Point is outside the bounds of the forecast area"}
            return problem(request, 400, "Bad Request", "Bad Request", "BadRequest", parameterErrors=[error])
        else:
            area = "KS" if (lat, lon) in (TOPEKA, TOPEKA_NEIGHBOUR) else ""
        return geojson(alerts_body(area), max_age=self.alerts_max_age)

    async def _alerts(self, request: Request) -> Response:
        area = request.path_params["area"]
        if area not in ALERT_AREAS:
            error = {"parameter": "path.area", "message": f"Does not have a value in the enumeration: {area}"}
            return problem(request, 400, "Bad Request", "Bad Request", "BadRequest", parameterErrors=[error])
        return geojson(alerts_body(area), max_age=self.alerts_max_age)

    async def _stats(self, _request: Request) -> Response:
        counts = Counter(
            request.path for request in self.requests if not request.path.startswith("/__fake__")
        )
        return JSONResponse(
            {"total": sum(counts.values()), "by_path": dict(counts), "peak_in_flight": self.peak_in_flight}
        )

    async def _fault_endpoint(self, request: Request) -> Response:
        fields = await request.json()
        try:
            self.set_fault(Fault(**fields) if fields else None)
        except (TypeError, ValueError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return Response(status_code=204)

    async def _reset_endpoint(self, _request: Request) -> Response:
        self.reset()
        return Response(status_code=204)


def _parse_grid(request: Request) -> tuple[str, int, int] | None:
    office = request.path_params["office"]
    match = re.fullmatch(r"(\d+),(\d+)", request.path_params["grid"])
    if not re.fullmatch(r"[A-Z]{3}", office) or match is None:
        return None
    return office, int(match.group(1)), int(match.group(2))
