"""The image's dependency set, rehearsed without Docker.

The Dockerfile installs exactly `pipenv requirements --categories server --hash`, hash-checked and with
--no-deps. This test does the same into a fresh virtualenv, runs `pip check`, then starts `python -m server`
from a directory holding only server/ (as the image does) and asks it for /health and a real tool answer.
A dependency the server imports but the [server] category lacks fails here, not in production.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from fakes.nws import FakeNws
from server.contract import HEALTH_PATH
from tests.server.conftest import MCP_HEADERS, REPO_ROOT, jsonrpc, start_server

pytestmark = [pytest.mark.timeout(300), pytest.mark.image]


def run(*args: str | Path, cwd: Path = REPO_ROOT) -> str:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def image_like_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv holding exactly what the image installs; returns its python."""
    root = tmp_path_factory.mktemp("image")
    pipenv = shutil.which("pipenv")
    assert pipenv, "pipenv is needed to export the server's locked requirements"
    requirements = root / "requirements.txt"
    requirements.write_text(run(pipenv, "requirements", "--categories", "server", "--hash"))
    run(sys.executable, "-m", "venv", root / "venv")
    python = root / "venv" / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps", "-r", requirements)
    return python


def test_locked_server_dependencies_are_complete_and_consistent(image_like_venv: Path) -> None:
    run(image_like_venv, "-m", "pip", "check")
    installed = run(image_like_venv, "-m", "pip", "list", "--format=freeze").lower()
    assert "cdktf" not in installed  # infra bindings stay out of the image
    assert "pytest" not in installed


def test_server_starts_from_the_image_dependency_set_alone(
    image_like_venv: Path, tmp_path: Path, nws: FakeNws
) -> None:
    app_dir = tmp_path / "app"  # like the image's WORKDIR: server/ and nothing else importable
    shutil.copytree(REPO_ROOT / "server", app_dir / "server", ignore=shutil.ignore_patterns("__pycache__"))
    server = start_server(tmp_path, nws.base_url, python=str(image_like_venv), cwd=app_dir)
    try:
        health = httpx.get(server.base_url + HEALTH_PATH)
        body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}})
        call = httpx.post(server.mcp_url, headers=MCP_HEADERS, json=body, timeout=30)
        # The Dockerfile's HEALTHCHECK command, run the same way.
        probe = subprocess.run(
            [str(image_like_venv), "-m", "server.healthcheck"],
            cwd=app_dir,
            env={"MCP_PORT": server.base_url.rsplit(":", 1)[1], "PATH": "/usr/bin:/bin"},
            capture_output=True,
            timeout=30,
        )
    finally:
        server.stop()
    probe_after_stop = subprocess.run(
        [str(image_like_venv), "-m", "server.healthcheck"],
        cwd=app_dir,
        env={"MCP_PORT": server.base_url.rsplit(":", 1)[1], "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=30,
    )

    assert probe.returncode == 0
    assert probe_after_stop.returncode == 1
    assert health.status_code == 200
    assert call.status_code == 200
    assert call.json()["result"]["structuredContent"]["total"] == 2
