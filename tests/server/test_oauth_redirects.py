"""The redirect URI rules (server/oauth_redirects.py) and the OAuth settings they come from.

The rules are tried through the real transport in test_oauth_hostile.py; here every case of the
default allow-list and of the loopback rule is spelled out, which is quick without a server.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.contract import DEFAULT_OAUTH_REDIRECT_URIS, EnvVar
from server.oauth_redirects import RedirectAllowList, matches_registered
from server.settings import ServerSettings

DEFAULT = RedirectAllowList(DEFAULT_OAUTH_REDIRECT_URIS)


@pytest.mark.parametrize(
    "uri",
    [
        "https://claude.ai/api/mcp/auth_callback",
        "https://claude.com/api/mcp/auth_callback",
        "https://chatgpt.com/connector_platform_oauth_redirect",
        "http://127.0.0.1:33418/",  # VS Code desktop
        "http://127.0.0.1/",  # VS Code desktop, port chosen at sign-in
        "http://localhost:54321/callback",  # Claude Code
        "http://localhost:6274/oauth/callback",  # MCP Inspector
        "http://127.0.0.1:33418/callback",  # the SDK client of the tests
    ],
)
def test_the_default_list_admits_the_clients_the_readme_names(uri: str) -> None:
    assert DEFAULT.allows(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "https://claude.ai/api/mcp/auth_callback?x=1",  # an exact entry admits exactly that URI
        "https://claude.ai/api/mcp/auth_callback/more",
        "https://claude.ai:8443/api/mcp/auth_callback",
        "http://claude.ai/api/mcp/auth_callback",
        "https://chatgpt.com/connector/oauth/abc123",  # not the stable callback
        "https://vscode.dev/redirect",  # forwards the code to wherever `state` says
        "https://insiders.vscode.dev/redirect",
        "https://evil.example.com/callback",
        "http://127.0.0.1.evil.example.com/callback",
        "http://localhost.evil.example.com:80/callback",
        "http://evil.example.com@127.0.0.1:33418/callback",
        "http://127.0.0.1:33418/callback#fragment",
        "https://127.0.0.1:33418/callback",  # loopback entries are http
        "javascript:alert(1)",
        "not a uri",
    ],
)
def test_the_default_list_refuses_everything_else(uri: str) -> None:
    assert not DEFAULT.allows(uri)


@pytest.mark.parametrize(
    ("requested", "registered", "same"),
    [
        ("http://127.0.0.1:33418/callback", "http://127.0.0.1:33418/callback", True),
        ("http://127.0.0.1:55123/callback", "http://127.0.0.1:33418/callback", True),  # RFC 8252 §7.3
        ("http://[::1]:55123/callback", "http://[::1]:33418/callback", True),
        ("http://localhost:9999/callback", "http://localhost:3000/callback", True),
        ("http://127.0.0.1:59656/", "http://127.0.0.1/", True),  # VS Code's free port
        ("http://127.0.0.1:33418/callback?x=1", "http://127.0.0.1:33418/callback", False),
        ("http://127.0.0.1:33418/other", "http://127.0.0.1:33418/callback", False),
        ("http://localhost:33418/callback", "http://127.0.0.1:33418/callback", False),  # other host
        ("https://claude.ai/api/mcp/auth_callback", "https://claude.ai/api/mcp/auth_callback", True),
        ("https://claude.ai:8443/api/mcp/auth_callback", "https://claude.ai/api/mcp/auth_callback", False),
        ("https://CLAUDE.ai/api/mcp/auth_callback", "https://claude.ai/api/mcp/auth_callback", True),
        ("https://app.example.com/cb?tenant=1", "https://app.example.com/cb?tenant=1", True),
        ("https://app.example.com/cb?tenant=2", "https://app.example.com/cb?tenant=1", False),
        ("https://app.example.com/cb#x", "https://app.example.com/cb", False),
    ],
)
def test_a_redirect_uri_matches_its_registration_exactly_but_for_a_loopback_port(
    requested: str, registered: str, same: bool
) -> None:
    assert matches_registered(requested, registered) is same


def test_the_oauth_hardening_settings_have_their_defaults() -> None:
    settings = ServerSettings()
    assert settings.oauth_registrations_per_minute == 10
    assert settings.oauth_allowed_groups == ()
    assert "https://vscode.dev/redirect" not in settings.oauth_redirect_uris


def test_allowed_groups_are_a_comma_list() -> None:
    settings = ServerSettings(**{EnvVar.OAUTH_ALLOWED_GROUPS: " weather-users , admins,weather-users"})
    assert settings.oauth_allowed_groups == ("weather-users", "admins")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (EnvVar.OAUTH_ALLOWED_GROUPS, "weather users", "is not a group name"),
        (EnvVar.OAUTH_REGISTRATIONS_PER_MINUTE, "0", "greater than or equal to 1"),
        (EnvVar.OAUTH_REGISTRATIONS_PER_MINUTE, "many", "valid integer"),
        (EnvVar.OAUTH_REDIRECT_URIS, "https://app.example.com/cb#x", "no fragment or user info"),
        (EnvVar.OAUTH_REDIRECT_URIS, "https://user@app.example.com/cb", "no fragment or user info"),
    ],
)
def test_a_bad_hardening_value_is_refused_naming_the_problem(name: str, value: str, expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        ServerSettings(**{name: value})
