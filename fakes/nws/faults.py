"""Injected misbehaviour: one-off rules, standing faults, and the gate every request passes through."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fakes.nws.responses import STATUS_PROBLEMS, problem

if TYPE_CHECKING:
    from fakes.nws.api import FakeNws


@dataclass
class RecordedRequest:
    """One request as the fake saw it."""

    method: str
    path: str
    user_agent: str | None
    accept: str | None
    status: int = 0


class Hold:
    """Matching requests wait here until `release()`: a test decides when the answer goes, instead of
    hoping a delay is long enough. A request whose client hangs up stops waiting; `limit` seconds
    after it arrived, a forgotten hold answers anyway, so a test fails instead of hanging."""

    def __init__(self, limit: float = 60.0) -> None:
        self.limit = limit
        self.waiting = 0  # requests held right now (changed only on the fake's event loop)
        self._released = threading.Event()

    def release(self) -> None:
        """Let every held request (and any later one this hold catches) be answered."""
        self._released.set()

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limit
        self.waiting += 1
        try:
            while not self._released.is_set() and loop.time() < deadline:  # noqa: ASYNC110 (released from the test's thread)
                await asyncio.sleep(0.01)
        finally:
            self.waiting -= 1


@dataclass
class Rule:
    prefix: str
    remaining: int
    status: int | None = None  # problem response with this status
    delay: float = 0.0
    body: bytes | None = None  # raw 200 body (malformed responses)
    json_body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # start a response, then drop the connection mid-body
    hold: Hold | None = None  # wait until the test releases it


@dataclass(frozen=True)
class Fault:
    """A standing fault (until replaced or cleared): every `every`-th request misbehaves this way.

    Set with `FakeNws.set_fault(...)` or, on a standalone fake, `POST /__fake__/fault` with the
    fields as JSON (an empty object clears it).
    """

    every: int = 1
    status: int | None = None  # problem response with this status
    retry_after: int | None = None  # with status: a Retry-After header
    delay: float = 0.0  # seconds before answering (past the client's read timeout: a timeout)
    drop: bool = False  # the connection is lost mid-response

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError("every must be at least 1")


class Drop(Response):
    """Marker: drop the connection instead of answering."""


class Gone(Response):
    """Marker: the client hung up while its request waited; nothing to answer."""


#: Recorded status of a request whose client hung up before the answer (nginx's convention).
CLIENT_GONE = 499


async def _unless_client_leaves(receive: Any, wait: Callable[[], Awaitable[None]]) -> bool:
    """Run `wait` unless the client disconnects first; True when `wait` finished.

    A real server stops working on a request whose client left; so does the fake, or a request a
    test gave up on would keep counting as in flight (and keep its delay running) into the next test.
    """

    async def client_left() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass  # the (empty) body of a GET; the next message comes only when the client leaves

    waiting, watching = asyncio.ensure_future(wait()), asyncio.ensure_future(client_left())
    done, pending = await asyncio.wait({waiting, watching}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return waiting in done


class Gate:
    """Records every request, applies latency and injected behaviour, enforces the User-Agent."""

    def __init__(self, app: Any, fake: FakeNws) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        record = RecordedRequest(
            scope["method"], path, request.headers.get("user-agent"), request.headers.get("accept")
        )
        if path.startswith("/__fake__"):
            await self.app(scope, receive, send)
            return
        self.fake._record(record)
        self.fake.in_flight += 1
        self.fake.peak_in_flight = max(self.fake.peak_in_flight, self.fake.in_flight)
        try:
            await self._serve(scope, receive, send, request, path, record)
        finally:
            self.fake.in_flight -= 1

    async def _serve(
        self, scope: Any, receive: Any, send: Any, request: Request, path: str, record: RecordedRequest
    ) -> None:
        response = await self._decide(request, receive, path, record)
        if isinstance(response, Gone):
            record.status = CLIENT_GONE
            return
        if isinstance(response, Drop):
            record.status = 200
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]}
            )
            await send({"type": "http.response.body", "body": b'{"type": "Feature"', "more_body": True})
            raise ConnectionResetError("fake NWS: connection dropped on purpose")
        if response is None:
            status_box: dict[str, int] = {}

            async def capture(message: Any) -> None:
                if message["type"] == "http.response.start":
                    status_box["status"] = message["status"]
                await send(message)

            await self.app(scope, receive, capture)
            record.status = status_box.get("status", 0)
            return
        record.status = response.status_code
        await response(scope, receive, send)

    def _standing_fault(self) -> Rule | None:
        fault = self.fake._fault_now()
        if fault is None:
            return None
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return Rule("", 1, status=fault.status, delay=fault.delay, drop=fault.drop, headers=headers)

    async def _decide(
        self, request: Request, receive: Any, path: str, record: RecordedRequest
    ) -> Response | None:
        if path.startswith("/__fake__"):
            return None
        if self.fake.latency_ms:
            await asyncio.sleep(self.fake.latency_ms / 1000)
        if not record.user_agent:
            return problem(
                request,
                403,
                "Forbidden",
                "Access denied: a User-Agent header that identifies your application is required.",
                "Forbidden",
            )
        rule = self.fake._take_rule(path) or self._standing_fault()
        if rule is None:
            return None
        if rule.delay and not await _unless_client_leaves(receive, lambda: asyncio.sleep(rule.delay)):
            return Gone()
        if rule.hold is not None and not await _unless_client_leaves(receive, rule.hold.wait):
            return Gone()
        if rule.drop:
            return Drop()
        if rule.body is not None:
            return Response(rule.body, media_type="application/geo+json")
        if rule.json_body is not None:
            return JSONResponse(
                rule.json_body, status_code=rule.status or 200, media_type="application/geo+json"
            )
        if rule.status is not None:
            title, kind = STATUS_PROBLEMS.get(rule.status, ("Error", "Error"))
            response = problem(request, rule.status, title, f"Injected {rule.status} for tests", kind)
            response.headers.update(rule.headers)
            return response
        return None
