"""A client that runs OAuth and MCP from the browser page itself (a single-page app), in Chromium.

Its page is served from http://app.test:<port> (mapped to loopback in the test browser, so a site of
its own, not a loopback origin the server would admit anyway), listed in the server's
MCP_ALLOWED_ORIGINS. With the page's own fetch() it reads the metadata, registers, exchanges the code
and calls a tool; the person signs in and approves in the same tab. Its redirect URI is the same
app's /callback on 127.0.0.1 (a native-type registration, as a page served from the developer's own
machine registers): a web-type registration must use https, which this offline test cannot serve.
The same page on a site that is not listed still reaches the public OAuth endpoints (CORS `*`), but
not /mcp.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from fakes.nws import TOPEKA, FakeNws
from fakes.oidc import TEST_PASSWORD, TEST_USERNAME, FakeCognito
from server.contract import EnvVar
from tests.browser.chromium import APP_HOST, HOSTILE_HOST
from tests.browser.client_app import ClientApp, authorization_request
from tests.browser.conftest import start_oauth_server
from tests.server.conftest import MCP_HEADERS, ServerProcess, free_port, jsonrpc

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

#: fetch() from the page; what the page's script can see of the answer, or the error it got.
FETCH = """async ([url, init]) => {
  try {
    const response = await fetch(url, init);
    return {status: response.status, body: await response.text()};
  } catch (error) {
    return {error: String(error)};
  }
}"""


@pytest.fixture(scope="module")
def app_origin(client_app: ClientApp) -> str:
    return client_app.origin(APP_HOST)


@pytest.fixture(scope="module")
def spa_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws, app_origin: str
) -> Iterator[tuple[ServerProcess, FakeCognito]]:
    """An oauth-mode server that lists the app's origin (redirect URIs: the default allow-list)."""
    port = free_port()
    with FakeCognito(callback_urls=[f"http://127.0.0.1:{port}/auth/callback"]) as idp:
        server = start_oauth_server(
            tmp_path_factory.mktemp("spa"),
            fake_nws_server,
            idp,
            port,
            **{EnvVar.ALLOWED_ORIGINS: app_origin},
        )
        yield server, idp
        server.stop()


def _fetch(page: Page, url: str, **init: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(FETCH, [url, init])
    return result


def _metadata(page: Page, server: ServerProcess) -> dict[str, Any]:
    """The authorization server's metadata, found from the resource's, as a browser client does."""
    resource = _fetch(page, f"{server.base_url}/.well-known/oauth-protected-resource/mcp")
    assert resource.get("status") == 200, resource
    issuer = json.loads(resource["body"])["authorization_servers"][0].rstrip("/")
    metadata = _fetch(page, f"{issuer}/.well-known/oauth-authorization-server")
    assert metadata.get("status") == 200, metadata
    document: dict[str, Any] = json.loads(metadata["body"])
    return document


def _mcp(
    page: Page, server: ServerProcess, token: str, method: str, params: dict[str, Any]
) -> dict[str, Any]:
    return _fetch(
        page,
        server.mcp_url,
        method="POST",
        headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"},
        body=json.dumps(jsonrpc(method, params)),
    )


def test_a_page_on_a_listed_origin_signs_in_and_calls_a_tool_with_its_own_fetch(
    page: Page, spa_server: tuple[ServerProcess, FakeCognito], app_origin: str, client_app: ClientApp
) -> None:
    server, idp = spa_server
    redirect_uri = client_app.redirect_uri
    page.goto(f"{app_origin}/frameable")  # the app's page: its origin is app.test's

    metadata = _metadata(page, server)
    registration = _fetch(
        page,
        metadata["registration_endpoint"],
        method="POST",
        headers={"Content-Type": "application/json"},  # not a simple request: preflighted
        body=json.dumps(
            {
                "client_name": "Weather in a Browser Tab",
                "redirect_uris": [redirect_uri],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
            }
        ),
    )
    assert registration.get("status") == 201, registration
    client_id = json.loads(registration["body"])["client_id"]

    # The person: the consent page names the app, then the provider's sign-in, then back to the app.
    request = authorization_request(
        metadata["authorization_endpoint"], client_id, redirect_uri, resource=server.mcp_url
    )
    page.goto(request.url)
    page.wait_for_url(f"{server.base_url}/consent?*")
    expect(page.get_by_text("Weather in a Browser Tab").first).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^(Allow|Approve)")).click()
    page.wait_for_url(f"{idp.base_url}/login?*")
    page.get_by_label("Username").fill(TEST_USERNAME)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{redirect_uri}?*")
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == [request.state]

    # Back on the app's own page: the code for tokens, then MCP, all with the page's fetch().
    page.goto(f"{app_origin}/frameable")
    tokens = _fetch(
        page,
        metadata["token_endpoint"],
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=(
            f"grant_type=authorization_code&code={query['code'][0]}&client_id={client_id}"
            f"&redirect_uri={redirect_uri}&code_verifier={request.verifier}&resource={server.mcp_url}"
        ),
    )
    assert tokens.get("status") == 200, tokens
    access_token = json.loads(tokens["body"])["access_token"]

    forecast = _mcp(
        page,
        server,
        access_token,
        "tools/call",
        {"name": "get_forecast", "arguments": {"latitude": TOPEKA[0], "longitude": TOPEKA[1]}},
    )
    assert forecast.get("status") == 200, forecast
    result = json.loads(forecast["body"])["result"]
    assert not result.get("isError"), result
    assert "Topeka" in result["content"][0]["text"] or "°F" in result["content"][0]["text"]
    # Without the token the page sees the 401 and the header that says where to sign in.
    refused = page.evaluate(
        """async ([url, headers, body]) => {
             const response = await fetch(url, {method: "POST", headers, body});
             return {status: response.status, challenge: response.headers.get("WWW-Authenticate")};
           }""",
        [server.mcp_url, MCP_HEADERS, json.dumps(jsonrpc("tools/list"))],
    )
    assert refused["status"] == 401
    assert "resource_metadata=" in (refused["challenge"] or "")


def test_a_page_on_an_unlisted_origin_reaches_the_public_endpoints_but_not_mcp(
    page: Page, spa_server: tuple[ServerProcess, FakeCognito], client_app: ClientApp
) -> None:
    server, _idp = spa_server
    page.goto(f"{client_app.origin(HOSTILE_HOST)}/frameable")
    # Discovery is public: any site may read it (and register, within the limits).
    assert _metadata(page, server)["token_endpoint"]
    # /mcp is not: the browser's preflight is refused, so the page's fetch fails before any call.
    call = _mcp(page, server, "any-token", "tools/list", {})
    assert "Failed to fetch" in call.get("error", ""), call
    assert "origin_rejected" in server.logs()
