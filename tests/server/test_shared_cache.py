"""The workers of one server share their cache: during an outage, every worker serves the stale
answer for a key that any of them fetched, and an answer one worker fetched saves the others the trip.

Each test proves the sharing from the log: the line written per tool call names the worker (`pid`)
and the cache outcome, and the calls are sent one at a time, so the n-th line is the n-th call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fakes.nws import ALERT_AREAS, FakeNws
from server.contract import EnvVar
from tests.server.conftest import MCP_HEADERS, ServerProcess, jsonrpc, start_server
from tests.server.server_logs import log_events

pytestmark = pytest.mark.timeout(120)
STATES = ("KS", "TX", "GM", "NY", "OH", "CA", "FL", "WA", "OR", "NV")
#: Most calls a test makes while waiting for the kernel to hand both workers the calls it needs.
MAX_CALLS = 300


def ask(url: str, state: str) -> dict:
    """One call on a new connection: the kernel hands each connection to either worker."""
    body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": state}})
    response = httpx.post(url, headers={**MCP_HEADERS, "Connection": "close"}, json=body, timeout=30)
    assert response.status_code == 200
    return response.json()["result"]


@dataclass(frozen=True)
class Served:
    """One call as the client and the log saw it."""

    state: str
    result: dict
    pid: int  # the worker that served it
    cache: str | None  # its cache outcome: hit, miss, stale


class Caller:
    """Sends calls one at a time and pairs each with its tool_call log line."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.since = len(server.logs())
        self.served: list[Served] = []

    def ask(self, state: str) -> Served:
        result = ask(self.server.mcp_url, state)
        lines = log_events(self.server, "tool_call", since=self.since)
        assert len(lines) == len(self.served) + 1, "one tool_call line per call"
        served = Served(state, result, lines[-1]["pid"], lines[-1]["cache"])
        self.served.append(served)
        return served


def first_fetcher(calls: list[Served]) -> dict[str, int]:
    """For each state, the worker whose call fetched it from NWS (the first call for it)."""
    fetched: dict[str, int] = {}
    for call in calls:
        fetched.setdefault(call.state, call.pid)
    return fetched


def test_two_workers_both_serve_stale_for_keys_either_of_them_cached(tmp_path: Path, nws: FakeNws) -> None:
    server = start_server(
        tmp_path,
        nws.base_url,
        **{EnvVar.WORKERS: "2", EnvVar.NWS_ALERTS_TTL_SECONDS: "1", EnvVar.NWS_RETRY_ATTEMPTS: "1"},
    )
    try:
        before = Caller(server)
        for area in sorted(ALERT_AREAS):  # each area is fetched once, by whichever worker takes the call
            before.ask(area)
            if len({call.pid for call in before.served}) == 2:
                break
        fetched = first_fetcher(before.served)
        assert len(set(fetched.values())) == 2, f"one worker fetched all {len(fetched)} areas"
        time.sleep(1.5)  # every entry is now past its 1 s freshness (and inside the stale window)
        nws.fail("/", 503, times=100_000)
        during = Caller(server)
        # Ask for each fetched area in turn until each worker has answered one the other fetched.
        crossed: dict[int, Served] = {}
        while len(crossed) < 2:
            assert len(during.served) < MAX_CALLS, f"no call crossed workers both ways: {crossed}"
            for area, fetcher in fetched.items():
                served = during.ask(area)
                if served.pid != fetcher:
                    crossed.setdefault(served.pid, served)
    finally:
        server.stop()

    assert nws.count("/alerts/") >= len(fetched)
    answered_stale = [
        not c.result["isError"] and c.result["structuredContent"]["freshness"]["stale"] for c in during.served
    ]
    assert answered_stale == [True] * len(during.served)
    assert [call.cache for call in crossed.values()] == ["stale", "stale"]


def test_an_answer_fetched_by_one_worker_is_a_hit_for_the_other(tmp_path: Path, nws: FakeNws) -> None:
    # Alerts stay fresh for 60 s, longer than the test: any second NWS request would be a cache miss.
    server = start_server(
        tmp_path, nws.base_url, **{EnvVar.WORKERS: "2", EnvVar.NWS_ALERTS_TTL_SECONDS: "60"}
    )
    try:
        caller = Caller(server)
        crossed: dict[int, Served] = {}  # worker -> its first call for a state the other one fetched
        while len(crossed) < 2:
            assert len(caller.served) < MAX_CALLS, f"no call crossed workers both ways: {crossed}"
            served = caller.ask(STATES[len(caller.served) % len(STATES)])
            if served.pid != first_fetcher(caller.served)[served.state]:
                crossed.setdefault(served.pid, served)
    finally:
        server.stop()

    assert not any(call.result["isError"] for call in caller.served)
    assert nws.count("/alerts/") == len(first_fetcher(caller.served))  # once per state, not once per worker
    assert [call.cache for call in crossed.values()] == ["hit", "hit"]  # read from what the other fetched


def test_the_shared_directory_is_removed_when_the_server_stops(tmp_path: Path, nws: FakeNws) -> None:
    server = start_server(tmp_path, nws.base_url, **{EnvVar.WORKERS: "2"})
    try:
        ask(server.mcp_url, "KS")
    finally:
        server.stop()

    line = next(line for line in server.logs().splitlines() if '"server_starting"' in line)
    directory = line.split('"shared_cache_dir": "', 1)[1].split('"', 1)[0]
    assert directory.startswith(("/dev/shm/", "/tmp/"))
    assert not Path(directory).exists()
