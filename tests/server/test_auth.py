"""Bearer-token auth (MCP_AUTH_TOKEN) on the real transport; /health stays open."""

from __future__ import annotations

import httpx
import pytest

from fakes.nws import FakeNws
from server.contract import HEALTH_PATH
from tests.server.conftest import MCP_HEADERS, TEST_TOKEN, ServerProcess, jsonrpc, sdk_session

pytestmark = pytest.mark.timeout(60)

LIST = jsonrpc("tools/list")


def test_missing_token_is_401_with_a_bearer_challenge(secured_server: ServerProcess) -> None:
    response = httpx.post(secured_server.mcp_url, headers=MCP_HEADERS, json=LIST)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("authorization", [f"Bearer {TEST_TOKEN}x", "Bearer wrong", f"Basic {TEST_TOKEN}"])
def test_wrong_token_or_scheme_is_401(secured_server: ServerProcess, authorization: str) -> None:
    response = httpx.post(
        secured_server.mcp_url, headers={**MCP_HEADERS, "Authorization": authorization}, json=LIST
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_trailing_slash_path_is_protected_too(secured_server: ServerProcess) -> None:
    response = httpx.post(
        secured_server.mcp_url + "/", headers=MCP_HEADERS, json=LIST, follow_redirects=False
    )

    assert response.status_code == 401


@pytest.mark.anyio
async def test_sdk_client_with_the_token_calls_tools(secured_server: ServerProcess, nws: FakeNws) -> None:
    async with sdk_session(secured_server.mcp_url, {"Authorization": f"Bearer {TEST_TOKEN}"}) as session:
        result = await session.call_tool("get_alerts", {"state": "KS"})

    assert not result.is_error
    assert result.structured_content["total"] == 2


def test_health_needs_no_token(secured_server: ServerProcess) -> None:
    assert httpx.get(secured_server.base_url + HEALTH_PATH).status_code == 200
    assert httpx.head(secured_server.base_url + HEALTH_PATH).status_code == 200


def test_token_never_appears_in_the_logs(secured_server: ServerProcess, nws: FakeNws) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TEST_TOKEN}"}
    call = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "OK"}})
    assert httpx.post(secured_server.mcp_url, headers=headers, json=call).status_code == 200
    httpx.post(
        secured_server.mcp_url, headers={**headers, "Authorization": f"Bearer {TEST_TOKEN}-bad"}, json=call
    )

    logs = secured_server.logs()
    assert '"event": "tool_call"' in logs  # the server did log the call...
    assert TEST_TOKEN not in logs  # ...and nothing that carries the token
