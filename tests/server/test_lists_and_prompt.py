"""What clients read before they call: the tool and prompt lists with their cache hint for modern clients
(protocol 2026-07-28: `ttlMs`, `cacheScope`), and the weather_briefing prompt."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from server.app import LIST_CACHE_SECONDS
from tests.server.conftest import ServerProcess, sdk_session

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

EVERY_TOOL = [
    "find_location",
    "get_air_quality",
    "get_alerts",
    "get_alerts_for_point",
    "get_current_conditions",
    "get_forecast",
    "get_hourly_forecast",
]


async def test_a_modern_client_sees_the_cache_hint_and_reuses_the_lists(plain_server: ServerProcess) -> None:
    methods: list[str] = []

    async def note(request: Any) -> None:
        if request.method == "POST" and request.content:
            methods.append(json.loads(request.content).get("method"))

    async with (
        httpx2.AsyncClient(timeout=30, event_hooks={"request": [note]}) as http,
        Client(streamable_http_client(plain_server.mcp_url, http_client=http)) as client,
    ):
        tools = await client.list_tools()
        again = await client.list_tools()  # within ttlMs: from the client's cache
        prompts = await client.list_prompts()
        protocol = client.protocol_version

    assert protocol == "2026-07-28"  # negotiated with server/discover, no initialize
    assert sorted(tool.name for tool in tools.tools) == EVERY_TOOL
    assert (tools.ttl_ms, tools.cache_scope) == (LIST_CACHE_SECONDS * 1000, "public") == (3_600_000, "public")
    assert (prompts.ttl_ms, prompts.cache_scope) == (3_600_000, "public")
    assert [tool.name for tool in again.tools] == [tool.name for tool in tools.tools]
    assert methods.count("tools/list") == 1
    assert "initialize" not in methods


async def test_the_briefing_prompt_is_listed_and_leads_through_the_tools(plain_server: ServerProcess) -> None:
    async with sdk_session(plain_server.mcp_url) as session:
        listed = await session.list_prompts()
        prompt = await session.get_prompt("weather_briefing", {"place": "  서울 "})

    (briefing,) = listed.prompts
    assert briefing.name == "weather_briefing"
    assert [(argument.name, argument.required) for argument in briefing.arguments or []] == [("place", True)]
    (message,) = prompt.messages
    assert message.role == "user"
    body = message.content.text
    assert body.startswith("Give me a short weather briefing for 서울.")
    steps = [body.index(f"Call {tool}") for tool in ("find_location", "get_forecast", "get_alerts_for_point")]
    assert steps == sorted(steps)  # in that order
    assert 'query "서울"' in body
    assert "Alerts exist for US points only" in body
    assert "CC BY 4.0" in body


@pytest.mark.parametrize(
    ("place", "expected"),
    [("", "place must name a place"), ("x" * 201, "place must be at most 200 characters")],
)
async def test_the_briefing_prompt_refuses_a_bad_place_clearly(
    plain_server: ServerProcess, place: str, expected: str
) -> None:
    async with sdk_session(plain_server.mcp_url) as session:
        with pytest.raises(MCPError, match=expected):
            await session.get_prompt("weather_briefing", {"place": place})
