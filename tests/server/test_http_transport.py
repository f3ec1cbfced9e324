"""The real transport: `python -m server` on loopback, driven by the official MCP SDK and raw HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import anyio
import httpx
import pytest

from fakes.nws import DENVER, TOPEKA, FakeNws
from server import __version__
from server.contract import HEALTH_PATH, EnvVar
from tests.server.conftest import MCP_HEADERS, REPO_ROOT, ServerProcess, free_port, jsonrpc, sdk_session

pytestmark = pytest.mark.timeout(60)


@pytest.mark.anyio
async def test_sdk_client_lists_every_tool_and_calls_the_seed_tools(
    plain_server: ServerProcess, nws: FakeNws
) -> None:
    async with sdk_session(plain_server.mcp_url) as session:
        tools = await session.list_tools()
        forecast = await session.call_tool("get_forecast", {"latitude": TOPEKA[0], "longitude": TOPEKA[1]})
        alerts = await session.call_tool("get_alerts", {"state": "ks"})

    assert sorted(tool.name for tool in tools.tools) == [
        "find_location",
        "get_air_quality",
        "get_alerts",
        "get_alerts_for_point",
        "get_current_conditions",
        "get_forecast",
        "get_hourly_forecast",
    ]
    assert not forecast.is_error
    assert forecast.content[0].text.startswith("Forecast for Linn, KS")
    assert forecast.structured_content["grid"] == "TOP/32,81"
    assert alerts.structured_content["total"] == 2


@pytest.mark.anyio
async def test_sdk_client_calls_the_point_tools(plain_server: ServerProcess, nws: FakeNws) -> None:
    point = {"latitude": TOPEKA[0], "longitude": TOPEKA[1]}
    async with sdk_session(plain_server.mcp_url) as session:
        conditions = await session.call_tool("get_current_conditions", point)
        hourly = await session.call_tool("get_hourly_forecast", {**point, "hours": 2})
        alerts = await session.call_tool("get_alerts_for_point", {**point, "severity": "EXTREME"})

    assert [conditions.is_error, hourly.is_error, alerts.is_error] == [False, False, False]
    assert conditions.content[0].text.startswith("Current conditions near Linn, KS")
    assert conditions.structured_content["temperature_f"] == 90.0
    assert len(hourly.structured_content["hours"]) == 2
    assert alerts.structured_content["total"] == 1
    assert alerts.content[0].text.startswith("1 active Extreme weather alert for 39.7456, -97.0892")


def test_endpoint_is_stateless_so_any_task_can_answer_any_request(
    plain_server: ServerProcess, nws: FakeNws
) -> None:
    initialize = httpx.post(
        plain_server.mcp_url,
        headers=MCP_HEADERS,
        json=jsonrpc(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        ),
    )
    # A tools/call with no session and no prior initialize, as a second task behind the ALB would see it.
    call = httpx.post(
        plain_server.mcp_url,
        headers=MCP_HEADERS,
        json=jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "CO"}}, request_id=2),
    )

    assert initialize.status_code == 200
    assert "mcp-session-id" not in initialize.headers
    assert initialize.headers["content-type"].startswith("application/json")
    assert call.status_code == 200
    assert call.json()["result"]["structuredContent"]["area"] == "CO"


def test_trailing_slash_is_served_without_a_redirect(plain_server: ServerProcess, nws: FakeNws) -> None:
    response = httpx.post(
        plain_server.mcp_url + "/",
        headers=MCP_HEADERS,
        json=jsonrpc("tools/list"),
        follow_redirects=False,
    )

    assert response.status_code == 200
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Accept": "text/html"}, jsonrpc("tools/list"), 406),
        ({"MCP-Protocol-Version": "1999-01-01"}, jsonrpc("tools/list"), 400),
        ({"Content-Type": "text/plain"}, jsonrpc("tools/list"), 400),
        ({}, "{not json", 400),
    ],
    ids=["wrong-accept", "unsupported-protocol-version", "wrong-content-type", "malformed-json"],
)
def test_protocol_errors_are_answered_per_spec_never_500(
    plain_server: ServerProcess, headers: dict[str, str], body: object, status: int
) -> None:
    response = httpx.post(
        plain_server.mcp_url,
        headers={**MCP_HEADERS, **headers},
        content=body if isinstance(body, str) else json.dumps(body),
    )

    assert response.status_code == status
    if response.headers.get("content-type", "").startswith("application/json"):
        assert "error" in response.json()


def test_get_on_the_stateless_endpoint_is_405(plain_server: ServerProcess) -> None:
    response = httpx.get(plain_server.mcp_url, headers={"Accept": "text/event-stream"})

    assert response.status_code == 405


@pytest.mark.parametrize("host", ["10.0.3.7:8000", "10.0.3.7", "weather.example.com"])
def test_health_answers_get_and_head_whatever_the_host_header(
    plain_server: ServerProcess, nws: FakeNws, host: str
) -> None:
    get = httpx.get(plain_server.base_url + HEALTH_PATH, headers={"Host": host})
    head = httpx.head(plain_server.base_url + HEALTH_PATH, headers={"Host": host})

    assert get.status_code == 200
    assert get.json() == {"status": "ok", "version": __version__}
    assert head.status_code == 200
    assert head.content == b""
    assert nws.count() == 0  # health never calls upstream


def test_health_rejects_other_methods(plain_server: ServerProcess) -> None:
    response = httpx.post(plain_server.base_url + HEALTH_PATH)

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.anyio
async def test_concurrent_calls_over_http_share_one_upstream_request(
    plain_server: ServerProcess, nws: FakeNws
) -> None:
    nws.latency_ms = 200
    results = []

    async with httpx.AsyncClient(headers=MCP_HEADERS, timeout=30) as client:

        async def one(index: int) -> None:
            arguments = {"latitude": DENVER[0] + 0.3, "longitude": DENVER[1]}
            body = jsonrpc("tools/call", {"name": "get_forecast", "arguments": arguments}, request_id=index)
            results.append(await client.post(plain_server.mcp_url, json=body))

        async with anyio.create_task_group() as group:
            for index in range(30):
                group.start_soon(one, index)

    assert [response.status_code for response in results] == [200] * 30
    assert not any(response.json()["result"].get("isError") for response in results)
    assert nws.count("/points/") == 1
    assert nws.count("/gridpoints/") == 1


def test_container_healthcheck_command_reports_the_server_state(plain_server: ServerProcess) -> None:
    port = plain_server.base_url.rsplit(":", 1)[1]

    def probe(probe_port: str) -> int:
        env = {**os.environ, EnvVar.PORT: probe_port}
        command = [sys.executable, "-m", "server.healthcheck"]
        return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, timeout=30).returncode

    assert probe(port) == 0
    assert probe(str(free_port())) == 1  # nothing listening: unhealthy


def test_container_healthcheck_probes_the_path_it_is_given(plain_server: ServerProcess) -> None:
    env = {**os.environ, EnvVar.PORT: plain_server.base_url.rsplit(":", 1)[1]}

    def probe(*path: str) -> int:
        command = [sys.executable, "-m", "server.healthcheck", *path]
        return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, timeout=30).returncode

    assert probe("/health") == 0
    assert probe("/no-such-path") == 1  # 404 is unhealthy
