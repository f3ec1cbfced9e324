"""auth_mode (none | token | oauth): the move from auth_enabled, and what oauth needs before synth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.config import DEFAULT_OAUTH_REDIRECT_URIS, InfraConfigError, load_infra_config

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:team/mcp-token-AbCdEf"
HTTPS = {"domain_name": "mcp.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"}


def error_of(**overrides: object) -> str:
    with pytest.raises(InfraConfigError) as caught:
        load_infra_config(cdktf_json=None, **overrides)
    return str(caught.value)


def test_default_is_no_auth() -> None:
    assert load_infra_config(cdktf_json=None).auth_mode == "none"


@pytest.mark.parametrize("legacy", [{"auth_enabled": True}, {"auth_token_secret_arn": SECRET}])
def test_existing_token_configs_keep_meaning_token_auth(legacy: dict[str, object]) -> None:
    assert load_infra_config(cdktf_json=None, **legacy).auth_mode == "token"


def test_auth_enabled_in_cdktf_json_still_works(tmp_path: Path) -> None:
    path = tmp_path / "cdktf.json"
    path.write_text(json.dumps({"context": {"auth_enabled": True}}))
    assert load_infra_config(path).auth_mode == "token"


def test_auth_enabled_with_another_mode_says_what_to_write() -> None:
    message = error_of(auth_mode="none", auth_enabled=True)
    assert "auth_enabled" in message
    assert '"auth_mode": "token"' in message


def test_oauth_with_a_token_secret_is_refused_naming_both_keys() -> None:
    message = error_of(auth_mode="oauth", auth_token_secret_arn=SECRET, **HTTPS)
    assert "auth_mode is 'oauth'" in message
    assert "auth_token_secret_arn" in message


@pytest.mark.parametrize(
    "https",
    [
        {},
        {
            "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/"
            + "0" * 8
            + "-0000-0000-0000-"
            + "0" * 12
        },
    ],
)
def test_oauth_needs_https_with_a_host_name(https: dict[str, str]) -> None:
    message = error_of(auth_mode="oauth", **https)
    for key in ("domain_name", "hosted_zone_id", "certificate_arn"):
        assert key in message


def test_oauth_with_domain_and_zone_is_accepted_with_safe_defaults() -> None:
    config = load_infra_config(cdktf_json=None, auth_mode="oauth", **HTTPS)
    assert config.oauth
    assert config.oauth_mfa == "optional"
    assert config.oauth_required_scopes == ["openid"]
    assert config.oauth_self_signup is False
    assert config.oauth_allowed_redirect_uris == list(DEFAULT_OAUTH_REDIRECT_URIS)


def test_default_redirect_uris_cover_the_common_clients_and_nothing_else() -> None:
    assert "https://claude.ai/api/mcp/auth_callback" in DEFAULT_OAUTH_REDIRECT_URIS
    assert "https://chatgpt.com/connector_platform_oauth_redirect" in DEFAULT_OAUTH_REDIRECT_URIS
    # vscode.dev/redirect forwards the code to the address in `state` (README: the allow-list).
    assert "https://vscode.dev/redirect" not in DEFAULT_OAUTH_REDIRECT_URIS
    assert all(
        uri.startswith("https://") or uri.startswith(("http://127.0.0.1:", "http://localhost:"))
        for uri in DEFAULT_OAUTH_REDIRECT_URIS
    )


@pytest.mark.parametrize(
    "uri", ["https://*", "http://evil.example.com/callback", "javascript:alert(1)", "https://*.com/cb"]
)
def test_redirect_uri_patterns_that_let_anyone_in_are_refused(uri: str) -> None:
    message = error_of(auth_mode="oauth", oauth_allowed_redirect_uris=[uri], **HTTPS)
    assert "oauth_allowed_redirect_uris" in message
    assert repr(uri) in message


def test_required_scopes_must_be_standard_and_include_openid() -> None:
    message = error_of(auth_mode="oauth", oauth_required_scopes=["email", "weather/read"], **HTTPS)
    assert "oauth_required_scopes" in message
    assert "'weather/read'" in message
    assert "openid" in error_of(auth_mode="oauth", oauth_required_scopes=["email"], **HTTPS)


def test_oauth_name_must_make_a_valid_cognito_domain_prefix() -> None:
    assert "'aws'" in error_of(auth_mode="oauth", name="my-aws-mcp", **HTTPS)


@pytest.mark.parametrize("minutes", [4, 1441])
def test_access_token_lifetime_bounds(minutes: int) -> None:
    assert "oauth_access_token_minutes" in error_of(oauth_access_token_minutes=minutes)
