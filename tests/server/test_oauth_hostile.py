"""OAuth sign-in tried as a hostile client would, against `python -m server` as ECS runs it.

One server for the module: bound to 0.0.0.0 (so loopback origins get no exemption), two workers, the
DynamoDB store on moto (item writes serialized as DynamoDB does: tests/server/moto_dynamodb.py),
a confidential upstream app client (MCP_OIDC_CLIENT_SECRET), access limited to one Cognito group,
a custom redirect URI list, two required scopes and one browser origin allowed on /mcp. Each test
reproduces an attack or a failure and checks the answer it now gets.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from fakes.nws import FakeNws
from fakes.oidc import CLIENT_ID, FakeCognito
from server import metrics
from server.contract import EnvVar
from server.oauth_store import REGISTRATION_TTL_SECONDS, REGISTRATIONS
from tests.server.conftest import MCP_HEADERS, ServerProcess, free_port, jsonrpc, start_server
from tests.server.oauth_client import REDIRECT_URI
from tests.server.oauth_harness import (
    AWS_ENV,
    TABLE,
    MotoDynamo,
    authorize_url,
    code_exchange,
    dynamodb_on_moto,
    landed_query,
    pkce,
    redeem,
    refresh,
    register,
    sign_in,
)
from tests.server.test_metrics import metrics_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(300)]

SIGNING_KEY = "hostile-signing-key-" + "k" * 40
STORAGE_KEY = "hostile-storage-key-" + "s" * 40
CLIENT_SECRET = "upstream-app-client-secret-0123456789"
GROUP = "weather-users"
APP_CALLBACK = "https://app.example.com/oauth/callback"
APP_ORIGIN = "https://app.example.com"
#: A browser page's origin that is not listed (the MCP Inspector's).
FOREIGN_ORIGIN = "http://localhost:6274"


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoDynamo]:
    with dynamodb_on_moto(tmp_path_factory.mktemp("moto")) as moto:
        yield moto


@pytest.fixture(scope="module")
def public_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def idp(public_port: int) -> Iterator[FakeCognito]:
    with FakeCognito(
        callback_urls=[f"http://127.0.0.1:{public_port}/auth/callback"],
        client_secret=CLIENT_SECRET,
        groups=[GROUP],
    ) as fake:
        yield fake


def hardened_env(idp: FakeCognito, public_port: int, moto: MotoDynamo) -> dict[str, str]:
    return {
        EnvVar.HOST: "0.0.0.0",  # noqa: S104 - as in ECS; the tests connect through loopback only
        EnvVar.AUTH_MODE: "oauth",
        EnvVar.PUBLIC_URL: f"http://127.0.0.1:{public_port}",
        EnvVar.OIDC_CONFIG_URL: idp.discovery_url,
        EnvVar.OIDC_CLIENT_ID: CLIENT_ID,
        EnvVar.OIDC_CLIENT_SECRET: CLIENT_SECRET,
        EnvVar.OAUTH_STORE: f"dynamodb:{TABLE}",
        EnvVar.OAUTH_JWT_SIGNING_KEY: SIGNING_KEY,
        EnvVar.OAUTH_STORAGE_KEY: STORAGE_KEY,
        EnvVar.OAUTH_REDIRECT_URIS: f"http://127.0.0.1:*,http://localhost:*,{APP_CALLBACK}",
        EnvVar.OAUTH_REQUIRED_SCOPES: "openid email",
        EnvVar.OAUTH_ALLOWED_GROUPS: GROUP,
        # The per-address limit has tests of its own (two tasks at the default limit, below).
        EnvVar.OAUTH_REGISTRATIONS_PER_MINUTE: "1000",
        EnvVar.ALLOWED_ORIGINS: APP_ORIGIN,
        EnvVar.WORKERS: "2",
        "AWS_ENDPOINT_URL": moto.url,
        **AWS_ENV,
    }


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fake_nws_server: FakeNws,
    idp: FakeCognito,
    public_port: int,
    moto: MotoDynamo,
) -> Iterator[ServerProcess]:
    process = start_server(
        tmp_path_factory.mktemp("hostile"),
        fake_nws_server.base_url,
        port=public_port,
        startup_timeout=90,
        **hardened_env(idp, public_port, moto),
    )
    yield process
    process.stop()


@pytest.fixture
def fresh_idp(idp: FakeCognito) -> Iterator[FakeCognito]:
    idp.behave()
    yield idp
    idp.behave()


def tools_list(server: ServerProcess, token: str | None, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(
        server.mcp_url, json=jsonrpc("tools/list"), headers={**MCP_HEADERS, **auth, **headers}, timeout=30
    )


async def signed_in_tokens(server: ServerProcess) -> tuple[str, dict[str, Any]]:
    """A client that signed in: its id and its token response."""
    authorization = await sign_in(server.base_url)
    response = redeem(server.base_url, authorization)
    assert response.status_code == 200, response.text
    return authorization.client_id, response.json()


# --- redirect URIs --------------------------------------------------------------------------------
async def test_a_registered_redirect_uri_with_a_query_appended_gets_no_code(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    client_id = register(server.base_url, [REDIRECT_URI]).json()["client_id"]
    _verifier, challenge = pkce()
    async with httpx.AsyncClient(timeout=30) as http:
        appended = await http.get(authorize_url(server.base_url, client_id, REDIRECT_URI + "?x=1", challenge))
        exact = await http.get(authorize_url(server.base_url, client_id, REDIRECT_URI, challenge))
    assert appended.status_code == 400
    assert "location" not in appended.headers
    assert "not one this client registered" in appended.text
    assert exact.status_code == 302  # the same request with the registered URI goes on to consent
    assert "/consent?" in exact.headers["location"]


@pytest.mark.parametrize(
    "unregistered",
    [
        "http://127.0.0.1:33418/elsewhere",  # allowed pattern (loopback, any path), other path
        "http://localhost:33418/callback",  # allowed pattern, other loopback host
        APP_CALLBACK,  # on the allow-list exactly, but this client never registered it
    ],
)
def test_an_allowed_uri_the_client_never_registered_gets_no_code(
    server: ServerProcess, unregistered: str
) -> None:
    client_id = register(server.base_url, [REDIRECT_URI]).json()["client_id"]
    _verifier, challenge = pkce()
    response = httpx.get(authorize_url(server.base_url, client_id, unregistered, challenge), timeout=30)
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_loopback_redirect_uri_may_change_its_port_only(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    # RFC 8252 §7.3: the client registered port 33418 but found 55123 free at sign-in time.
    authorization = await sign_in(
        server.base_url, registered=[REDIRECT_URI], redirect_uri="http://127.0.0.1:55123/callback"
    )
    assert authorization.browser.landed is not None
    assert authorization.browser.landed.startswith("http://127.0.0.1:55123/callback?code=")
    assert redeem(server.base_url, authorization).status_code == 200


def test_the_upstream_app_client_id_is_not_an_mcp_client(server: ServerProcess) -> None:
    _verifier, challenge = pkce()
    response = httpx.get(authorize_url(server.base_url, CLIENT_ID, REDIRECT_URI, challenge), timeout=30)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "not registered" in response.text


def test_registration_keeps_only_the_redirect_uris_the_allow_list_admits(server: ServerProcess) -> None:
    response = register(
        server.base_url,
        [REDIRECT_URI, "https://evil.example.com/callback", APP_CALLBACK + "?x=1", APP_CALLBACK],
    )
    assert response.status_code == 201
    assert response.json()["redirect_uris"] == [REDIRECT_URI, APP_CALLBACK]


def test_vs_code_registers_with_its_loopback_uris_only(server: ServerProcess) -> None:
    # What VS Code sends (microsoft/vscode, fetchDynamicRegistration): two vscode.dev pages that forward
    # the code wherever `state` says, and two loopback URIs. The pages are dropped, the rest kept.
    sent = [
        "https://insiders.vscode.dev/redirect",
        "https://vscode.dev/redirect",
        "http://127.0.0.1/",
        "http://127.0.0.1:33418/",
    ]
    response = register(server.base_url, sent)
    assert response.status_code == 201
    assert response.json()["redirect_uris"] == ["http://127.0.0.1/", "http://127.0.0.1:33418/"]


@pytest.mark.parametrize(
    "refused",
    [
        [APP_CALLBACK + "?x=1"],  # an exact entry admits exactly that URI, query included
        [APP_CALLBACK + "#fragment"],
        ["https://claude.ai/api/mcp/auth_callback"],  # on the default list, not on this custom one
        ["https://127.0.0.1.evil.example.com/callback"],
        ["http://evil.example.com@127.0.0.1:33418/callback"],
        ["https://vscode.dev/redirect"],
    ],
)
def test_registration_with_no_admitted_redirect_uri_is_refused(
    server: ServerProcess, refused: list[str]
) -> None:
    response = register(server.base_url, refused)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_redirect_uri"


# --- /register ------------------------------------------------------------------------------------
def test_registration_bodies_over_8_kib_get_413_and_nothing_is_stored(
    server: ServerProcess, moto: MotoDynamo
) -> None:
    before = len(moto.items(REGISTRATIONS))
    big_name = "x" * 294_000
    body = json.dumps({"redirect_uris": [REDIRECT_URI], "client_name": big_name}).encode()
    declared = httpx.post(
        server.base_url + "/register", content=body, headers={"Content-Type": "application/json"}, timeout=30
    )

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts what actually arrives
        for start in range(0, len(body), 16_384):
            yield body[start : start + 16_384]

    streamed = httpx.post(
        server.base_url + "/register",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    small = register(server.base_url, [REDIRECT_URI])
    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert declared.json()["error"] == "invalid_client_metadata"
    assert small.status_code == 201
    assert len(moto.items(REGISTRATIONS)) == before + 1
    assert big_name[:1000] not in json.dumps(moto.items(REGISTRATIONS))


def test_a_registration_expires_30_days_after_its_last_use(server: ServerProcess, moto: MotoDynamo) -> None:
    def expiry(client_id: str) -> int | None:
        (item,) = [entry for entry in moto.items(REGISTRATIONS) if entry["key"]["S"] == client_id]
        return int(item["ttl"]["N"]) if "ttl" in item else None

    def age(client_id: str, update: str, **values: Any) -> None:
        moto.client().update_item(
            TableName=TABLE,
            Key={"collection": {"S": REGISTRATIONS}, "key": {"S": client_id}},
            UpdateExpression=update,
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues=values,
        )

    def authorize(client_id: str) -> None:
        _verifier, challenge = pkce()
        response = httpx.get(authorize_url(server.base_url, client_id, REDIRECT_URI, challenge), timeout=30)
        assert response.status_code == 302

    client_id = register(server.base_url, [REDIRECT_URI]).json()["client_id"]
    assert abs(expiry(client_id) - (time.time() + REGISTRATION_TTL_SECONDS)) < 120
    # Twenty-nine days later (moved in the table itself), the client authorizes again: renewed.
    age(client_id, "SET #ttl = :soon", **{":soon": {"N": str(int(time.time() + 86400))}})
    authorize(client_id)
    assert abs(expiry(client_id) - (time.time() + REGISTRATION_TTL_SECONDS)) < 120
    # A registration from before this version has no expiry (no `ttl`, none in the value either):
    # its next use gives it one.
    (item,) = [entry for entry in moto.items(REGISTRATIONS) if entry["key"]["S"] == client_id]
    value = json.loads(item["value"]["S"])
    del value["expires_at"]
    del item["ttl"]
    moto.client().put_item(TableName=TABLE, Item={**item, "value": {"S": json.dumps(value)}})
    assert expiry(client_id) is None
    authorize(client_id)
    assert abs(expiry(client_id) - (time.time() + REGISTRATION_TTL_SECONDS)) < 120


# --- codes and refresh tokens ---------------------------------------------------------------------
async def test_one_code_posted_at_once_to_both_workers_gives_one_token(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    outcomes = []
    for _try in range(4):
        authorization = await sign_in(server.base_url)
        exchange = code_exchange(authorization)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            answers = await asyncio.gather(*(http.post("/token", data=exchange) for _ in range(6)))
        statuses = sorted(answer.status_code for answer in answers)
        outcomes.append(statuses)
        assert statuses.count(200) == 1, statuses
        refused = [answer for answer in answers if answer.status_code != 200]
        assert all(answer.json()["error"] == "invalid_grant" for answer in refused)
    print(f"\n6 concurrent redemptions of one code, 4 tries: {outcomes}")


async def test_a_refresh_token_replayed_after_rotation_ends_the_whole_grant(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    client_id, first = await signed_in_tokens(server)
    rotated = refresh(server.base_url, client_id, first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert tools_list(server, second["access_token"]).status_code == 200
    replay = refresh(server.base_url, client_id, first["refresh_token"])
    assert replay.status_code in (400, 401)
    assert replay.json()["error"] == "invalid_grant"
    # The replay revoked the grant: the newer refresh token and its access token are dead too.
    assert refresh(server.base_url, client_id, second["refresh_token"]).json()["error"] == "invalid_grant"
    assert tools_list(server, second["access_token"]).status_code == 401
    assert "oauth_refresh_token_reused" in server.logs()


async def test_one_refresh_token_redeemed_twice_at_once_gives_one_new_token(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    client_id, tokens = await signed_in_tokens(server)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client_id}
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        answers = await asyncio.gather(*(http.post("/token", data=form) for _ in range(4)))
    assert sorted(answer.status_code for answer in answers).count(200) == 1


async def test_a_refresh_the_provider_fails_keeps_the_refresh_token(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    client_id, tokens = await signed_in_tokens(server)
    fresh_idp.fail_token_endpoint(503)
    failed = refresh(server.base_url, client_id, tokens["refresh_token"])
    assert failed.status_code == 503
    assert failed.json()["error"] == "temporarily_unavailable"
    assert 1 <= int(failed.headers["retry-after"]) <= 60
    fresh_idp.behave()
    assert refresh(server.base_url, client_id, tokens["refresh_token"]).status_code == 200


# --- the provider and the person ------------------------------------------------------------------
def _assert_plain_page(response: httpx.Response | Any, status: int, words: str) -> None:
    assert response is not None
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert words in response.text
    assert "Traceback" not in response.text
    assert "http://127.0.0.1" not in response.text  # no internal address in the page
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_a_person_outside_the_allowed_groups_gets_a_403_page_at_sign_in(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    fresh_idp.issue_tokens_with(groups=["other-team"])
    outsider = await sign_in(server.base_url)
    fresh_idp.issue_tokens_with(groups=[])
    ungrouped = await sign_in(server.base_url)
    for authorization in (outsider, ungrouped):
        assert authorization.browser.landed is None  # no code reached the client
        _assert_plain_page(authorization.browser.final_response, 403, "not in a group")


async def test_the_provider_token_endpoint_failing_at_sign_in_gives_a_503_page(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    fresh_idp.fail_token_endpoint(503)
    authorization = await sign_in(server.base_url)
    assert authorization.browser.landed is None
    _assert_plain_page(authorization.browser.final_response, 503, "identity provider did not answer")
    assert authorization.browser.final_response is not None
    assert authorization.browser.final_response.headers["retry-after"] == "30"


async def test_a_person_declining_at_the_provider_reaches_the_client_as_access_denied(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    fresh_idp.decline_sign_in()
    authorization = await sign_in(server.base_url, state="client-state-7")
    query = landed_query(authorization.browser)
    assert query["error"] == "access_denied"
    assert query["state"] == "client-state-7"
    assert "code" not in query


async def test_deny_on_the_consent_page_returns_access_denied_to_the_client(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    authorizations_before = fresh_idp.requests["authorize"]
    authorization = await sign_in(server.base_url, approve=False, state="client-state-9")
    query = landed_query(authorization.browser)
    assert (query["error"], query["state"]) == ("access_denied", "client-state-9")
    # RFC 9207: the answer names its issuer, as the metadata announces (ChatGPT relies on it).
    async with httpx.AsyncClient(timeout=30) as http:
        metadata = (await http.get(server.base_url + "/.well-known/oauth-authorization-server")).json()
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert query["iss"] == metadata["issuer"]
    assert fresh_idp.requests["authorize"] == authorizations_before  # never sent to the provider


async def test_discovery_failing_after_start_does_not_stop_sign_in(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    # The server read the discovery document at start; a provider whose document now fails still signs in.
    fresh_idp.fail_discovery(503)
    _client_id, tokens = await signed_in_tokens(server)
    assert tools_list(server, tokens["access_token"]).status_code == 200


async def test_the_client_secret_authenticates_the_server_at_the_provider(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    before = fresh_idp.requests["token_with_secret"]
    _client_id, tokens = await signed_in_tokens(server)
    assert fresh_idp.requests["token_with_secret"] == before + 1
    assert CLIENT_SECRET not in server.logs()
    assert tokens["access_token"] not in server.logs()


async def test_a_client_secret_the_provider_refuses_gives_a_502_page_and_a_log_line(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    fresh_idp.client_secret = "rotated-at-the-provider-" + "z" * 20
    try:
        authorization = await sign_in(server.base_url)
    finally:
        fresh_idp.client_secret = CLIENT_SECRET
    assert authorization.browser.landed is None
    _assert_plain_page(authorization.browser.final_response, 502, "refused this server's own credentials")
    logs = server.logs()
    assert "oauth_provider_refused_client" in logs
    assert EnvVar.OIDC_CLIENT_SECRET in logs
    assert CLIENT_SECRET not in logs


async def test_an_upstream_token_without_a_required_scope_gives_no_access(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    # MCP_OAUTH_REQUIRED_SCOPES is "openid email"; the provider grants only openid this time.
    fresh_idp.issue_tokens_with(scope="openid")
    _client_id, tokens = await signed_in_tokens(server)
    fresh_idp.behave()
    refused = tools_list(server, tokens["access_token"])
    assert refused.status_code == 401
    _client_id, good = await signed_in_tokens(server)
    assert tools_list(server, good["access_token"]).status_code == 200


# --- browsers: CORS and the Origin guard, on a server bound to 0.0.0.0 -----------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/.well-known/oauth-authorization-server"),
        ("GET", "/.well-known/oauth-protected-resource/mcp"),
        ("GET", "/.well-known/oauth-protected-resource"),
        ("POST", "/register"),
        ("POST", "/token"),
        ("POST", "/revoke"),
    ],
)
def test_the_public_oauth_endpoints_answer_a_page_on_any_origin(
    server: ServerProcess, method: str, path: str
) -> None:
    preflight = httpx.options(
        server.base_url + path,
        headers={
            "Origin": FOREIGN_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert method in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers
    if method == "GET":
        actual = httpx.get(server.base_url + path, headers={"Origin": FOREIGN_ORIGIN}, timeout=30)
        assert actual.status_code == 200
    elif path == "/register":
        actual = register(server.base_url, [REDIRECT_URI], headers={"Origin": FOREIGN_ORIGIN})
        assert actual.status_code == 201
    else:  # a form post as a page's fetch() sends it; refused on its merits, never for its origin
        actual = httpx.post(
            server.base_url + path,
            data={"token": "x", "grant_type": "authorization_code"},
            headers={"Origin": FOREIGN_ORIGIN},
            timeout=30,
        )
        assert actual.status_code in (400, 401)
    assert actual.headers["access-control-allow-origin"] == "*"


def test_mcp_and_the_consent_form_keep_the_origin_guard(server: ServerProcess) -> None:
    mcp = tools_list(server, None, Origin=FOREIGN_ORIGIN)
    consent = httpx.post(
        server.base_url + "/consent", data={"txn_id": "x"}, headers={"Origin": FOREIGN_ORIGIN}, timeout=30
    )
    assert mcp.status_code == 403
    assert consent.status_code == 403
    assert "access-control-allow-origin" not in mcp.headers


async def test_a_listed_origin_calls_mcp_from_a_browser_page(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        preflight = await http.options(
            server.mcp_url,
            headers={
                "Origin": APP_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type,mcp-protocol-version",
            },
        )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    unauthenticated = tools_list(server, None, Origin=APP_ORIGIN)
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "www-authenticate" in unauthenticated.headers["access-control-expose-headers"].lower()
    _client_id, tokens = await signed_in_tokens(server)
    assert tools_list(server, tokens["access_token"], Origin=APP_ORIGIN).status_code == 200


# --- the consent page -----------------------------------------------------------------------------
async def _consent_page(server: ServerProcess) -> tuple[httpx.AsyncClient, httpx.Response]:
    client_id = register(server.base_url, [REDIRECT_URI]).json()["client_id"]
    _verifier, challenge = pkce()
    browser = httpx.AsyncClient(timeout=30, follow_redirects=True)
    page = await browser.get(authorize_url(server.base_url, client_id, REDIRECT_URI, challenge))
    return browser, page


async def test_the_consent_page_loads_nothing_from_anywhere_and_refuses_frames(server: ServerProcess) -> None:
    browser, page = await _consent_page(server)
    await browser.aclose()
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "img-src data:" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert 'src="data:image/svg+xml;base64,' in page.text  # this server's icon, inline
    assert "gofastmcp.com/assets" not in page.text
    assert 'value="approve"' in page.text
    assert ">Allow Access<" in page.text
    assert ">Deny<" in page.text
    assert REDIRECT_URI in page.text


async def test_the_consent_form_is_accepted_from_its_own_origin_only(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    browser, page = await _consent_page(server)
    form = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    form["action"] = "approve"
    consent_url = str(page.url).split("?")[0]
    try:
        foreign = await browser.post(
            consent_url, data=form, headers={"Origin": FOREIGN_ORIGIN}, follow_redirects=False
        )
        own = await browser.post(
            consent_url, data=form, headers={"Origin": server.base_url}, follow_redirects=False
        )
    finally:
        await browser.aclose()
    assert foreign.status_code == 403
    assert own.status_code == 302
    assert own.headers["location"].startswith(fresh_idp.base_url + "/oauth2/authorize")


# --- registrations from one address, counted across two tasks -------------------------------------
@pytest.fixture(scope="module")
def two_tasks(
    tmp_path_factory: pytest.TempPathFactory,
    fake_nws_server: FakeNws,
    idp: FakeCognito,
    moto: MotoDynamo,
) -> Iterator[list[ServerProcess]]:
    """Two more `python -m server` processes (two ECS tasks, two workers each) on the same table,
    with the default registration limit."""
    port = free_port()
    env = {**hardened_env(idp, port, moto), EnvVar.PUBLIC_URL: f"http://127.0.0.1:{port}"}
    del env[EnvVar.OAUTH_REGISTRATIONS_PER_MINUTE]

    def start(index: int, task_port: int) -> ServerProcess:
        directory = tmp_path_factory.mktemp(f"task{index}")
        return start_server(directory, fake_nws_server.base_url, port=task_port, startup_timeout=90, **env)

    with ThreadPoolExecutor(2) as pool:  # both start at once, as two ECS tasks would
        tasks = list(pool.map(start, (0, 1), (port, free_port())))
    yield tasks
    for task in tasks:
        task.stop()


def _registration_lines(tasks: list[ServerProcess]) -> list[dict[str, Any]]:
    lines = [line for task in tasks for line in task.logs().splitlines() if '"oauth_registration"' in line]
    return [json.loads(line) for line in lines]


async def test_300_registrations_from_one_address_across_two_tasks_get_10_a_minute(
    two_tasks: list[ServerProcess],
) -> None:
    address = "198.51.100.23"  # what the ALB appends; the entries before it are the client's own
    started = time.time()
    began = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(index: int) -> httpx.Response:
            task = two_tasks[index % 2]
            forged = f"10.0.{index // 256}.{index % 256}"
            return await http.post(
                task.base_url + "/register",
                json={"redirect_uris": [REDIRECT_URI], "client_name": f"flood {index}"},
                headers={"X-Forwarded-For": f"{forged}, {address}"},
            )

        answers: list[httpx.Response] = []
        for batch in range(0, 300, 25):
            answers += await asyncio.gather(*(one(index) for index in range(batch, batch + 25)))
    seconds = time.perf_counter() - began
    windows = int(time.time() // 60) - int(started // 60) + 1
    created = [answer for answer in answers if answer.status_code == 201]
    limited = [answer for answer in answers if answer.status_code == 429]
    print(
        f"\n300 registrations from one address over two tasks in {seconds:.1f} s: {len(created)} x 201,"
        f" {len(limited)} x 429 ({windows} minute window(s))"
    )
    assert len(created) + len(limited) == 300
    if windows == 1:
        assert len(created) == 10
    else:  # the run crossed a minute boundary: at most 10 in each minute
        assert 10 <= len(created) <= 10 * windows
    assert all(1 <= int(answer.headers["retry-after"]) <= 60 for answer in limited)
    assert limited[0].json()["error"] == "too_many_requests"
    # The count is per client address (the last entry), not per peer: another address registers.
    other = register(
        two_tasks[0].base_url, [REDIRECT_URI], headers={"X-Forwarded-For": f"{address}, 198.51.100.24"}
    )
    assert other.status_code == 201
    # Each attempt wrote one log line whose embedded metrics count it (written after the answer).
    deadline = time.monotonic() + 30
    while len(lines := _registration_lines(two_tasks)) < 301:
        assert time.monotonic() < deadline, f"only {len(lines)} registration lines were logged"
        await asyncio.sleep(0.1)
    counted = [metrics_of(line) for line in lines]  # each validated against the EMF structure
    assert sum(values[metrics.OAUTH_REGISTRATIONS] for values in counted) == len(created) + 1
    assert sum(values[metrics.OAUTH_REGISTRATIONS_REFUSED] for values in counted) == len(limited)
    assert {line["client_address"] for line in lines} == {address, "198.51.100.24"}


async def test_a_person_removed_from_the_allowed_groups_is_refused_at_the_next_refresh(
    server: ServerProcess, fresh_idp: FakeCognito
) -> None:
    client_id, tokens = await signed_in_tokens(server)
    fresh_idp.issue_tokens_with(groups=["former-members"])  # what Cognito now puts in their tokens
    refused = refresh(server.base_url, client_id, tokens["refresh_token"])
    assert refused.status_code in (400, 401)
    assert refused.json()["error"] == "invalid_grant"  # the client signs in again, and meets the 403 page


def test_the_callbacks_error_pages_show_nothing_from_another_site(server: ServerProcess) -> None:
    # FastMCP's own error page (an unknown sign-in) would load its logo from a third-party site.
    page = httpx.get(server.base_url + "/auth/callback?code=forged&state=unknown-transaction", timeout=30)
    assert page.status_code == 400
    assert "expired authorization transaction" in page.text
    assert "gofastmcp.com/assets" not in page.text
    assert 'src="data:image/svg+xml;base64,' in page.text
    assert int(page.headers["content-length"]) == len(page.content)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
