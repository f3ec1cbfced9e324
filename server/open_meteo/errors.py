"""What can go wrong talking to Open-Meteo: one exception per case, each message a sentence a person can
act on and naming Open-Meteo.

`OpenMeteoUnavailable` and `OpenMeteoBadResponse` let a stale cache entry answer instead
(`StaleAllowed`); `OpenMeteoRejected` carries Open-Meteo's own `reason` for a 400.
"""

from __future__ import annotations

from typing import Final

from server.cache import StaleAllowed

SERVICE: Final = "Open-Meteo"


class OpenMeteoError(Exception):
    """A failure talking to Open-Meteo; the message is a sentence a person can act on."""

    #: Whether the same request may succeed later.
    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class OpenMeteoUnavailable(OpenMeteoError, StaleAllowed):
    """Open-Meteo failed transiently (5xx, 429, timeout, connection error) and retries did not help."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        #: Seconds Open-Meteo asked us to wait (Retry-After of its last answer), if it said.
        self.retry_after = retry_after


class OpenMeteoCircuitOpen(OpenMeteoUnavailable):
    """Not sent: Open-Meteo kept failing and its circuit breaker is open."""


class OpenMeteoBusy(OpenMeteoUnavailable):
    """Not sent: this process already has its maximum of Open-Meteo requests in flight."""


class OpenMeteoBadResponse(OpenMeteoError, StaleAllowed):
    """Open-Meteo answered 200 with something that is not the documented shape."""

    retryable = True


class OpenMeteoRejected(OpenMeteoError):
    """Open-Meteo refused the request (4xx other than 429); `reason` is its own explanation, if any."""

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message, status=status)
        self.reason = reason
