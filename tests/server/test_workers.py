"""MCP_WORKERS > 1 (the task's vCPUs): uvicorn worker processes, each with its own app and NWS pool."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from fakes.nws import FakeNws
from server.contract import EnvVar
from tests.server.conftest import MCP_HEADERS, jsonrpc, start_server

pytestmark = pytest.mark.timeout(90)


def test_two_workers_answer_calls_and_stop_together_on_sigterm(tmp_path: Path, nws: FakeNws) -> None:
    server = start_server(tmp_path, nws.base_url, **{EnvVar.WORKERS: "2"})
    try:
        body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}})
        responses = [httpx.post(server.mcp_url, headers=MCP_HEADERS, json=body, timeout=30) for _ in range(6)]
    finally:
        exit_code = server.stop()

    assert [response.status_code for response in responses] == [200] * 6
    assert all(response.json()["result"]["structuredContent"]["total"] == 2 for response in responses)
    assert server.logs().count('"event": "Application startup complete."') == 2
    assert exit_code in (0, -signal.SIGTERM)
    # Each worker has its own cache, so upstream sees between one and two requests, never six.
    assert 1 <= nws.count("/alerts/") <= 2
