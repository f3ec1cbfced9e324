"""Fixtures of the fleet cache tests: a real redis-server on loopback (Debian's, the protocol
ElastiCache for Valkey speaks), and `python -m server` processes that share it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.redis_server import RedisServer, TlsFiles, self_signed_tls
from server.contract import EnvVar
from tests.server.conftest import MCP_HEADERS, ServerProcess, jsonrpc, start_server


@pytest.fixture(scope="session")
def cache_tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1 (clients trust it through SSL_CERT_FILE)."""
    return self_signed_tls(tmp_path_factory.mktemp("cache-tls"))


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One plain redis-server for the tests that do not stop or freeze it."""
    with RedisServer(tmp_path_factory.mktemp("cache")) as server:
        yield server


@pytest.fixture
def cache(session_cache: RedisServer) -> RedisServer:
    """The session's redis-server, emptied."""
    session_cache.flush()
    return session_cache


def start_fleet_server(tmp_path: Path, nws_url: str, cache_url: str, **env: str) -> ServerProcess:
    """`python -m server` with its caches behind the fleet cache at `cache_url`."""
    return start_server(tmp_path, nws_url, **{EnvVar.SHARED_CACHE_URL: cache_url, **env})


def call_tool(url: str, name: str, **arguments: Any) -> dict[str, Any]:
    """One tools/call on a new connection; the JSON-RPC result (an HTTP error fails the test)."""
    body = jsonrpc("tools/call", {"name": name, "arguments": arguments})
    response = httpx.post(url, headers={**MCP_HEADERS, "Connection": "close"}, json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["result"]
