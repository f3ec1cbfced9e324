"""Bounded work under load: a cap on concurrent NWS requests per process (waiters get the cache when
it has the answer) and overload shedding (a fast, retryable refusal instead of an ever longer queue)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from fakes.nws import FakeNws
from server.contract import MCP_PATH, EnvVar
from tests.server.conftest import (
    MCP_HEADERS,
    FakeClock,
    ServerProcess,
    jsonrpc,
    nws_client,
    sdk_session,
    start_server,
)
from tests.waiting import until, wait_until

pytestmark = pytest.mark.timeout(60)


STATES = ("AL", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "ID", "IL", "IN")


@pytest.mark.anyio
async def test_upstream_requests_in_flight_never_exceed_the_cap(nws: FakeNws) -> None:
    held = nws.hold("/alerts/", times=len(STATES))  # answers wait until all 12 callers are queued
    clock = FakeClock()
    env = {EnvVar.NWS_MAX_CONCURRENT_REQUESTS: "3", EnvVar.NWS_RETRY_BUDGET_SECONDS: "9"}
    async with nws_client(nws, clock, **env) as client, anyio.create_task_group() as group:
        for state in STATES:
            group.start_soon(client.alerts, state)
        await until(lambda: held.waiting >= 3, "the first 3 requests to reach NWS")
        held.release()  # the rest follow in turn; without the cap all 12 would be in flight at once

    assert nws.count("/alerts/") == len(STATES)  # everyone was answered, in turn
    assert nws.peak_in_flight == 3


@pytest.mark.anyio
async def test_a_caller_waiting_for_a_full_cap_gets_the_cached_entry_instead(nws: FakeNws) -> None:
    clock = FakeClock()
    env = {EnvVar.NWS_MAX_CONCURRENT_REQUESTS: "1", EnvVar.NWS_RETRY_BUDGET_SECONDS: "9"}
    async with nws_client(nws, clock, **env) as client:
        await client.alerts("KS")
        clock.advance(31)  # KS is past its freshness (30 s), within the stale window
        tx = nws.hold("/alerts/active/area/TX")
        async with anyio.create_task_group() as group:
            group.start_soon(client.alerts, "TX")  # holds the only upstream slot until released
            await until(lambda: tx.waiting == 1, "TX to take the only upstream slot")
            lookup = await client.alerts("KS")
            tx_still_waiting = tx.waiting
            tx.release()
            group.cancel_scope.cancel()

    assert lookup.status == "stale"
    assert tx_still_waiting == 1  # KS was answered while TX still held the slot
    assert nws.count("/alerts/active/area/KS") == 1


@pytest.fixture(scope="module")
def busy_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    """`python -m server` that sheds past 2 concurrent tool calls (4 MCP HTTP requests)."""
    server = start_server(
        tmp_path_factory.mktemp("busy"), fake_nws_server.base_url, **{EnvVar.MCP_MAX_CONCURRENT_CALLS: "2"}
    )
    yield server
    server.stop()


@pytest.mark.anyio
async def test_tool_calls_beyond_the_bound_are_refused_at_once_with_a_retryable_error(
    nws: FakeNws, busy_server: ServerProcess
) -> None:
    held = nws.hold("/alerts/active/area/", times=2)
    url = busy_server.mcp_url
    async with sdk_session(url) as first, sdk_session(url) as second, sdk_session(url) as third:
        async with anyio.create_task_group() as group:
            group.start_soon(first.call_tool, "get_alerts", {"state": "KS"})
            group.start_soon(second.call_tool, "get_alerts", {"state": "TX"})
            await until(lambda: held.waiting == 2, "both calls to be waiting for NWS")
            refused = await third.call_tool("get_alerts", {"state": "GM"})
            busy_while = held.waiting
            held.release()
        after = await third.call_tool("get_alerts", {"state": "GM"})

    assert busy_while == 2  # the refusal did not wait for the calls in progress
    assert refused.is_error
    assert refused.content[0].text == (
        "This weather server is busy (more than 2 requests in progress)."
        " This is temporary: retry in 1 second."
    )
    assert not after.is_error  # once the others are done, the same call is served
    assert nws.count("/alerts/active/area/GM") == 1


def _partial_request(port: int) -> socket.socket:
    """An MCP POST whose body never finishes: an HTTP request that stays in progress."""
    sock = socket.create_connection(("127.0.0.1", port))
    head = (
        f"POST {MCP_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Accept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"
    )
    sock.sendall(head.encode())
    return sock


def test_http_requests_beyond_twice_the_bound_get_503_with_retry_after(busy_server: ServerProcess) -> None:
    port = int(busy_server.base_url.rsplit(":", 1)[1])
    stuck = [_partial_request(port) for _ in range(4)]
    answers: list[httpx.Response] = []

    def refused() -> bool:  # once the server has read the 4 stuck requests' heads, it sheds
        answers.append(
            httpx.post(busy_server.mcp_url, headers=MCP_HEADERS, json=jsonrpc("tools/list"), timeout=10)
        )
        return answers[-1].status_code == 503

    try:
        wait_until(refused, "a request beyond twice the bound to get 503")
    finally:
        for sock in stuck:
            sock.close()

    response = answers[-1]
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"] == "overloaded"
    after = httpx.post(busy_server.mcp_url, headers=MCP_HEADERS, json=jsonrpc("tools/list"), timeout=10)
    assert after.status_code == 200


def test_health_is_never_shed(busy_server: ServerProcess, tmp_path: Path) -> None:
    port = int(busy_server.base_url.rsplit(":", 1)[1])
    stuck = [_partial_request(port) for _ in range(6)]
    try:
        assert httpx.get(busy_server.base_url + "/health", timeout=10).status_code == 200
    finally:
        for sock in stuck:
            sock.close()
