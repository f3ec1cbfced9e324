"""A circuit breaker for one upstream: stop calling it for a short, jittered while after it keeps failing.

closed: requests pass; `failures` failed requests in a row (each already retried) open the circuit.
open: requests fail at once with `CircuitOpen`, which says when to try again; after the open
interval (jittered, so the processes of a fleet do not probe in step, and at least any Retry-After
the upstream asked for) the breaker is half-open.
half-open: exactly one request (the probe) is let through; its success closes the circuit, its
failure opens it again for another interval. Other callers keep failing fast meanwhile.

Written here rather than taken from a library: the asyncio breakers on PyPI either have no jitter
or "retry at" to report (purgatory), need tornado for async (pybreaker) or are unmaintained
(aiobreaker); what is needed is these three states and forty lines.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Final, Literal

State = Literal["closed", "open", "half_open"]
#: The open interval is multiplied by a factor drawn from [1 - JITTER, 1 + JITTER].
JITTER: Final = 0.2


class CircuitOpen(Exception):
    """The breaker refused a request; `retry_after` is the number of seconds until the next probe."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"circuit open, next probe in {retry_after:.1f} s")
        self.retry_after = retry_after


class CircuitBreaker:
    """Three-state breaker; `before_request` at the start of a request, then one `record_*` at its end."""

    def __init__(
        self,
        *,
        failures: int,
        open_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        on_change: Callable[[State, State], None] | None = None,
    ) -> None:
        self._threshold = failures
        self._open_seconds = open_seconds
        self._clock = clock
        self._rng = rng
        self._on_change = on_change
        self._state: State = "closed"
        self._failures = 0
        self._reopen_at = 0.0
        self._probing = False

    @property
    def state(self) -> State:
        """The state as of now (an open circuit whose interval has passed is half-open)."""
        if self._state == "open" and self._clock() >= self._reopen_at:
            self._set("half_open")
        return self._state

    def before_request(self) -> bool:
        """Raise CircuitOpen if the request must not be sent; True if it is the half-open probe."""
        state = self.state
        if state == "closed":
            return False
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        raise CircuitOpen(max(self._reopen_at - self._clock(), 0.0) if state == "open" else 1.0)

    def record_success(self) -> None:
        """The upstream answered (a 4xx is an answer too): close the circuit."""
        self._failures = 0
        self._probing = False
        if self._state != "closed":
            self._set("closed")

    def record_failure(self, retry_after: float | None = None) -> None:
        """The upstream failed (5xx, 429, timeout, connection error) after retries."""
        self._failures += 1
        was_probe, self._probing = self._probing, False
        if was_probe or self._state == "half_open" or self._failures >= self._threshold:
            interval = self._open_seconds * (1 - JITTER + 2 * JITTER * self._rng())
            self._reopen_at = self._clock() + max(interval, retry_after or 0.0)
            self._set("open")

    def release_probe(self) -> None:
        """The probe ended without an upstream answer either way (e.g. cancelled): allow another."""
        self._probing = False

    def _set(self, state: State) -> None:
        previous, self._state = self._state, state
        if previous != state and self._on_change is not None:
            self._on_change(previous, state)
