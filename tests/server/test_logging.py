"""Structured logs: one JSON line per tool call (tool, duration, cache outcome, upstream status); no token."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import httpx
import pytest
import structlog

from fakes.nws import FakeNws
from server.contract import EnvVar
from server.logs import configure_logging, get_logger
from tests.server.conftest import MCP_HEADERS, TEST_TOKEN, FakeClock, ServerProcess, call, connect, jsonrpc

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Logging configured as in production, writing to a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    configure_logging("INFO", secret=TEST_TOKEN)
    monkeypatch.undo()
    yield buffer
    root.handlers, root.level = saved[0], saved[1]
    structlog.reset_defaults()


def tool_lines(buffer: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "tool_call"]


@pytest.mark.anyio
async def test_each_call_logs_cache_outcome_and_upstream_status(nws: FakeNws, json_logs: io.StringIO) -> None:
    async with connect(nws) as client:
        await call(client, "get_forecast", latitude=39.7456, longitude=-97.0892)
        await call(client, "get_forecast", latitude=39.7456, longitude=-97.0892)

    first, second = tool_lines(json_logs)
    assert first["tool"] == second["tool"] == "get_forecast"
    assert (first["cache"], first["upstream_status"], first["upstream_requests"]) == ("miss", 200, 2)
    assert (second["cache"], second["upstream_status"], second["upstream_requests"]) == ("hit", None, 0)
    assert second["cache_detail"] == {"points": "hit", "forecast": "hit"}
    assert isinstance(first["duration_ms"], float)
    assert first["outcome"] == "ok"


@pytest.mark.anyio
async def test_point_tools_log_one_line_per_call_with_each_cache_lookup(
    nws: FakeNws, json_logs: io.StringIO
) -> None:
    async with connect(nws) as client:
        for _ in range(2):
            await call(client, "get_current_conditions", latitude=39.7456, longitude=-97.0892)
        await call(client, "get_hourly_forecast", latitude=39.7456, longitude=-97.0892, hours=3)
        await call(client, "get_alerts_for_point", latitude=39.7456, longitude=-97.0892, severity="severe")

    lines = tool_lines(json_logs)
    assert [line["tool"] for line in lines] == [
        "get_current_conditions",
        "get_current_conditions",
        "get_hourly_forecast",
        "get_alerts_for_point",
    ]
    assert [(line["cache"], line["upstream_requests"], line["outcome"]) for line in lines] == [
        ("miss", 3, "ok"),
        ("hit", 0, "ok"),
        ("miss", 1, "ok"),
        ("miss", 1, "ok"),
    ]
    assert lines[0]["cache_detail"] == {"points": "miss", "stations": "miss", "observation": "miss"}
    assert lines[2]["cache_detail"] == {"points": "hit", "hourly": "miss"}
    assert lines[3]["cache_detail"] == {"alerts": "miss"}


@pytest.mark.anyio
async def test_failed_call_logs_each_upstream_attempt_and_the_error(
    nws: FakeNws, json_logs: io.StringIO
) -> None:
    nws.fail("/alerts/", 503, times=100)
    async with connect(nws, **{EnvVar.NWS_RETRY_ATTEMPTS: "3"}) as client:
        await call(client, "get_alerts", state="KS")

    (line,) = tool_lines(json_logs)
    assert (line["cache"], line["upstream_status"], line["upstream_requests"]) == ("miss", 503, 3)
    assert line["outcome"] == "error"
    assert "HTTP 503" in str(line["error"])


@pytest.mark.anyio
async def test_stale_answers_are_logged_as_stale(nws: FakeNws, json_logs: io.StringIO) -> None:
    clock = FakeClock()
    async with connect(nws, clock) as client:
        await call(client, "get_alerts", state="KS")
        clock.advance(60)
        nws.fail("/alerts/", 503, times=100)
        await call(client, "get_alerts", state="KS")

    assert [line["cache"] for line in tool_lines(json_logs)] == ["miss", "stale"]


@pytest.mark.anyio
async def test_bad_arguments_are_logged_without_an_upstream_request(
    nws: FakeNws, json_logs: io.StringIO
) -> None:
    async with connect(nws) as client:
        await call(client, "get_alerts", state="Atlantis")

    (line,) = tool_lines(json_logs)
    assert (line["outcome"], line["cache"], line["upstream_requests"]) == ("error", None, 0)


def test_the_token_is_redacted_wherever_it_would_appear(json_logs: io.StringIO) -> None:
    get_logger("test").warning("odd_header", authorization=f"Bearer {TEST_TOKEN}")
    logging.getLogger("uvicorn.error").warning("raw %s", TEST_TOKEN)

    output = json_logs.getvalue()
    assert TEST_TOKEN not in output
    assert output.count("[redacted]") == 2


def test_the_token_is_redacted_inside_nested_fields(json_logs: io.StringIO) -> None:
    request = {
        "headers": {"authorization": f"Bearer {TEST_TOKEN}", "accept": "application/json"},
        "attempts": [{"query": f"token={TEST_TOKEN}"}, ("retry", TEST_TOKEN)],
        "status": 401,
    }
    get_logger("test").warning("odd_request", request=request)

    output = json_logs.getvalue()
    assert TEST_TOKEN not in output
    (line,) = [json.loads(text) for text in output.splitlines() if text.startswith("{")]
    assert line["request"] == {
        "headers": {"authorization": "Bearer [redacted]", "accept": "application/json"},
        "attempts": [{"query": "token=[redacted]"}, ["retry", "[redacted]"]],
        "status": 401,
    }
    assert request["headers"]["authorization"] == f"Bearer {TEST_TOKEN}"  # the caller's object is untouched


def test_server_process_writes_one_json_line_per_tool_call(plain_server: ServerProcess, nws: FakeNws) -> None:
    body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "WY"}})
    for _ in range(2):
        httpx.post(plain_server.mcp_url, headers=MCP_HEADERS, json=body)

    lines = [json.loads(line) for line in plain_server.logs().splitlines()]  # every line is JSON
    wyoming = [line for line in lines if line.get("event") == "tool_call"][-2:]
    assert [line["cache"] for line in wyoming] == ["miss", "hit"]
    assert [line["upstream_status"] for line in wyoming] == [200, None]
    assert all(line["tool"] == "get_alerts" and line["level"] == "info" for line in wyoming)
    assert all("timestamp" in line and line["duration_ms"] >= 0 for line in wyoming)


def test_stateless_session_noise_is_dropped_but_the_sdk_logger_still_speaks(json_logs: io.StringIO) -> None:
    sdk = logging.getLogger("mcp.server.streamable_http")
    sdk.info("Terminating session: %s", None)  # once per request in stateless mode: no information
    sdk.warning("Terminating session: %s", "abc123")  # a real session ending is kept

    events = [json.loads(line)["event"] for line in json_logs.getvalue().splitlines() if line.startswith("{")]
    assert events == ["Terminating session: abc123"]


@pytest.mark.anyio
async def test_tool_call_lines_keep_their_logger_name(nws: FakeNws, json_logs: io.StringIO) -> None:
    # A literal on purpose: the name is part of the log format, whatever the module is called.
    async with connect(nws) as client:
        await call(client, "get_forecast", latitude=39.7456, longitude=-97.0892)

    (line,) = tool_lines(json_logs)
    assert line["logger"] == "server.tool_call"
