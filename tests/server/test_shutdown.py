"""SIGTERM (how ECS stops a task): in-flight calls finish, then the process exits cleanly."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.fake_nws import FakeNws
from tests.server.conftest import MCP_HEADERS, jsonrpc, start_server

pytestmark = pytest.mark.timeout(60)


def test_sigterm_lets_an_in_flight_call_finish_then_exits_cleanly(tmp_path: Path, nws: FakeNws) -> None:
    server = start_server(tmp_path, nws.base_url)
    nws.slow("/alerts/", 2.0)
    outcome: dict[str, httpx.Response] = {}
    body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}})

    def call() -> None:
        outcome["response"] = httpx.post(server.mcp_url, headers=MCP_HEADERS, json=body, timeout=30)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 10
    while nws.count("/alerts/") == 0 and time.monotonic() < deadline:  # the call is now in flight
        time.sleep(0.02)
    server.process.send_signal(signal.SIGTERM)
    sent_at = time.monotonic()

    caller.join(timeout=30)
    exit_code = server.process.wait(timeout=30)
    stopped_after = time.monotonic() - sent_at

    response = outcome["response"]
    assert response.status_code == 200
    assert response.json()["result"]["structuredContent"]["total"] == 2
    # uvicorn re-raises the SIGTERM it handled once shutdown is complete, so the exit status says
    # "terminated by SIGTERM" (143 in a shell, what ECS expects from a stopped task), not a crash.
    assert exit_code in (0, -signal.SIGTERM)
    assert stopped_after < 10
    assert '"event": "Application shutdown complete."' in server.logs()  # lifespan closed the NWS pool
    assert "Traceback" not in server.logs()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/health", timeout=2)
