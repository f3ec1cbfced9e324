"""The workers of one server share their cache: during an outage, every worker serves the stale
answer for a key that any of them fetched, and an answer one worker fetched saves the others the trip.

Each test proves the sharing from the log: the line written per tool call names the worker (`pid`)
and the cache outcome, and the calls are sent one at a time, so the n-th line is the n-th call.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from diskcache import Cache
from key_value.aio.stores.disk import DiskStore
from pydantic import TypeAdapter
from structlog.testing import capture_logs

from fakes.nws import ALERT_AREAS, FakeNws
from server.contract import EnvVar
from server.shared_cache import REPORT_EVERY_SECONDS, FailureReport, SharedLayer, StoreGuard, open_store
from tests.server.conftest import MCP_HEADERS, FakeClock, ServerProcess, jsonrpc, start_server
from tests.server.server_logs import log_events, worker_pids

pytestmark = pytest.mark.timeout(120)
STATES = ("KS", "TX", "GM", "NY", "OH", "CA", "FL", "WA", "OR", "NV")
#: Most calls a test makes while waiting for the kernel to hand both workers the calls it needs.
MAX_CALLS = 300


def call_tool(url: str, tool: str, arguments: dict[str, object]) -> dict:
    """One call on a new connection: the kernel hands each connection to either worker."""
    body = jsonrpc("tools/call", {"name": tool, "arguments": arguments})
    response = httpx.post(url, headers={**MCP_HEADERS, "Connection": "close"}, json=body, timeout=30)
    assert response.status_code == 200
    return response.json()["result"]


@dataclass(frozen=True)
class Served:
    """One call as the client and the log saw it."""

    state: str  # or, for a forecast, the point
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
        """get_alerts for `state`."""
        return self._call(state, "get_alerts", {"state": state})

    def forecast(self, latitude: float, longitude: float) -> Served:
        """get_forecast for a point (two collections: the point's grid cell, then its forecast)."""
        return self._call(
            f"{latitude},{longitude}", "get_forecast", {"latitude": latitude, "longitude": longitude}
        )

    def _call(self, key: str, tool: str, arguments: dict[str, object]) -> Served:
        result = call_tool(self.server.mcp_url, tool, arguments)
        lines = log_events(self.server, "tool_call", since=self.since)
        assert len(lines) == len(self.served) + 1, "one tool_call line per call"
        served = Served(key, result, lines[-1]["pid"], lines[-1]["cache"])
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
        call_tool(server.mcp_url, "get_alerts", {"state": "KS"})
    finally:
        server.stop()

    line = next(line for line in server.logs().splitlines() if '"server_starting"' in line)
    directory = line.split('"shared_cache_dir": "', 1)[1].split('"', 1)[0]
    assert directory.startswith(("/dev/shm/", "/tmp/"))
    assert not Path(directory).exists()


# --- the shared store failing -----------------------------------------------------------------------
# Best effort: a worker whose shared store fails serves from its own cache and says so once.


def fill_up(directory: Path) -> None:
    """Make the shared store in `directory` full: SQLite's own 'database or disk is full', as a full
    /dev/shm gives. max_page_count is a setting diskcache keeps in the directory and applies to every
    connection that opens it (the server's included); filler entries then use up every page."""
    with Cache(str(directory)) as cache:
        ((pages,),) = cache._sql("PRAGMA page_count").fetchall()
    with Cache(str(directory), sqlite_max_page_count=pages + 4) as cache:
        for size in (1000, 100, 10, 1):  # large fillers first, then smaller ones into the gaps
            for index in range(10_000):
                try:
                    cache.set(f"filler-{size}-{index}", "x" * size)  # no expiry: nothing is ever culled
                except sqlite3.OperationalError:  # full for this size
                    break
            else:
                raise AssertionError("the store never filled up")


def full_store(tmp_path: Path) -> Path:
    directory = tmp_path / "shared"
    fill_up(directory)
    return directory


def unusable_directory(tmp_path: Path) -> Path:
    """A directory that cannot be created, whoever asks (root too): its parent is a regular file."""
    parent = tmp_path / "not-a-directory"
    parent.write_text("")
    return parent / "shared"


@pytest.mark.parametrize(
    ("make_directory", "operation"),
    [(full_store, "write"), (unusable_directory, "open")],
    ids=["full", "cannot-be-created"],
)
def test_a_failing_shared_store_costs_one_log_line_per_worker_and_no_call(
    tmp_path: Path, nws: FakeNws, make_directory: Callable[[Path], Path], operation: str
) -> None:
    directory = make_directory(tmp_path)
    server = start_server(
        tmp_path, nws.base_url, **{EnvVar.WORKERS: "2", EnvVar.NWS_SHARED_CACHE_DIR: str(directory)}
    )
    try:
        caller = Caller(server)
        # Distinct areas and points (each a miss, so a write to the store, in three collections)
        # until both workers served at least 4 calls.
        for index, area in enumerate(sorted(ALERT_AREAS)):
            caller.ask(area)
            caller.forecast(30 + index * 0.25, -95.0)
            served = Counter(call.pid for call in caller.served)
            if len(served) == 2 and min(served.values()) >= 4:
                break
        else:
            raise AssertionError(f"a worker served fewer than 4 of the calls: {dict(served)}")
        workers = worker_pids(server)
    finally:
        server.stop()

    assert not any(call.result["isError"] for call in caller.served)
    errors = log_events(server, "shared_cache_error")
    assert Counter(error["pid"] for error in errors) == dict.fromkeys(workers, 1)
    assert {error["operation"] for error in errors} == {operation}
    assert all(error["level"] == "warning" and error["location"] == str(directory) for error in errors)


@pytest.mark.anyio
async def test_a_full_store_that_still_answers_reads_is_reported_once_not_per_write(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    async with open_store(str(directory)) as store:  # an answer stored while there was room
        assert store is not None
        await SharedLayer(store.kv, "alerts", TypeAdapter(str), store.guard).put(
            "kept", "an answer", fetched_at=time.time(), fresh_for=60, keep_for=600
        )
    fill_up(directory)
    clock = FakeClock()

    async with DiskStore(directory=str(directory)) as kv:
        guard = StoreGuard(FailureReport(str(directory), clock=clock))
        alerts, forecasts = (
            SharedLayer(kv, name, TypeAdapter(str), guard) for name in ("alerts", "forecasts")
        )
        with capture_logs() as logs:
            for index in range(10):
                kept = await alerts.get("kept")  # reading still works...
                assert kept is not None
                assert kept.value == "an answer"
                for layer in (alerts, forecasts):  # ...writing never does, in any collection
                    await layer.put(f"new-{index}", "x", fetched_at=time.time(), fresh_for=60, keep_for=600)
            clock.advance(REPORT_EVERY_SECONDS)  # minutes later, still failing: a reminder with the count
            await forecasts.put("later", "x", fetched_at=time.time(), fresh_for=60, keep_for=600)

    errors = [line for line in logs if line["event"] == "shared_cache_error"]
    assert [(line["operation"], line["failures_since_last_report"]) for line in errors] == [
        ("write", 0),
        ("write", 19),
    ]
    assert errors[0]["error"] == "OperationalError: database or disk is full"
