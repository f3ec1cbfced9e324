"""Waiting for something another thread or process does: every wait has a deadline and fails loudly.

A deadline here is not a performance claim: it is generous (seconds where the wait normally takes
milliseconds) and exists so that a broken condition fails the test with its name instead of hanging
it, or worse, letting it go on as if the condition had held.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

#: Long enough for a loaded 2-core CI machine; a wait that needs longer is a finding, not a flake.
DEFAULT_TIMEOUT_SECONDS = 20.0


def wait_until(
    condition: Callable[[], object], what: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> None:
    """Poll `condition` until it is true; AssertionError naming `what` when `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


async def until(
    condition: Callable[[], object], what: str, *, within: float = DEFAULT_TIMEOUT_SECONDS
) -> None:
    """`wait_until` for async tests: the event loop keeps running while it waits."""
    try:
        with anyio.fail_after(within):
            while not condition():  # noqa: ASYNC110 (the state lives in another thread or process)
                await anyio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"gave up after {within:g} s waiting for {what}") from None
