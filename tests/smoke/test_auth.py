"""The smoke check and bearer tokens: the token works, is enforced, and is never printed."""

from __future__ import annotations

import pytest

from fakes.nws import FakeNws
from tests.server.conftest import ServerProcess
from tests.smoke.conftest import POINT_ARGS, TOKEN, run_smoke

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_right_token_passes_and_auth_is_shown_enforced(
    secured_server: ServerProcess, nws: FakeNws, how: str
) -> None:
    if how == "flag":
        result = run_smoke(secured_server.mcp_url, "--token", TOKEN, *POINT_ARGS)
    else:
        result = run_smoke(secured_server.mcp_url, *POINT_ARGS, token_env=TOKEN)

    assert result.returncode == 0, result.stdout
    assert "PASS  auth          a request without the token is refused (401)" in result.stdout
    assert "PASS  token         a request with the token is accepted" in result.stdout
    assert "PASS  get_forecast " in result.stdout
    assert "PASS  get_alerts " in result.stdout
    assert "RESULT: PASS, all 6 checks passed" in result.stdout
    assert TOKEN not in result.stdout


def test_wrong_token_fails_clearly(secured_server: ServerProcess, nws: FakeNws) -> None:
    wrong = "not-the-token-0123456789abcdef"
    result = run_smoke(secured_server.mcp_url, "--token", wrong, *POINT_ARGS)

    assert result.returncode == 1
    assert "FAIL  token         the token was refused (401)" in result.stdout
    assert "PASS  tools" not in result.stdout  # nothing runs on a refused token
    assert "RESULT: FAIL, 1 of 6 checks failed, 3 not run" in result.stdout
    assert wrong not in result.stdout
    assert "Traceback" not in result.stdout


def test_missing_token_tells_the_user_how_to_pass_one(secured_server: ServerProcess, nws: FakeNws) -> None:
    result = run_smoke(secured_server.mcp_url, *POINT_ARGS)

    assert result.returncode == 1
    assert "FAIL  auth          the server requires a bearer token (401" in result.stdout
    assert "--token TOKEN" in result.stdout
    assert "MCP_AUTH_TOKEN" in result.stdout
    assert "RESULT: FAIL" in result.stdout


def test_a_server_that_ignores_the_token_fails_the_auth_check(
    open_server: ServerProcess, nws: FakeNws
) -> None:
    result = run_smoke(open_server.mcp_url, "--token", TOKEN, *POINT_ARGS)

    assert result.returncode == 1
    assert "FAIL  auth          a request WITHOUT the token got HTTP 200, not 401" in result.stdout
    assert "PASS  get_forecast " in result.stdout  # the rest still runs and is reported
    assert "RESULT: FAIL, 1 of 6 checks failed" in result.stdout
    assert TOKEN not in result.stdout
