"""The smoke check's failures: one clear FAIL line and exit 1 (2 for bad arguments), never a traceback."""

from __future__ import annotations

import pytest

from fakes.nws import DENVER, FakeNws
from tests.server.conftest import ServerProcess, free_port
from tests.smoke.conftest import POINT_ARGS, run_smoke

pytestmark = pytest.mark.timeout(120)


def test_nothing_listening_fails_the_health_check() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"

    result = run_smoke(url, "--wait", "1", *POINT_ARGS)

    assert result.returncode == 1
    assert "FAIL  health " in result.stdout
    assert "nothing is listening there" in result.stdout
    assert "RESULT: FAIL, 1 of 5 checks failed, 4 not run" in result.stdout
    assert "Traceback" not in result.stdout


def test_upstream_errors_fail_the_tool_checks(open_server: ServerProcess, nws: FakeNws) -> None:
    # A point and an area no other test asks for, so the server has nothing cached to fall back on.
    nws.fail("/points/", 503, times=100)
    nws.fail("/alerts/", 500, times=100)
    args = ["--latitude", str(DENVER[0]), "--longitude", str(DENVER[1]), "--state", "CO"]

    result = run_smoke(open_server.mcp_url, *args)

    assert result.returncode == 1
    assert "PASS  tools " in result.stdout
    assert "FAIL  get_forecast  the tool returned an error: " in result.stdout
    assert "FAIL  get_alerts    the tool returned an error: " in result.stdout
    assert "RESULT: FAIL, 2 of 5 checks failed" in result.stdout
    assert "Traceback" not in result.stdout


@pytest.mark.parametrize(
    "args",
    [["not-a-url"], ["ftp://127.0.0.1/mcp"], ["http://127.0.0.1/mcp", "--wait", "-1"], []],
    ids=["no-scheme", "wrong-scheme", "negative-wait", "no-url"],
)
def test_bad_arguments_exit_2(args: list[str]) -> None:
    result = run_smoke(*args)

    assert result.returncode == 2
    assert "usage: smoke" in result.stdout
