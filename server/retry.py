"""The retry policy of the upstream clients (NWS, Open-Meteo): which answers are transient, and how long
to wait before the next try.

Jittered exponential backoff (tenacity) that also honours a Retry-After from a 429/503, capped per
wait; the whole sequence is bounded by a number of attempts and a time budget.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Final

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

#: Statuses worth another try: rate limiting and server-side failures.
TRANSIENT_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
#: Longest wait between attempts, whatever the backoff or Retry-After says (the budget still rules).
_MAX_BACKOFF_SECONDS: Final = 4.0


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP date), or None without a usable one."""
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


class TransientStatus(Exception):
    """An attempt answered with a retryable status; carries the response for the final error."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response
        self.retry_after = retry_after_seconds(response.headers)


class _Wait:
    """Jittered exponential backoff that also honours a Retry-After from a 429/503."""

    def __init__(self, initial: float) -> None:
        self._backoff = wait_exponential_jitter(multiplier=initial, max=_MAX_BACKOFF_SECONDS, jitter=initial)

    def __call__(self, state: RetryCallState) -> float:
        delay = self._backoff(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientStatus) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay


def retrying(*, attempts: int, budget_seconds: float, backoff_seconds: float) -> AsyncRetrying:
    """Retries on transient statuses and transport errors: at most `attempts`, none past the budget."""
    return AsyncRetrying(
        stop=stop_after_attempt(attempts) | stop_before_delay(budget_seconds),
        wait=_Wait(backoff_seconds),
        retry=retry_if_exception_type((TransientStatus, httpx.TransportError)),
        reraise=True,
    )
