"""Fixtures for the smoke-check tests: the fake NWS, `python -m server` with and without a token,
and `scripts/smoke.py` run as a subprocess, the way a user runs it after a deploy.

Servers start once for the whole package; everything listens on loopback only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.nws import TOPEKA, FakeNws
from server.contract import EnvVar
from tests.server.conftest import REPO_ROOT, TEST_ENV, ServerProcess, start_server

SMOKE = REPO_ROOT / "scripts" / "smoke.py"
#: The bearer token of the `secured_server` (the server wants at least 16 characters).
TOKEN = "smoke-token-0123456789abcdef"
#: A point and an area the fake NWS serves; the script's defaults (Washington, DC) are for real NWS.
POINT_ARGS = ["--latitude", str(TOPEKA[0]), "--longitude", str(TOPEKA[1]), "--state", "KS"]


@pytest.fixture(scope="package")
def open_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    """`python -m server` without MCP_AUTH_TOKEN."""
    server = start_server(tmp_path_factory.mktemp("open"), fake_nws_server.base_url)
    yield server
    server.stop()


@pytest.fixture(scope="package")
def secured_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    """`python -m server` with MCP_AUTH_TOKEN set to TOKEN."""
    server = start_server(
        tmp_path_factory.mktemp("secured"), fake_nws_server.base_url, **{EnvVar.AUTH_TOKEN: TOKEN}
    )
    yield server
    server.stop()


def smoke_command(*args: str) -> list[str]:
    return [sys.executable, str(SMOKE), *args]


def smoke_env(token: str | None = None) -> dict[str, str]:
    """The caller's environment without any MCP_AUTH_TOKEN of its own, plus `token` if given."""
    env = {key: value for key, value in os.environ.items() if key != EnvVar.AUTH_TOKEN}
    if token is not None:
        env[EnvVar.AUTH_TOKEN] = token
    return env


def run_smoke(*args: str, token_env: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the smoke check to completion; stdout and stderr together, as a terminal shows them."""
    return subprocess.run(
        smoke_command(*args),
        cwd=REPO_ROOT,
        env=smoke_env(token_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )


def launch_server(tmp_path: Path, nws_url: str, port: int) -> ServerProcess:
    """`python -m server` on a given port, without waiting for it (the smoke check does the waiting)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MCP_", "NWS_", "FASTMCP_", "OPEN_METEO_"))
        and key not in ("LOG_LEVEL", "PYTHONPATH")
    }
    env.update(TEST_ENV)
    env.update({EnvVar.HOST: "127.0.0.1", EnvVar.PORT: str(port), EnvVar.NWS_API_BASE_URL: nws_url})
    log_path = tmp_path / f"server-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "server"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return ServerProcess(process, f"http://127.0.0.1:{port}", log_path)
