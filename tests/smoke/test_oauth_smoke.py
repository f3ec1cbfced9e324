"""`pipenv run smoke` against a server with OAuth sign-in: it checks what a script can, and says what not.

A script cannot sign a person in (that takes the identity provider's page and the consent page in a
browser), so against an OAuth server the smoke check verifies discovery and registration and
reports sign-in and the tools as not checked, instead of failing on the 401.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes.nws import FakeNws
from fakes.oidc import CLIENT_ID, FakeCognito
from server.contract import EnvVar
from tests.server.conftest import ServerProcess, free_port, start_server
from tests.smoke.conftest import run_smoke

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def oauth_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    port = free_port()
    with FakeCognito(callback_urls=[f"http://127.0.0.1:{port}/auth/callback"]) as idp:
        server = start_server(
            tmp_path_factory.mktemp("oauth-smoke"),
            fake_nws_server.base_url,
            port=port,
            **{
                EnvVar.AUTH_MODE: "oauth",
                EnvVar.PUBLIC_URL: f"http://127.0.0.1:{port}",
                EnvVar.OIDC_CONFIG_URL: idp.discovery_url,
                EnvVar.OIDC_CLIENT_ID: CLIENT_ID,
                EnvVar.OAUTH_JWT_SIGNING_KEY: "smoke-signing-key-" + "k" * 40,
            },
        )
        yield server
        server.stop()


def test_the_smoke_check_verifies_oauth_discovery_and_registration_and_says_what_it_cannot(
    oauth_server: ServerProcess,
) -> None:
    result = run_smoke(oauth_server.mcp_url)

    assert result.returncode == 0, result.stdout
    assert "PASS  auth          the server signs people in with OAuth" in result.stdout
    assert f"PASS  oauth_resource names {oauth_server.mcp_url}" in result.stdout
    assert "PASS  oauth_server  authorization, token and registration endpoints; PKCE S256" in result.stdout
    assert "PASS  registration  a client with the loopback redirect" in result.stdout
    assert (
        "PASS  refusal       a client with the redirect https://smoke-check.invalid/callback was refused"
        in result.stdout
    )
    assert "NOT CHECKED  sign-in and tools: signing in takes a person at a browser" in result.stdout
    assert "RESULT: PASS, all 6 checks passed" in result.stdout
    assert "get_forecast" not in result.stdout  # not claimed as passed, not counted as failed


def test_the_smoke_check_fails_clearly_when_the_oauth_server_is_unreachable() -> None:
    result = run_smoke(f"http://127.0.0.1:{free_port()}/mcp", "--wait", "0")

    assert result.returncode == 1
    assert "FAIL  health" in result.stdout
    assert "Traceback" not in result.stdout
