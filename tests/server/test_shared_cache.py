"""The workers of one server share their cache: during an outage, every worker serves the stale
answer for a key that any of them fetched, and an answer one worker fetched saves the others the trip."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from fakes.nws import FakeNws
from server.contract import EnvVar
from tests.server.conftest import MCP_HEADERS, jsonrpc, start_server

pytestmark = pytest.mark.timeout(120)
STATES = ("KS", "TX", "GM", "NY", "OH", "CA", "FL", "WA", "OR", "NV")


def ask(url: str, state: str) -> dict:
    """One call on a new connection: the kernel hands each connection to either worker."""
    body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": state}})
    response = httpx.post(url, headers={**MCP_HEADERS, "Connection": "close"}, json=body, timeout=30)
    assert response.status_code == 200
    return response.json()["result"]


def test_two_workers_both_serve_stale_for_keys_either_of_them_cached(tmp_path: Path, nws: FakeNws) -> None:
    server = start_server(
        tmp_path,
        nws.base_url,
        **{EnvVar.WORKERS: "2", EnvVar.NWS_ALERTS_TTL_SECONDS: "1", EnvVar.NWS_RETRY_ATTEMPTS: "1"},
    )
    try:
        for state in STATES:  # each state is fetched once, by whichever worker takes the call
            assert not ask(server.mcp_url, state)["isError"]
        time.sleep(1.5)  # every entry is now past its 1 s freshness (and inside the stale window)
        nws.fail("/", 503, times=100_000)
        results = [ask(server.mcp_url, state) for state in STATES * 10]
    finally:
        server.stop()

    assert nws.count("/alerts/") >= len(STATES)
    answered_stale = [not r["isError"] and r["structuredContent"]["freshness"]["stale"] for r in results]
    assert answered_stale == [True] * len(results)
    assert server.logs().count('"event": "Application startup complete."') == 2


def test_an_answer_fetched_by_one_worker_is_a_hit_for_the_other(tmp_path: Path, nws: FakeNws) -> None:
    server = start_server(tmp_path, nws.base_url, **{EnvVar.WORKERS: "2"})
    try:
        results = [ask(server.mcp_url, state) for state in STATES * 10]
    finally:
        server.stop()

    assert not any(result["isError"] for result in results)
    assert nws.count("/alerts/") == len(STATES)  # not once per worker


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
