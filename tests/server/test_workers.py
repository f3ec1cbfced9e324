"""MCP_WORKERS > 1 (the task's vCPUs): uvicorn worker processes, each with its own app and NWS pool."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from fakes.nws import KS_ALERTS, FakeNws
from server.contract import EnvVar
from tests.server.conftest import MCP_HEADERS, jsonrpc, start_server
from tests.server.server_logs import tool_call_pids, until_every_worker_served, worker_pids

pytestmark = pytest.mark.timeout(90)


def test_two_workers_answer_calls_and_stop_together_on_sigterm(tmp_path: Path, nws: FakeNws) -> None:
    server = start_server(tmp_path, nws.base_url, **{EnvVar.WORKERS: "2"})
    body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}})

    def ask(_index: int) -> httpx.Response:
        # A new connection per call: the kernel gives each one to whichever worker accepts it.
        return httpx.post(
            server.mcp_url, headers={**MCP_HEADERS, "Connection": "close"}, json=body, timeout=30
        )

    try:
        responses = until_every_worker_served(server, ask)
        workers = worker_pids(server)
    finally:
        exit_code = server.stop()

    assert [response.status_code for response in responses] == [200] * len(responses)
    assert all(r.json()["result"]["structuredContent"]["total"] == KS_ALERTS for r in responses)
    # Two worker processes, apart from the supervisor, and each of them served calls.
    assert len(workers) == 2
    assert server.process.pid not in workers
    assert set(tool_call_pids(server)) == workers
    # Every line names the process that wrote it: the supervisor or one of the workers.
    lines = [json.loads(line) for line in server.logs().splitlines()]
    assert {line["pid"] for line in lines} == workers | {server.process.pid}
    assert exit_code in (0, -signal.SIGTERM)
    # The workers share their cache (server/shared_cache.py): whichever fetched KS first, the other
    # read that answer instead of asking NWS again.
    assert nws.count("/alerts/") == 1
