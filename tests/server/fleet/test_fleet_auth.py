"""How the server authenticates to the fleet cache: TLS with a password for local servers, and
ElastiCache IAM tokens that it signs itself (checked by a stand-in for ElastiCache's IAM check in
front of a real redis-server). No secret ever reaches a log line."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import anyio
import botocore.session
import pytest

from fakes.elasticache_iam import ElastiCacheIamProxy, IamExpectation
from fakes.nws import TOPEKA, FakeNws
from fakes.redis_server import RedisServer, TlsFiles
from server.contract import SHARED_CACHE_ACCESS_STRING, EnvVar
from server.elasticache_iam import ElastiCacheIamToken
from server.fleet_cache import fleet_client, open_fleet_layers
from server.settings import ServerSettings
from tests.server.fleet.conftest import call_tool, start_fleet_server

pytestmark = pytest.mark.timeout(120)

IAM = IamExpectation(
    cache_name="mcp-server-cache",
    user="mcp-server-tasks",
    region="us-east-1",
    access_key="AKIAFLEETCACHETEST01",
    secret_key="fleet-cache-test-secret-key-0123456789",
)


def calls(url: str) -> list[dict[str, Any]]:
    return [
        call_tool(url, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1]),
        call_tool(url, "get_alerts", state="KS"),
    ]


def test_tls_and_a_password_user_limited_to_the_stacks_access_string(
    tmp_path: Path, nws: FakeNws, cache_tls: TlsFiles
) -> None:
    password = "cache-password-" + secrets.token_hex(8)
    user = f"mcp-tasks {SHARED_CACHE_ACCESS_STRING} >{password}"
    with RedisServer(tmp_path / "cache", tls=cache_tls, users=[user]) as cache:
        server = start_fleet_server(
            tmp_path,
            nws.base_url,
            cache.url,
            **{
                EnvVar.SHARED_CACHE_USERNAME: "mcp-tasks",
                EnvVar.SHARED_CACHE_PASSWORD: password,
                EnvVar.LOG_LEVEL: "DEBUG",  # the chattiest logging there is
                "SSL_CERT_FILE": str(cache_tls.certificate),
            },
        )
        try:
            answers = calls(server.mcp_url)
        finally:
            server.stop()
        keys = cache.keys()

    logs = server.logs()
    assert [answer["isError"] for answer in answers] == [False, False]
    assert {key.split("::")[0] for key in keys} == {
        "mcp-weather:points",
        "mcp-weather:forecasts",
        "mcp-weather:alerts",
    }
    assert '"event": "shared_cache_error"' not in logs
    assert password not in logs


def test_the_server_signs_iam_tokens_that_elasticache_accepts(
    tmp_path: Path, nws: FakeNws, cache_tls: TlsFiles, cache: RedisServer
) -> None:
    with ElastiCacheIamProxy(cache.port, IAM, cache_tls) as proxy:
        server = start_fleet_server(
            tmp_path,
            nws.base_url,
            proxy.url,
            **{
                EnvVar.SHARED_CACHE_USERNAME: IAM.user,
                EnvVar.SHARED_CACHE_IAM_CACHE_NAME: "MCP-Server-Cache",  # ElastiCache lowers it
                "AWS_REGION": IAM.region,
                "AWS_ACCESS_KEY_ID": IAM.access_key,
                "AWS_SECRET_ACCESS_KEY": IAM.secret_key,
                "SSL_CERT_FILE": str(cache_tls.certificate),
            },
        )
        try:
            answers = calls(server.mcp_url)
        finally:
            server.stop()

    logs = server.logs()
    assert [answer["isError"] for answer in answers] == [False, False]
    assert proxy.log.refused == []
    assert len(proxy.log.accepted) >= 1
    assert len(cache.keys("mcp-weather:*")) == 3
    assert '"shared_cache_auth": "iam"' in logs
    assert IAM.secret_key not in logs
    assert proxy.log.accepted[0] not in logs


def _iam_client(proxy: ElastiCacheIamProxy, secret_key: str, **options: Any) -> tuple[ServerSettings, Any]:
    session = botocore.session.get_session()
    session.set_credentials(IAM.access_key, secret_key)
    refresh = options.pop("refresh_seconds", 600)
    tokens = ElastiCacheIamToken(
        user=IAM.user, cache_name=IAM.cache_name, region=IAM.region, session=session, refresh_seconds=refresh
    )
    settings = ServerSettings(**{EnvVar.SHARED_CACHE_URL: proxy.url})
    return settings, fleet_client(settings, credentials=tokens, **options)


@pytest.mark.anyio
async def test_a_refused_token_costs_one_log_line_and_no_call(
    cache_tls: TlsFiles,
    cache: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(cache_tls.certificate))
    with ElastiCacheIamProxy(cache.port, IAM, cache_tls) as proxy:
        settings, client = _iam_client(proxy, "a-secret-key-the-cache-does-not-know")
        async with open_fleet_layers(settings, client=client) as layers:
            layer = layers.layer("alerts", str)
            assert layer is not None
            found = [await layer.get(f"key-{index}") for index in range(10)]

    assert found == [None] * 10  # misses: the call goes on to the upstream
    assert proxy.log.refused == ["signature does not match"]  # tried once, then paused
    assert capsys.readouterr().out.count("shared_cache_error") == 1


@pytest.mark.anyio
@pytest.mark.parametrize("renewed", [True, False], ids=["tokens-and-connections-renewed", "never-renewed"])
async def test_tokens_are_signed_again_and_connections_authenticate_again_before_they_expire(
    cache_tls: TlsFiles, cache: RedisServer, monkeypatch: pytest.MonkeyPatch, renewed: bool
) -> None:
    # ElastiCache's 15-minute tokens and 12-hour connections, scaled down to 1.2 s and 1.8 s; the
    # server's 10-minute refresh and 11-hour reconnection to 0.5 s and 1.0 s.
    monkeypatch.setenv("SSL_CERT_FILE", str(cache_tls.certificate))
    options = {"refresh_seconds": 0.5, "max_connection_age": 1.0} if renewed else {}
    expected = IamExpectation(**{**IAM.__dict__, "token_lifetime": 1.2})
    with ElastiCacheIamProxy(cache.port, expected, cache_tls, session_seconds=1.8) as proxy:
        settings, client = _iam_client(proxy, IAM.secret_key, **options)
        async with open_fleet_layers(settings, client=client) as layers:
            layer = layers.layer("alerts", str)
            assert layer is not None
            written = 0
            started = time.monotonic()
            while time.monotonic() - started < 4.0:
                await layer.put(f"k{written}", "v", fetched_at=time.time(), fresh_for=60, keep_for=60)
                written += 1
                await anyio.sleep(0.1)
        stored = len(cache.keys("mcp-weather:alerts::*"))

    if renewed:
        assert proxy.log.refused == []
        assert stored == written
        assert len(set(proxy.log.accepted)) >= 3  # new tokens on new connections
    else:
        # What the renewal prevents: the connection is cut at its end of life, and the reconnect
        # presents an expired token.
        assert proxy.log.sessions_ended >= 1
        assert any(reason.startswith("expired") for reason in proxy.log.refused)
        assert stored < written
