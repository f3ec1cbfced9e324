"""The smoke check against a healthy server: every check passes, and it waits for a server still starting."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fakes.nws import FakeNws
from tests.server.conftest import ServerProcess, free_port
from tests.smoke.conftest import POINT_ARGS, launch_server, run_smoke, smoke_command, smoke_env

pytestmark = pytest.mark.timeout(120)


def test_open_server_passes_every_check(open_server: ServerProcess, nws: FakeNws) -> None:
    result = run_smoke(open_server.mcp_url, *POINT_ARGS)

    assert result.returncode == 0, result.stdout
    for check in ("health", "auth", "tools", "get_forecast", "get_alerts"):
        assert f"PASS  {check} " in result.stdout
    assert "answers without a token" in result.stdout
    tools = (
        "find_location, get_air_quality, get_alerts, get_alerts_for_point, get_current_conditions,"
        " get_forecast, get_hourly_forecast"
    )
    assert f"PASS  tools         listed {tools}" in result.stdout
    assert "Forecast for Linn, KS" in result.stdout  # the fake's data came all the way back
    assert "FAIL" not in result.stdout
    assert result.stdout.rstrip().endswith("RESULT: PASS, all 5 checks passed")


def test_a_url_without_the_mcp_path_gets_it(open_server: ServerProcess, nws: FakeNws) -> None:
    result = run_smoke(open_server.base_url, *POINT_ARGS)

    assert result.returncode == 0, result.stdout
    assert f"Smoke check of {open_server.mcp_url} " in result.stdout


def test_waits_for_a_server_that_is_still_starting(tmp_path: Path, fake_nws_server: FakeNws) -> None:
    port = free_port()
    smoke = subprocess.Popen(
        smoke_command(f"http://127.0.0.1:{port}/mcp", "--wait", "60", *POINT_ARGS),
        env=smoke_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server: ServerProcess | None = None
    try:
        assert smoke.stdout is not None
        first_lines = [smoke.stdout.readline(), smoke.stdout.readline()]
        assert "waiting for" in first_lines[1]  # the server is not there yet
        server = launch_server(tmp_path, fake_nws_server.base_url, port)
        rest, _ = smoke.communicate(timeout=90)
    finally:
        if smoke.poll() is None:
            smoke.kill()
        if server is not None:
            server.stop()

    assert smoke.returncode == 0, "".join(first_lines) + rest
    assert "PASS  health " in rest
    assert "RESULT: PASS" in rest
