"""The framework floor (`python -m bench.floor`) serves its echo tool the way the weather server serves."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bench.services import ServerProcess

pytestmark = pytest.mark.timeout(60)

#: The floor never calls NWS; nothing listens here.
UNUSED_NWS = "http://127.0.0.1:9"


def test_the_floor_answers_health_and_echoes_over_mcp(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, mode="floor", workers=2, nws_url=UNUSED_NWS, label="floor")
    try:
        assert httpx.get(server.base_url + "/health", timeout=10).json()["status"] == "ok"
        response = httpx.post(
            server.mcp_url,
            headers={"Accept": "application/json, text/event-stream"},
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "echo", "arguments": {"text": "floor"}},
            },
            timeout=10,
        )
    finally:
        server.stop()
    assert response.status_code == 200
    assert response.json()["result"]["content"][0]["text"] == "floor"
    # Each worker process is set up like the weather server's (server.app.worker_app): its own
    # start-up line is already JSON (two workers, so it is not the supervisor's logging writing it).
    lines = (tmp_path / "server-floor.log").read_text().splitlines()
    assert any(
        json.loads(line).get("event") == "Application startup complete."
        for line in lines
        if line.startswith("{")
    )
