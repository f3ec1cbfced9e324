"""Origin validation (MCP spec: 403 for a present, disallowed Origin) and CORS for allowed origins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fakes.nws import FakeNws
from server.contract import HEALTH_PATH, EnvVar
from tests.server.conftest import (
    ALLOWED_ORIGIN,
    MCP_HEADERS,
    TEST_TOKEN,
    ServerProcess,
    jsonrpc,
    start_server,
)

pytestmark = pytest.mark.timeout(60)

AUTHED = {**MCP_HEADERS, "Authorization": f"Bearer {TEST_TOKEN}"}
LIST = jsonrpc("tools/list")
#: How the server listens in ECS; the requests below still go to 127.0.0.1 only.
ALL_INTERFACES = "0.0.0.0"  # noqa: S104


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "https://inspector.example.com.evil.example"]
)
def test_foreign_origin_is_403_even_with_a_valid_token(secured_server: ServerProcess, origin: str) -> None:
    response = httpx.post(secured_server.mcp_url, headers={**AUTHED, "Origin": origin}, json=LIST)

    assert response.status_code == 403


def test_request_without_origin_passes(secured_server: ServerProcess) -> None:
    assert httpx.post(secured_server.mcp_url, headers=AUTHED, json=LIST).status_code == 200


def test_allowed_origin_passes_and_gets_cors_headers(secured_server: ServerProcess) -> None:
    response = httpx.post(secured_server.mcp_url, headers={**AUTHED, "Origin": ALLOWED_ORIGIN}, json=LIST)

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_cors_preflight_from_an_allowed_origin_succeeds_without_a_token(
    secured_server: ServerProcess,
) -> None:
    response = httpx.options(
        secured_server.mcp_url,
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


def test_loopback_origins_are_allowed_when_the_server_itself_is_on_loopback(
    plain_server: ServerProcess,
) -> None:
    local = httpx.post(
        plain_server.mcp_url, headers={**MCP_HEADERS, "Origin": "http://localhost:6274"}, json=LIST
    )
    foreign = httpx.post(
        plain_server.mcp_url, headers={**MCP_HEADERS, "Origin": "http://evil.example"}, json=LIST
    )

    assert local.status_code == 200
    assert foreign.status_code == 403


def test_health_is_not_subject_to_origin_checks(secured_server: ServerProcess) -> None:
    response = httpx.get(secured_server.base_url + HEALTH_PATH, headers={"Origin": "https://evil.example"})

    assert response.status_code == 200


@pytest.fixture(scope="module")
def server_on_all_interfaces(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    """Bound to 0.0.0.0 as in ECS (the tests still talk to it over loopback only)."""
    server = start_server(
        tmp_path_factory.mktemp("all-interfaces"), fake_nws_server.base_url, **{EnvVar.HOST: ALL_INTERFACES}
    )
    yield server
    server.stop()


def test_loopback_origins_are_refused_when_the_server_listens_on_all_interfaces(
    server_on_all_interfaces: ServerProcess,
) -> None:
    response = httpx.post(
        server_on_all_interfaces.mcp_url,
        headers={**MCP_HEADERS, "Origin": "http://localhost:6274"},
        json=LIST,
    )

    assert response.status_code == 403


def test_a_configured_loopback_origin_is_allowed_on_all_interfaces(
    tmp_path: Path, fake_nws_server: FakeNws
) -> None:
    server = start_server(
        tmp_path,
        fake_nws_server.base_url,
        **{EnvVar.HOST: ALL_INTERFACES, EnvVar.ALLOWED_ORIGINS: "http://localhost:6274"},
    )
    try:
        response = httpx.post(
            server.mcp_url, headers={**MCP_HEADERS, "Origin": "http://localhost:6274"}, json=LIST
        )
    finally:
        server.stop()

    assert response.status_code == 200
