"""OAuth when what it depends on fails: the shared store mid-flow, the identity provider at start.

Each failure must give a clear answer quickly: a page or an OAuth error that says what happened and
asks to retry (503, Retry-After), never a 500 page with a traceback, never a 401 that makes a client
throw away a good token, never a server that hangs at start.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fakes.nws import FakeNws
from fakes.oidc import CLIENT_ID, FakeCognito
from server.contract import EnvVar
from server.serving import EXIT_PROVIDER_UNAVAILABLE
from tests.server.conftest import MCP_HEADERS, REPO_ROOT, ServerProcess, free_port, jsonrpc, start_server
from tests.server.oauth_client import REDIRECT_URI
from tests.server.oauth_harness import (
    AWS_ENV,
    TABLE,
    MotoDynamo,
    authorize_url,
    dynamodb_on_moto,
    pkce,
    redeem,
    register,
    sign_in,
)

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(300)]

SIGNING_KEY = "outage-signing-key-" + "k" * 40
STORAGE_KEY = "outage-storage-key-" + "s" * 40


def oauth_env(idp_discovery_url: str, public_port: int, moto_url: str) -> dict[str, str]:
    return {
        EnvVar.AUTH_MODE: "oauth",
        EnvVar.PUBLIC_URL: f"http://127.0.0.1:{public_port}",
        EnvVar.OIDC_CONFIG_URL: idp_discovery_url,
        EnvVar.OIDC_CLIENT_ID: CLIENT_ID,
        EnvVar.OAUTH_STORE: f"dynamodb:{TABLE}",
        EnvVar.OAUTH_JWT_SIGNING_KEY: SIGNING_KEY,
        EnvVar.OAUTH_STORAGE_KEY: STORAGE_KEY,
        EnvVar.WORKERS: "2",
        "AWS_ENDPOINT_URL": moto_url,
        **AWS_ENV,
    }


@pytest.fixture(scope="module")
def public_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def idp(public_port: int) -> Iterator[FakeCognito]:
    with FakeCognito(callback_urls=[f"http://127.0.0.1:{public_port}/auth/callback"]) as fake:
        yield fake


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoDynamo]:
    with dynamodb_on_moto(tmp_path_factory.mktemp("moto")) as moto:
        yield moto


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_nws_server: FakeNws,
    idp: FakeCognito,
    public_port: int,
    moto: MotoDynamo,
) -> Iterator[ServerProcess]:
    process = start_server(
        tmp_path_factory.mktemp("outage"),
        fake_nws_server.base_url,
        port=public_port,
        startup_timeout=90,
        **oauth_env(idp.discovery_url, public_port, moto.url),
    )
    yield process
    process.stop()


def _clear(response: httpx.Response, status: int = 503) -> None:
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    assert "botocore" not in response.text
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_the_store_failing_mid_flow_answers_503_and_keeps_clients_tokens(
    server: ServerProcess, moto: MotoDynamo
) -> None:
    # Before the outage: a person signed in (tokens), and a second sign-in waits at the consent page.
    authorization = await sign_in(server.base_url)
    tokens = redeem(server.base_url, authorization).json()
    pending = register(server.base_url, [REDIRECT_URI]).json()["client_id"]
    _verifier, challenge = pkce()
    async with httpx.AsyncClient(timeout=60, follow_redirects=True) as browser:
        page = await browser.get(authorize_url(server.base_url, pending, REDIRECT_URI, challenge))
        form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text), action="approve")

        moto.stop()  # the table becomes unreachable
        began = time.perf_counter()

        consent = await browser.post(
            str(page.url).split("?")[0],
            data=form,
            headers={"Origin": server.base_url},
            follow_redirects=False,
        )
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        mcp = await browser.post(
            server.mcp_url, json=jsonrpc("tools/list"), headers={**MCP_HEADERS, **bearer}
        )
        renewal = await browser.post(
            server.base_url + "/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": authorization.client_id,
            },
        )
        registration = await browser.post(
            server.base_url + "/register",
            json={"redirect_uris": [REDIRECT_URI], "client_name": "during outage"},
        )
        authorize = await browser.get(
            authorize_url(server.base_url, authorization.client_id, REDIRECT_URI, challenge),
            follow_redirects=False,
        )
        print(f"\nfive requests during the store outage answered in {time.perf_counter() - began:.1f} s")
        health = await browser.get(server.base_url + "/health")

    # The person's browser gets a page that says what happened; clients get OAuth's own error.
    _clear(consent)
    assert "could not reach its sign-in records" in consent.text
    _clear(authorize)
    assert authorize.headers["content-type"].startswith("text/html")
    for answer in (renewal, registration, mcp):
        _clear(answer)
        assert answer.json()["error"] == "temporarily_unavailable"
    # 503, not 401: the client keeps its token and retries.
    assert mcp.status_code != 401
    assert health.status_code == 200
    assert "oauth_store_unavailable" in server.logs()


def _start(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,  # a deadline for the test, not a measurement: a hang fails here
    )


@pytest.mark.parametrize("provider", ["answers 503", "is down"])
def test_an_unavailable_identity_provider_at_start_stops_the_server_with_a_clear_message(
    idp: FakeCognito, tmp_path: Path, provider: str
) -> None:
    if provider == "answers 503":
        idp.fail_discovery(503)
        url = idp.discovery_url
    else:
        url = f"http://127.0.0.1:{free_port()}/pool/.well-known/openid-configuration"  # nothing listens
    try:
        env = {**oauth_env(url, free_port(), "http://127.0.0.1:9"), EnvVar.PORT: str(free_port())}
        result = _start(env, tmp_path)
    finally:
        idp.behave()
    assert result.returncode == EXIT_PROVIDER_UNAVAILABLE
    assert EnvVar.OIDC_CONFIG_URL in result.stderr
    assert ("answered HTTP 503" if provider == "answers 503" else "could not be reached") in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert SIGNING_KEY not in result.stderr + result.stdout
