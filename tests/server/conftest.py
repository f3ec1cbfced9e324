"""Fixtures for the server tests: the fake NWS, in-process clients, and real `python -m server` processes.

Nothing here talks to the real api.weather.gov: every server under test points at the fake on loopback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from fastmcp import Client
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from fakes.nws import FakeNws
from server.app import create_server
from server.contract import HEALTH_PATH, MCP_PATH, EnvVar
from server.nws import NwsClient, open_nws_client
from server.settings import ServerSettings

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Where Open-Meteo is for a test server that is not given the fake's URLs: the discard port on
#: loopback, where nothing listens (a request fails at once and never leaves the machine).
NO_OPEN_METEO = "http://127.0.0.1:9"
#: Settings every test server gets unless a test says otherwise: fast retries, small budget.
TEST_ENV: dict[str, str] = {
    EnvVar.NWS_USER_AGENT: "mcp-weather-server-tests (tests@example.com)",
    EnvVar.NWS_RETRY_BACKOFF_SECONDS: "0.01",
    EnvVar.NWS_RETRY_BUDGET_SECONDS: "3",
    EnvVar.NWS_READ_TIMEOUT_SECONDS: "2",
    EnvVar.LOG_LEVEL: "INFO",
    EnvVar.OPEN_METEO_FORECAST_URL: f"{NO_OPEN_METEO}/v1/forecast",
    EnvVar.OPEN_METEO_GEOCODING_URL: f"{NO_OPEN_METEO}/v1/search",
    EnvVar.OPEN_METEO_AIR_QUALITY_URL: f"{NO_OPEN_METEO}/v1/air-quality",
}


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


def make_settings(base_url: str, **env: str) -> ServerSettings:
    """ServerSettings as the environment would give them (names from EnvVar), without touching os.environ."""
    values = {EnvVar.NWS_API_BASE_URL: base_url, **TEST_ENV, **env}
    return ServerSettings(**values)


class FakeClock:
    """A monotonic clock that only moves when told to (cache freshness and expiry)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def connect(
    nws: FakeNws, clock: Callable[[], float] = time.monotonic, **env: str
) -> AsyncIterator[Client]:
    """An in-process fastmcp Client on a fresh server (fresh cache) pointed at the fake."""
    async with Client(create_server(make_settings(nws.base_url, **env), clock=clock)) as client:
        yield client


@asynccontextmanager
async def nws_client(nws: FakeNws, clock: FakeClock, **env: str) -> AsyncIterator[NwsClient]:
    """The server's NWS client (real HTTP to the fake) on a clock the test controls."""
    async with open_nws_client(make_settings(nws.base_url, **env), clock=clock) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    """Call a tool and return the result, errors included (is_error set) rather than raised."""
    return await client.call_tool(tool, arguments, raise_on_error=False)


def text_of(result: Any) -> str:
    """All text content of a tool result."""
    return "\n".join(block.text for block in result.content if getattr(block, "type", None) == "text")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    """A `python -m server` child process listening on loopback."""

    process: subprocess.Popen[str]
    base_url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def mcp_url(self) -> str:
        return self.base_url + MCP_PATH

    def logs(self) -> str:
        return self.log_path.read_text()

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start_server(
    tmp_path: Path,
    nws_url: str,
    *,
    python: str = sys.executable,
    cwd: Path = REPO_ROOT,
    startup_timeout: float = 120,  # a deadline, not a claim: ~2 s when quiet, 40 s seen on a busy 2-core host
    port: int | None = None,
    **env: str,
) -> ServerProcess:
    """Start `python -m server` on `port` (default: a free one) and wait until /health answers."""
    port = port or free_port()
    child_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MCP_", "NWS_", "FASTMCP_", "OPEN_METEO_"))
        and key not in ("LOG_LEVEL", "PYTHONPATH")
    }
    child_env.update(TEST_ENV)
    child_env.update({EnvVar.PORT: str(port), EnvVar.HOST: "127.0.0.1", EnvVar.NWS_API_BASE_URL: nws_url})
    child_env.update(env)
    log_path = tmp_path / f"server-{port}.log"
    log_file = log_path.open("w")
    process = subprocess.Popen(
        [python, "-m", "server"],
        cwd=cwd,
        env=child_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log_file.close()
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log_path, env)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.logs()}")
        with suppress(httpx.HTTPError):
            if httpx.get(server.base_url + HEALTH_PATH, timeout=1).status_code == 200:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not become healthy in {startup_timeout}s:\n{server.logs()}")


#: The bearer token of the `secured_server`.
TEST_TOKEN = "test-token-0123456789abcdef"
#: The browser origin the `secured_server` allows.
ALLOWED_ORIGIN = "https://inspector.example.com"


@pytest.fixture(scope="session")
def plain_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    """`python -m server` with the default security settings (no token, no extra origins)."""
    server = start_server(tmp_path_factory.mktemp("plain"), fake_nws_server.base_url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def secured_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    """`python -m server` with a bearer token and one allowed browser origin."""
    server = start_server(
        tmp_path_factory.mktemp("secured"),
        fake_nws_server.base_url,
        # DEBUG so that the "token never logged" test covers the chattiest logging there is.
        **{EnvVar.AUTH_TOKEN: TEST_TOKEN, EnvVar.ALLOWED_ORIGINS: ALLOWED_ORIGIN, EnvVar.LOG_LEVEL: "DEBUG"},
    )
    yield server
    server.stop()


@asynccontextmanager
async def sdk_session(url: str, headers: dict[str, str] | None = None) -> AsyncIterator[ClientSession]:
    """An initialized session of the official MCP SDK over streamable HTTP."""
    async with (
        httpx2.AsyncClient(headers=headers or {}, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def jsonrpc(method: str, params: dict[str, Any] | None = None, request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}}


#: Headers of a well-behaved streamable-HTTP client POST.
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}
