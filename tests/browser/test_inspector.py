"""The MCP Inspector's web UI (2.12.0, the pinned npm package) against `python -m server`, driven in
Chromium the way the README tells a person to: add the server, connect, list the tools, call
get_forecast and read the forecast; with no authorization, with the bearer token, and with OAuth
sign-in (discovery, registration, the consent page, the provider's sign-in form, back to the
Inspector).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from fakes.nws import TOPEKA
from fakes.oidc import TEST_PASSWORD, TEST_USERNAME, FakeCognito
from tests.browser.conftest import tool_names
from tests.browser.inspector import (
    InspectorProcess,
    add_header,
    add_server,
    connect,
    expect_status,
    open_network_log,
    open_tools,
    run_tool,
)
from tests.server.conftest import TEST_TOKEN, ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

#: What get_forecast answers for TOPEKA from the fake NWS (tests/server/test_forecast.py).
FORECAST_HEADLINE = "Forecast for Linn, KS (39.7456, -97.0892)"
FIRST_PERIOD = "Temperature: 56°F"


def _requests_to(page: Page, server: ServerProcess) -> list[str]:
    """Every request the page itself sends to the MCP server (navigations included)."""
    origin = server.base_url
    seen: list[str] = []

    def record(request: Request) -> None:
        if request.url.startswith(origin):
            seen.append(f"{request.method} {urlsplit(request.url).path}")

    page.on("request", record)
    return seen


def _shows_a_forecast(page: Page, tools: list[str]) -> None:
    open_tools(page, tools)
    run_tool(page, "get_forecast", latitude=str(TOPEKA[0]), longitude=str(TOPEKA[1]))
    expect(page.get_by_text(FORECAST_HEADLINE)).to_be_visible()
    expect(page.get_by_text(FIRST_PERIOD)).to_be_visible()


def test_inspector_connects_without_auth_lists_the_tools_and_shows_a_forecast(
    page: Page, inspector: InspectorProcess, open_server: ServerProcess
) -> None:
    from_page = _requests_to(page, open_server)
    page.goto(inspector.url)
    add_server(page, "weather-open", open_server.mcp_url)
    connect(page, "weather-open")
    expect_status(page, "weather-open", "Connected")

    _shows_a_forecast(page, tool_names(open_server))
    # The Inspector's backend made every MCP request; the page never called the server itself, so
    # no browser Origin ever reached it (nothing for MCP_ALLOWED_ORIGINS to allow).
    assert from_page == []
    assert "origin_rejected" not in open_server.logs()


def test_inspector_connects_with_the_bearer_token_and_shows_a_forecast(
    page: Page, inspector: InspectorProcess, token_server: ServerProcess
) -> None:
    page.goto(inspector.url)
    add_server(page, "weather-token", token_server.mcp_url)
    # Without the token the server refuses the connection (401), and the Inspector says so.
    connect(page, "weather-token")
    expect_status(page, "weather-token", "Failed")

    add_header(page, "weather-token", "Authorization", f"Bearer {TEST_TOKEN}")
    connect(page, "weather-token")
    expect_status(page, "weather-token", "Connected")

    _shows_a_forecast(page, tool_names(token_server, {"Authorization": f"Bearer {TEST_TOKEN}"}))
    assert TEST_TOKEN not in token_server.logs()


def test_inspector_signs_in_with_oauth_and_calls_a_tool(
    page: Page,
    inspector: InspectorProcess,
    oauth_server: ServerProcess,
    idp: FakeCognito,
    open_server: ServerProcess,
) -> None:
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    from_page = _requests_to(page, oauth_server)
    sign_ins = idp.requests["sign_in"]
    page.goto(inspector.url)
    add_server(page, "weather-oauth", oauth_server.mcp_url)

    # Connect: the backend gets 401, discovers the authorization server, registers the Inspector
    # and sends the browser to /authorize, which shows this server's consent page.
    connect(page, "weather-oauth")
    page.wait_for_url(f"{oauth_server.base_url}/consent?*")
    callback = f"{inspector.url}/oauth/callback"
    expect(page.get_by_text("MCP Inspector").first).to_be_visible()
    expect(page.get_by_text(callback).first).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^(Allow|Approve)")).click()

    # The provider's sign-in page: the person types their user name and password.
    page.wait_for_url(f"{idp.base_url}/login?*")
    page.get_by_label("Username").fill(TEST_USERNAME)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Back in the Inspector, connected with the token it obtained. Its Network log shows what its
    # backend did: the refused /mcp, discovery of both metadata documents, registration, token.
    page.wait_for_url(f"{inspector.url}/*")
    expect_status(page, "weather-oauth", "Connected")
    open_network_log(page)
    for path in (
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server",
        "/register",
        "/token",
    ):
        expect(page.get_by_text(oauth_server.base_url + path, exact=True).first).to_be_visible()
    expect(page.get_by_text("401 Unauthorized").first).to_be_visible()
    expect(page.get_by_text("201 Created").first).to_be_visible()
    # (The same server code in another mode: its tool list, read without a token.)
    _shows_a_forecast(page, tool_names(open_server))
    assert idp.requests["sign_in"] == sign_ins + 1

    # The browser went where the README says, and nowhere else on the MCP server.
    paths = [(urlsplit(url).netloc, urlsplit(url).path) for url in visited]
    server, provider, ui = (urlsplit(u).netloc for u in (oauth_server.base_url, idp.base_url, inspector.url))
    assert (server, "/consent") in paths
    assert (provider, "/login") in paths
    assert (ui, "/oauth/callback") in paths
    # Discovery, registration, token and /mcp came from the Inspector's backend, not the page.
    assert sorted(set(from_page)) == ["GET /auth/callback", "GET /authorize", "GET /consent", "POST /consent"]
