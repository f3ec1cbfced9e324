"""One upstream's GET requests: its circuit breaker, its concurrency limit, retries within the time
budget, and a span and a metric per attempt. The NWS and Open-Meteo clients each hold one and turn
its final answers (200 or a client error) into their own data and errors.

What differs between upstreams (their name in messages, logs and metrics, their error classes) is an
`Upstream`; the engineering is the same code for both.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anyio
import httpx
from structlog.typing import FilteringBoundLogger

from server.breaker import CircuitBreaker, CircuitOpen, State
from server.call_record import record_upstream
from server.retry import TRANSIENT_STATUSES, TransientStatus, retrying
from server.settings import ServerSettings
from server.tracing import request_span, set_response


@dataclass(frozen=True)
class Upstream:
    """How one upstream service is named and fails."""

    #: The service as messages name it ("The National Weather Service API", "Open-Meteo").
    service: str
    #: Prefix of its log events (`<prefix>_transient_status`, `_request_error`, `_circuit`).
    log_prefix: str
    #: Its label on spans and on the call record's upstream metrics (`server.metrics.NWS`, `OPEN_METEO`).
    label: str
    log: FilteringBoundLogger
    #: Failed transiently and retries did not help (a stale entry may answer).
    unavailable: type[Exception]
    #: Not sent: the breaker is open.
    circuit_open: type[Exception]
    #: Not sent: the concurrency limit is full.
    busy: type[Exception]
    #: Answered with something unusable (a stale entry may answer).
    bad_response: type[Exception]
    #: Any of its own errors: the upstream answered, so the breaker counts a success.
    error: type[Exception]
    #: The message of a final 429, after "(HTTP 429)".
    rate_limited_advice: str
    #: The message when no connection could be made.
    connect_failed: str
    #: The path a span and a log line name for a request target (no query where it carries a key).
    path_of: Callable[[str], str]


class UpstreamRequests:
    """GETs to one upstream through its breaker and limit, with retries; see the module docstring."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: ServerSettings,
        upstream: Upstream,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._settings = settings
        self._upstream = upstream
        self._limiter = asyncio.Semaphore(settings.max_concurrent_requests)

        def log_breaker_change(previous: State, current: State) -> None:
            level = upstream.log.warning if current == "open" else upstream.log.info
            level(f"{upstream.log_prefix}_circuit", previous=previous, state=current)

        self.breaker = CircuitBreaker(
            failures=settings.breaker_failures,
            open_seconds=settings.breaker_open_seconds,
            clock=clock,
            on_change=log_breaker_change,
        )

    async def get(
        self, target: str, params: Mapping[str, str] | None = None, *, stale: bool = False
    ) -> httpx.Response:
        """The final answer to a GET of `target`: 200 or a non-transient client error.

        `stale`: a stale entry can answer instead, so do not queue behind a full limiter.
        """
        upstream = self._upstream
        try:
            probe = self.breaker.before_request()
        except CircuitOpen as refused:
            wait = max(1, math.ceil(refused.retry_after))
            raise upstream.circuit_open(
                f"{upstream.service} is failing right now, so this server has paused its requests to it."
                f" Try again in {wait} seconds.",
                retry_after=wait,
            ) from None
        if stale and self._limiter.locked():
            if probe:
                self.breaker.release_probe()
            raise upstream.busy(
                f"{upstream.service} is slow to answer right now. Try again in a few seconds.", retry_after=1
            )
        try:
            response = await self._send(target, params)
        except upstream.busy:
            if probe:
                self.breaker.release_probe()
            raise
        except upstream.unavailable as failure:
            self.breaker.record_failure(getattr(failure, "retry_after", None))
            raise
        except upstream.error:
            self.breaker.record_success()  # it answered, with something unusable: not an outage
            raise
        except BaseException:
            if probe:
                self.breaker.release_probe()
            raise
        self.breaker.record_success()
        return response

    async def _send(self, target: str, params: Mapping[str, str] | None) -> httpx.Response:
        """GET with retries on 5xx/429/timeouts/connection errors, within the retry budget.

        Waiting for a free slot of the concurrency limit counts against the budget too.
        """
        upstream = self._upstream
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
                            response = await self._attempt(target, params, attempt.retry_state.attempt_number)
        except TimeoutError:
            if not admitted:
                raise upstream.busy(
                    f"{upstream.service} is slow to answer and this server's requests to it are queued."
                    " Try again in a few seconds.",
                    retry_after=1,
                ) from None
            raise upstream.unavailable(
                f"{upstream.service} did not answer within {budget:g} seconds. Try again in a few minutes."
            ) from None
        except httpx.TimeoutException:
            raise upstream.unavailable(f"{upstream.service} timed out. Try again in a few minutes.") from None
        except httpx.TransportError:
            raise upstream.unavailable(upstream.connect_failed) from None
        except httpx.RequestError as error:  # redirect loops, undecodable bodies, ...
            upstream.log.warning(
                f"{upstream.log_prefix}_request_error",
                path=upstream.path_of(target),
                error=type(error).__name__,
            )
            raise upstream.bad_response(
                f"{upstream.service} sent a response this server could not use. Try again in a few minutes."
            ) from None
        except TransientStatus as transient:
            status = transient.response.status_code
            if status == 429:
                raise upstream.unavailable(
                    f"{upstream.service} is rate-limiting requests right now (HTTP 429)"
                    f"{upstream.rate_limited_advice}",
                    status=429,
                    retry_after=transient.retry_after,
                ) from None
            raise upstream.unavailable(
                f"{upstream.service} is having trouble (HTTP {status}). This is usually temporary;"
                " try again in a few minutes.",
                status=status,
                retry_after=transient.retry_after,
            ) from None
        return response

    async def _attempt(self, target: str, params: Mapping[str, str] | None, number: int) -> httpx.Response:
        upstream = self._upstream
        path = upstream.path_of(target)
        with request_span(path, number, upstream.label) as span:
            started = time.perf_counter()
            try:
                response = await self._http.get(target, params=params)
            except httpx.TimeoutException:
                record_upstream("timeout", (time.perf_counter() - started) * 1000, upstream.label)
                set_response(span, "timeout")
                raise
            except httpx.TransportError:
                record_upstream("connect_error", (time.perf_counter() - started) * 1000, upstream.label)
                set_response(span, "connect_error")
                raise
            record_upstream(response.status_code, (time.perf_counter() - started) * 1000, upstream.label)
            set_response(span, response.status_code)
        if response.status_code in TRANSIENT_STATUSES:
            upstream.log.info(
                f"{upstream.log_prefix}_transient_status", path=path, status=response.status_code
            )
            raise TransientStatus(response)
        return response
