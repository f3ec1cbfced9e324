"""MCP_AUTH_MODE=oauth end to end: the official MCP SDK client signs a person in and calls a tool.

Everything is real HTTP on loopback: a fake Cognito user pool (fakes/oidc.py), moto's DynamoDB
as the shared OAuth store, and `python -m server` with two workers, so registration, consent,
callback and token exchange land on whichever worker answers, as they do behind a load balancer.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
import boto3
import httpx
import pytest
from fastmcp.server.auth.jwt_issuer import derive_jwt_key
from joserfc import jwk, jwt
from mcp.shared.exceptions import MCPError
from starlette.testclient import TestClient

from fakes.nws import FakeNws
from fakes.oidc import CLIENT_ID, TEST_PERSON, FakeCognito
from server.app import create_server, http_transport
from server.contract import EnvVar
from tests.server.conftest import (
    MCP_HEADERS,
    REPO_ROOT,
    ServerProcess,
    free_port,
    jsonrpc,
    make_settings,
    start_server,
)
from tests.server.oauth_client import REDIRECT_URI, MemoryTokens, SignIn, first_tool_call, oauth_session
from tests.server.oauth_harness import AWS_ENV, REGION, TABLE, dynamodb_on_moto
from tests.server.server_logs import log_events, until_every_worker_served, worker_pids

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(300)]

SIGNING_KEY = "test-signing-key-" + "k" * 40
STORAGE_KEY = "test-storage-key-" + "s" * 40


@pytest.fixture(scope="module")
def moto_dynamodb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's server on loopback with the table the stack creates (same keys and TTL attribute)."""
    with dynamodb_on_moto(tmp_path_factory.mktemp("moto")) as moto:
        yield moto.url


def _credentials() -> dict[str, str]:
    return {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture(scope="module")
def public_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def idp(public_port: int) -> Iterator[FakeCognito]:
    with FakeCognito(callback_urls=[f"http://127.0.0.1:{public_port}/auth/callback"]) as fake:
        yield fake


def oauth_env(idp: FakeCognito, public_port: int, moto_url: str) -> dict[str, str]:
    return {
        EnvVar.AUTH_MODE: "oauth",
        EnvVar.PUBLIC_URL: f"http://127.0.0.1:{public_port}",
        EnvVar.OIDC_CONFIG_URL: idp.discovery_url,
        EnvVar.OIDC_CLIENT_ID: CLIENT_ID,
        EnvVar.OAUTH_STORE: f"dynamodb:{TABLE}",
        EnvVar.OAUTH_JWT_SIGNING_KEY: SIGNING_KEY,
        EnvVar.OAUTH_STORAGE_KEY: STORAGE_KEY,
        EnvVar.WORKERS: "2",
        # Every flow below registers a client from 127.0.0.1: the per-address limit has its own tests.
        EnvVar.OAUTH_REGISTRATIONS_PER_MINUTE: "1000",
        "AWS_ENDPOINT_URL": moto_url,
        **AWS_ENV,
    }


@pytest.fixture(scope="module")
def oauth_server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_nws_server: FakeNws,
    idp: FakeCognito,
    public_port: int,
    moto_dynamodb: str,
) -> Iterator[ServerProcess]:
    """`python -m server`, two workers, OAuth through the fake Cognito, state in DynamoDB (moto)."""
    server = start_server(
        tmp_path_factory.mktemp("oauth"),
        fake_nws_server.base_url,
        port=public_port,
        startup_timeout=90,
        **oauth_env(idp, public_port, moto_dynamodb),
    )
    yield server
    server.stop()


@pytest.fixture
def fresh_idp(idp: FakeCognito) -> Iterator[FakeCognito]:
    idp.behave()
    yield idp
    idp.behave()


def post_mcp(server: ServerProcess, token: str | None = None) -> httpx.Response:
    headers = {**MCP_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx.post(server.mcp_url, json=jsonrpc("tools/list"), headers=headers, timeout=30)


# --- the whole flow ---------------------------------------------------------------------------------
async def test_sdk_client_signs_in_and_calls_a_tool_across_two_workers(
    oauth_server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    authorizations = fresh_idp.requests["authorize"]
    result, figures, storage = await first_tool_call(oauth_server.mcp_url, name="get_alerts", state="KS")
    assert not result.is_error
    assert "Tornado Warning" in result.content[0].text
    # Exactly one sign-in at the provider, and the client holds a token and a refresh token.
    assert fresh_idp.requests["authorize"] == authorizations + 1
    assert storage.tokens is not None
    assert storage.tokens.refresh_token
    print(f"\nflow: {figures}")


async def test_the_token_works_on_every_worker_and_the_log_names_the_person(
    oauth_server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    _result, _figures, storage = await first_tool_call(oauth_server.mcp_url, name="get_alerts", state="TX")
    assert storage.tokens is not None
    token = storage.tokens.access_token
    since = len(oauth_server.logs())

    def call_with_token(_index: int) -> None:
        # A new connection per call, so the kernel spreads them over both workers; each must accept it.
        body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}})
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}", "Connection": "close"}
        response = httpx.post(oauth_server.mcp_url, json=body, headers=headers, timeout=30)
        assert response.status_code == 200, f"{response.status_code}: {response.text}"

    until_every_worker_served(oauth_server, call_with_token)
    calls = log_events(oauth_server, "tool_call", since=since)
    assert {call["pid"] for call in calls} == worker_pids(oauth_server)  # both workers took calls
    assert {call.get("subject") for call in calls} == {TEST_PERSON["sub"]}  # each knew the person
    logs = oauth_server.logs()
    assert token not in logs
    assert SIGNING_KEY not in logs
    assert STORAGE_KEY not in logs


async def test_token_refresh_renews_an_expired_access_token(
    oauth_server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    # The provider's access tokens (and so the server's, which mirror them) last 3 seconds.
    fresh_idp.issue_tokens_with(lifetime_seconds=3)
    storage = MemoryTokens()
    async with oauth_session(oauth_server.mcp_url, SignIn(), storage) as session:
        assert storage.tokens is not None
        first = storage.tokens.access_token
        sign_ins, refreshes = fresh_idp.requests["authorize"], fresh_idp.requests["refresh"]
        fresh_idp.behave()
        await anyio.sleep(4)
        assert post_mcp(oauth_server, first).status_code == 401
        result = await session.call_tool("get_alerts", {"state": "KS"})
    assert not result.is_error
    assert storage.tokens.access_token != first
    # Refreshed at the provider, not signed in again.
    assert (fresh_idp.requests["authorize"], fresh_idp.requests["refresh"]) == (sign_ins, refreshes + 1)


# --- discovery --------------------------------------------------------------------------------------
def test_mcp_without_a_token_points_clients_at_the_resource_metadata(oauth_server: ServerProcess) -> None:
    response = post_mcp(oauth_server)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    metadata_url = f"{oauth_server.base_url}/.well-known/oauth-protected-resource/mcp"
    assert challenge.startswith("Bearer ")
    assert f'resource_metadata="{metadata_url}"' in challenge


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]
)
def test_protected_resource_metadata_at_both_well_known_paths(oauth_server: ServerProcess, path: str) -> None:
    document = httpx.get(oauth_server.base_url + path, timeout=10).json()
    assert document["resource"] == oauth_server.mcp_url
    assert document["authorization_servers"] == [oauth_server.base_url + "/"]


def test_authorization_server_metadata_offers_registration_cimd_and_s256_only(
    oauth_server: ServerProcess,
) -> None:
    metadata = httpx.get(oauth_server.base_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["registration_endpoint"] == oauth_server.base_url + "/register"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["client_id_metadata_document_supported"] is True


def test_the_consent_form_may_post_from_the_servers_own_origin_only(
    fake_nws_server: FakeNws, idp: FakeCognito
) -> None:
    # Served on all interfaces (as in ECS), loopback origins get no exemption: a browser posting the
    # consent form sends the public URL's origin, which must go on to the provider's sign-in; the same
    # form from any other origin is refused before FastMCP sees it.
    settings = make_settings(
        fake_nws_server.base_url,
        **{
            EnvVar.HOST: "0.0.0.0",  # noqa: S104 - never bound: the app is called in-process
            EnvVar.AUTH_MODE: "oauth",
            EnvVar.PUBLIC_URL: "https://mcp.example.com",
            EnvVar.OIDC_CONFIG_URL: idp.discovery_url,
            EnvVar.OIDC_CLIENT_ID: CLIENT_ID,
            EnvVar.OAUTH_JWT_SIGNING_KEY: SIGNING_KEY,
        },
    )
    app = http_transport(create_server(settings), settings)
    with TestClient(app, base_url="https://mcp.example.com") as browser:
        client_id = browser.post("/register", json={"redirect_uris": [REDIRECT_URI]}).json()["client_id"]
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            "state": "s",
        }
        page = browser.get(f"/authorize?{urlencode(query)}", follow_redirects=True)
        form = {**dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)), "action": "approve"}
        foreign = browser.post("/consent", data=form, headers={"Origin": "https://evil.example.com"})
        own = browser.post(
            "/consent", data=form, headers={"Origin": "https://mcp.example.com"}, follow_redirects=False
        )
    assert page.status_code == 200
    assert foreign.status_code == 403
    assert own.status_code == 302
    assert own.headers["location"].startswith(idp.base_url + "/oauth2/authorize?")


def test_health_stays_open_and_host_independent(oauth_server: ServerProcess) -> None:
    response = httpx.get(oauth_server.base_url + "/health", headers={"Host": "10.0.3.17:8000"}, timeout=10)
    assert response.status_code == 200


# --- refusals ---------------------------------------------------------------------------------------
def _issued_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _sign(claims: dict[str, Any], key: str = SIGNING_KEY) -> str:
    secret = jwk.import_key(derive_jwt_key(low_entropy_material=key, salt="fastmcp-jwt-signing-key"), "oct")
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, secret, algorithms=["HS256"])


@pytest.fixture(scope="module")
def signed_in_token(oauth_server: ServerProcess, idp: FakeCognito) -> str:
    idp.behave()
    flow = first_tool_call(oauth_server.mcp_url, name="get_alerts", state="KS")
    _result, _figures, storage = asyncio.run(flow)
    assert storage.tokens is not None
    return storage.tokens.access_token


def test_refused_tokens_all_get_the_same_401(oauth_server: ServerProcess, signed_in_token: str) -> None:
    claims = _issued_claims(signed_in_token)
    head, payload, signature = signed_in_token.split(".")
    refused = {
        "no token": None,
        "bad signature": f"{head}.{payload}.{signature[:-4]}AAAA",
        "other signing key": _sign(claims, key="another-key-" + "x" * 40),
        "wrong issuer": _sign({**claims, "iss": "https://attacker.example.com/"}),
        "wrong audience": _sign({**claims, "aud": "https://other-server.example.com/mcp"}),
        "expired": _sign({**claims, "exp": int(time.time()) - 60}),
        "unknown token id": _sign({**claims, "jti": secrets.token_urlsafe(32)}),
    }
    assert post_mcp(oauth_server, signed_in_token).status_code == 200
    bodies = set()
    for reason, token in refused.items():
        response = post_mcp(oauth_server, token)
        assert response.status_code == 401, reason
        assert response.headers["www-authenticate"].startswith("Bearer "), reason
        assert "resource_metadata=" in response.headers["www-authenticate"], reason
        if token is not None:
            bodies.add(response.text)
    assert len(bodies) == 1  # nothing tells the caller why


@pytest.mark.parametrize(
    "misbehaviour",
    [
        {"issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"},
        {"client_id": "another-app-client"},
        {"unpublished_key": True},
    ],
    ids=["wrong-upstream-issuer", "wrong-upstream-client", "upstream-key-not-in-jwks"],
)
async def test_upstream_tokens_that_fail_verification_give_no_access(
    oauth_server: ServerProcess, fresh_idp: FakeCognito, misbehaviour: dict[str, Any]
) -> None:
    fresh_idp.issue_tokens_with(**misbehaviour)
    storage = MemoryTokens()
    # The person signs in, but the token the server issued is refused: the SDK gives up.
    with pytest.raises(ExceptionGroup) as refused:
        async with oauth_session(oauth_server.mcp_url, SignIn(), storage):
            pass
    assert refused.group_contains(MCPError, depth=2)
    assert storage.tokens is not None
    assert post_mcp(oauth_server, storage.tokens.access_token).status_code == 401


def _register(server: ServerProcess, redirect_uri: str) -> httpx.Response:
    return httpx.post(
        server.base_url + "/register",
        json={
            "redirect_uris": [redirect_uri],
            "client_name": "manual",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        },
        timeout=30,
    )


def test_registration_with_a_redirect_uri_outside_the_allow_list_is_refused(
    oauth_server: ServerProcess,
) -> None:
    response = _register(oauth_server, "https://evil.example.com/callback")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"


async def test_an_authorization_code_works_once(oauth_server: ServerProcess, fresh_idp: FakeCognito) -> None:
    registration = _register(oauth_server, REDIRECT_URI).json()
    client_id = registration["client_id"]

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s1",
        "resource": oauth_server.mcp_url,
    }
    browser = SignIn()
    await browser.open(f"{oauth_server.base_url}/authorize?{urlencode(query)}")
    code = (await browser.callback()).code
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": client_id,
        "code_verifier": verifier,
    }
    async with httpx.AsyncClient(base_url=oauth_server.base_url, timeout=30) as http:
        first = await http.post("/token", data=exchange)
        replay = await http.post("/token", data=exchange)
    assert first.status_code == 200
    # RFC 6749 says 400; FastMCP answers 401. Either way the code is refused and gives no token.
    assert replay.status_code in (400, 401)
    assert "access_token" not in replay.json()
    assert replay.json()["error"] == "invalid_grant"


def test_the_store_holds_only_encrypted_values(moto_dynamodb: str, signed_in_token: str) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=moto_dynamodb, region_name=REGION, **_credentials())
    items = dynamodb.scan(TableName=TABLE)["Items"]
    collections = {item["collection"]["S"] for item in items}
    assert {"mcp-oauth-proxy-clients", "mcp-upstream-tokens", "mcp-jti-mappings"} <= collections
    text = json.dumps(items)
    assert "weather tests" not in text  # a registered client's name
    assert "access_token" not in text
    assert all("ttl" in item for item in items if item["collection"]["S"] == "mcp-upstream-tokens")


# --- start-up contract ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({EnvVar.AUTH_MODE: "oauth"}, EnvVar.OIDC_CONFIG_URL),
        ({EnvVar.AUTH_MODE: "oauth", EnvVar.PUBLIC_URL: "http://mcp.example.com"}, EnvVar.PUBLIC_URL),
        (
            {EnvVar.AUTH_MODE: "oauth", EnvVar.OAUTH_JWT_SIGNING_KEY: "tiny-key-x"},
            EnvVar.OAUTH_JWT_SIGNING_KEY,
        ),
        ({EnvVar.AUTH_MODE: "oauth", EnvVar.OAUTH_STORE: "redis://x"}, EnvVar.OAUTH_STORE),
        ({EnvVar.AUTH_MODE: "none", EnvVar.AUTH_TOKEN: "t" * 24}, EnvVar.AUTH_MODE),
        ({EnvVar.AUTH_MODE: "token"}, EnvVar.AUTH_TOKEN),
        (
            {
                EnvVar.AUTH_MODE: "oauth",
                EnvVar.PUBLIC_URL: "https://mcp.example.com",
                EnvVar.OIDC_CONFIG_URL: "https://idp.example.com/.well-known/openid-configuration",
                EnvVar.OIDC_CLIENT_ID: "abc",
                EnvVar.OAUTH_JWT_SIGNING_KEY: SIGNING_KEY,
                EnvVar.WORKERS: "2",
            },
            EnvVar.OAUTH_STORE,
        ),
    ],
)
def test_missing_or_contradictory_oauth_settings_stop_the_server(env: dict[str, str], named: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert named in result.stderr
    assert SIGNING_KEY not in result.stderr
    assert "tiny-key-x" not in result.stderr


# --- keys -------------------------------------------------------------------------------------------
async def test_provider_key_rotation(
    tmp_path: Path,
    oauth_server: ServerProcess,
    fresh_idp: FakeCognito,
    fake_nws_server: FakeNws,
    public_port: int,
    moto_dynamodb: str,
) -> None:
    """Tokens signed with the provider's new key work; a token whose key was retired stops working.

    A worker keeps the keys it has seen for up to an hour and asks for the key set at most every
    30 s, so each step restarts the server (as a new task would start) to read the current set. The
    shared store keeps every sign-in across restarts. Last in the module: it replaces the server.
    """

    def restart(server: ServerProcess, name: str) -> ServerProcess:
        server.stop()
        return start_server(
            tmp_path / name if (tmp_path / name).mkdir() is None else tmp_path,
            fake_nws_server.base_url,
            port=public_port,
            startup_timeout=90,
            **oauth_env(fresh_idp, public_port, moto_dynamodb),
        )

    old_kid = fresh_idp.signing_kid
    _r, _f, before = await first_tool_call(oauth_server.mcp_url, name="get_alerts", state="KS")
    fresh_idp.rotate_key()
    server = restart(oauth_server, "rotated")
    try:
        _r, _f, after = await first_tool_call(server.mcp_url, name="get_alerts", state="KS")
        assert before.tokens is not None
        assert after.tokens is not None
        assert post_mcp(server, before.tokens.access_token).status_code == 200
        fresh_idp.retire_key(old_kid)
        server = restart(server, "retired")
        assert post_mcp(server, after.tokens.access_token).status_code == 200
        assert post_mcp(server, before.tokens.access_token).status_code == 401
    finally:
        server.stop()


async def test_new_server_keys_retire_every_old_token_and_registration(
    tmp_path: Path,
    fresh_idp: FakeCognito,
    fake_nws_server: FakeNws,
    public_port: int,
    moto_dynamodb: str,
    signed_in_token: str,
    oauth_server: ServerProcess,
) -> None:
    """oauth_keys_version: new signing and storage keys; old tokens and registrations stop working.

    Last in the module: the new server takes the module server's place (same public URL).
    """
    old_client = _issued_claims(signed_in_token)["client_id"]
    oauth_server.stop()
    env = {
        **oauth_env(fresh_idp, public_port, moto_dynamodb),
        EnvVar.OAUTH_JWT_SIGNING_KEY: "rotated-signing-key-" + "r" * 40,
        EnvVar.OAUTH_STORAGE_KEY: "rotated-storage-key-" + "t" * 40,
    }
    server = start_server(tmp_path, fake_nws_server.base_url, port=public_port, startup_timeout=90, **env)
    try:
        assert post_mcp(server, signed_in_token).status_code == 401
        query = {
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            "state": "s",
        }
        new_client = _register(server, REDIRECT_URI).json()["client_id"]
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            old = await http.get(f"/authorize?{urlencode({**query, 'client_id': old_client})}")
            new = await http.get(f"/authorize?{urlencode({**query, 'client_id': new_client})}")
        assert new.status_code == 302  # the same request from a current registration proceeds
        assert old.status_code == 400  # the old registration is gone: no redirect, no code
        result, _figures, _storage = await first_tool_call(server.mcp_url, name="get_alerts", state="KS")
        assert not result.is_error  # a client simply registers and signs in again
    finally:
        server.stop()
