"""Retry-After as NWS's CDN may send it: delay-seconds or an HTTP date, on 429 and on 503."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from fakes.nws import TOPEKA, FakeNws
from server.contract import EnvVar
from tests.server.conftest import call, connect, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]

#: Longer than the test's wait would be without Retry-After (backoff 0.01 s), within the budget.
BUDGET = {EnvVar.NWS_RETRY_BUDGET_SECONDS: "9"}


def http_date(seconds_from_now: float) -> str:
    """An IMF-fixdate (`Wed, 21 Oct 2026 07:28:00 GMT`), whole seconds as HTTP sends them."""
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


async def forecast(nws: FakeNws, **env: str):
    async with connect(nws, **env) as client:
        return await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_as_an_http_date_is_waited_for(nws: FakeNws, status: int) -> None:
    nws.fail("/points/", status, retry_after=http_date(3))  # 2-3 s away once truncated to the second
    started = time.perf_counter()

    result = await forecast(nws, **BUDGET)

    assert not result.is_error
    assert nws.count("/points/") == 2
    assert time.perf_counter() - started >= 1.5


async def test_retry_after_seconds_on_503_is_waited_for(nws: FakeNws) -> None:
    nws.fail("/points/", 503, retry_after=1)
    started = time.perf_counter()

    result = await forecast(nws, **BUDGET)

    assert not result.is_error
    assert nws.count("/points/") == 2
    assert time.perf_counter() - started >= 1.0


@pytest.mark.parametrize("retry_after", [120, "date"], ids=["seconds", "http-date"])
async def test_503_asking_for_longer_than_the_budget_fails_at_once(
    nws: FakeNws, retry_after: int | str
) -> None:
    nws.fail("/points/", 503, retry_after=http_date(120) if retry_after == "date" else retry_after, times=100)

    result = await forecast(nws, **BUDGET)

    # Without reading Retry-After this would be three quick attempts; with it, one and an answer.
    assert nws.count("/points/") == 1
    assert text_of(result) == (
        "The National Weather Service API is having trouble (HTTP 503). This is usually temporary;"
        " try again in a few minutes."
    )
