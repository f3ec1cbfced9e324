"""Upstream failures: what is retried, how long it may take, and what the caller is told."""

from __future__ import annotations

import time

import pytest
from structlog.testing import capture_logs

from fakes.nws import TOPEKA, FakeNws
from server.contract import EnvVar
from tests.server.conftest import call, connect, free_port, text_of
from tests.server.dead_upstreams import silent_upstream, unaccepting_upstream

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]


async def forecast(nws: FakeNws, **env: str):
    async with connect(nws, **env) as client:
        return await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_transient_failure_is_retried_and_the_call_succeeds(nws: FakeNws, status: int) -> None:
    nws.fail("/points/", status, times=2)

    result = await forecast(nws, **{EnvVar.NWS_RETRY_ATTEMPTS: "3"})

    assert not result.is_error
    assert nws.count("/points/") == 3


async def test_persistent_5xx_gives_up_after_the_attempt_limit_and_says_retry_later(nws: FakeNws) -> None:
    nws.fail("/gridpoints/", 503, times=100)

    result = await forecast(nws, **{EnvVar.NWS_RETRY_ATTEMPTS: "4"})

    assert result.is_error
    assert text_of(result) == (
        "The National Weather Service API is having trouble (HTTP 503). This is usually temporary;"
        " try again in a few minutes."
    )
    assert nws.count("/gridpoints/") == 4


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 410])
async def test_client_errors_are_never_retried(nws: FakeNws, status: int) -> None:
    nws.fail("/gridpoints/", status, times=100)

    result = await forecast(nws, **{EnvVar.NWS_RETRY_ATTEMPTS: "5"})

    assert result.is_error
    assert nws.count("/gridpoints/") == 1
    assert "Retrying will not help" in text_of(result) or "retrying will not help" in text_of(result)


async def test_a_rejected_point_lookup_is_not_mistaken_for_a_point_outside_coverage(nws: FakeNws) -> None:
    nws.fail("/points/", 400)

    result = await forecast(nws)

    assert text_of(result) == (
        "The National Weather Service API rejected the request (HTTP 400: Bad Request)."
        " Retrying will not help."
    )


async def test_403_tells_the_user_it_is_a_server_configuration_problem(nws: FakeNws) -> None:
    nws.fail("/points/", 403)

    result = await forecast(nws)

    assert "refused this server's requests (HTTP 403)" in text_of(result)
    assert "server configuration problem" in text_of(result)


async def test_retry_after_is_honoured_within_the_budget(nws: FakeNws) -> None:
    nws.fail("/points/", 429, retry_after=1)
    started = time.perf_counter()

    result = await forecast(nws, **{EnvVar.NWS_RETRY_BUDGET_SECONDS: "3"})

    assert not result.is_error
    assert time.perf_counter() - started >= 1.0


async def test_retry_after_beyond_the_budget_fails_fast_instead_of_hammering(nws: FakeNws) -> None:
    nws.fail("/points/", 429, retry_after=120, times=100)

    result = await forecast(nws, **{EnvVar.NWS_RETRY_BUDGET_SECONDS: "3"})

    # One request and an answer: no wait for the 120 s NWS asked for, no second attempt.
    assert nws.count("/points/") == 1
    assert text_of(result) == (
        "The National Weather Service API is rate-limiting requests right now (HTTP 429)."
        " Try again in a minute."
    )


@pytest.mark.timeout(20)  # were the 60 s read timeout what ends the call, the test would fail here
async def test_a_hanging_nws_is_cut_off_at_the_retry_budget_not_at_the_read_timeout(nws: FakeNws) -> None:
    with silent_upstream() as upstream:
        env = {
            EnvVar.NWS_API_BASE_URL: upstream.base_url,
            EnvVar.NWS_RETRY_BUDGET_SECONDS: "1.5",
            EnvVar.NWS_READ_TIMEOUT_SECONDS: "60",
            EnvVar.NWS_RETRY_ATTEMPTS: "3",
        }
        started = time.perf_counter()
        async with connect(nws, **env) as client:
            result = await call(client, "get_alerts", state="KS")
        waited = time.perf_counter() - started
        requests = upstream.requests()

    assert waited >= 1.4  # it did wait for the budget...
    assert len(requests) == 1  # ...cut the one hanging attempt there, with no retry after it...
    # ...and the budget's deadline is what ended the call: neither the read timeout ("timed out",
    # after 60 s) nor a retry limit.
    assert text_of(result) == (
        "The National Weather Service API did not answer within 1.5 seconds. Try again in a few minutes."
    )


async def test_a_read_timeout_is_retried(nws: FakeNws) -> None:
    nws.slow("/points/", 1.0)
    env = {EnvVar.NWS_READ_TIMEOUT_SECONDS: "0.3", EnvVar.NWS_RETRY_BUDGET_SECONDS: "3"}

    result = await forecast(nws, **env)

    assert not result.is_error
    assert nws.count("/points/") == 2


async def test_malformed_json_is_a_clear_error_without_internals(nws: FakeNws) -> None:
    nws.malformed("/gridpoints/")

    result = await forecast(nws)

    assert result.is_error
    assert text_of(result) == (
        "The National Weather Service API sent a response this server could not read."
        " Try again in a few minutes."
    )


@pytest.mark.parametrize(
    ("prefix", "body", "expected"),
    [
        ("/points/", {"type": "Feature"}, "sent a point response without its properties"),
        (
            "/points/",
            {"properties": {"gridId": "TOP", "gridX": "x", "gridY": 1, "forecast": "u"}},
            "unreadable grid",
        ),
        ("/gridpoints/", {"properties": {"periods": None}}, "sent a forecast without periods"),
        ("/gridpoints/", [1, 2, 3], "sent a forecast response without its properties"),
    ],
)
async def test_unexpected_response_shapes_are_clear_errors(
    nws: FakeNws, prefix: str, body: object, expected: str
) -> None:
    nws.respond(prefix, body)

    result = await forecast(nws)

    assert result.is_error
    assert expected in text_of(result)
    assert "Traceback" not in text_of(result)
    assert "KeyError" not in text_of(result)


async def test_unreachable_nws_is_a_clear_error(nws: FakeNws) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    async with connect(nws, **{EnvVar.NWS_API_BASE_URL: closed, EnvVar.NWS_RETRY_ATTEMPTS: "2"}) as client:
        result = await call(client, "get_alerts", state="KS")

    assert (
        text_of(result)
        == "Could not connect to the National Weather Service API. Try again in a few minutes."
    )


#: A few tenths of a second of patience, two attempts, and a budget that is not what ends them.
TIMEOUT_ENV = {EnvVar.NWS_RETRY_ATTEMPTS: "2", EnvVar.NWS_RETRY_BUDGET_SECONDS: "9"}
TIMED_OUT = "The National Weather Service API timed out. Try again in a few minutes."


async def test_an_nws_that_takes_the_connection_and_never_answers_times_out_reading(nws: FakeNws) -> None:
    with silent_upstream() as upstream, capture_logs() as logs:
        env = {EnvVar.NWS_API_BASE_URL: upstream.base_url, EnvVar.NWS_READ_TIMEOUT_SECONDS: "0.3"}
        async with connect(nws, **env, **TIMEOUT_ENV) as client:
            result = await call(client, "get_alerts", state="KS")
        requests = upstream.requests()

    assert result.is_error
    assert text_of(result) == TIMED_OUT
    # Both attempts got through and sent their request, then waited in vain for an answer.
    assert [request.split(b"\r\n", 1)[0] for request in requests] == [
        b"GET /alerts/active/area/KS HTTP/1.1"
    ] * 2
    (line,) = [line for line in logs if line["event"] == "tool_call"]
    assert (line["upstream_status"], line["upstream_requests"]) == ("timeout", 2)


async def test_an_nws_that_never_takes_the_connection_times_out_connecting(nws: FakeNws) -> None:
    with unaccepting_upstream() as upstream, capture_logs() as logs:
        env = {EnvVar.NWS_API_BASE_URL: upstream.base_url, EnvVar.NWS_CONNECT_TIMEOUT_SECONDS: "0.3"}
        async with connect(nws, **env, **TIMEOUT_ENV) as client:
            result = await call(client, "get_alerts", state="KS")
        requests = upstream.requests()

    assert result.is_error
    assert text_of(result) == TIMED_OUT
    assert requests == []  # neither attempt got as far as sending its request
    (line,) = [line for line in logs if line["event"] == "tool_call"]
    assert (line["upstream_status"], line["upstream_requests"]) == ("timeout", 2)


async def test_requests_identify_the_service_and_ask_for_geojson(nws: FakeNws) -> None:
    await forecast(nws, **{EnvVar.NWS_USER_AGENT: "weather-mcp (ops@example.com)"})

    assert {request.user_agent for request in nws.requests} == {"weather-mcp (ops@example.com)"}
    assert {request.accept for request in nws.requests} == {"application/geo+json"}
