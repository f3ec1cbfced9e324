"""What can go wrong talking to NWS: one exception per case, each message a sentence a person can act on.

`retryable` says whether the same request may succeed later; `NwsUnavailable` and `NwsBadResponse`
let a stale cache entry answer instead (`StaleAllowed`).
"""

from __future__ import annotations

from typing import Final

from server.cache import StaleAllowed

SERVICE: Final = "The National Weather Service API"


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
