"""MCP_SHARED_CACHE_URL and its companions: what is accepted, what stops the server, and that a
refused URL or a password never reaches the terminal or a log line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from server.contract import EnvVar
from server.settings import ServerSettings, describe_validation_error
from tests.server.conftest import REPO_ROOT

URL = EnvVar.SHARED_CACHE_URL


def settings(**env: str) -> ServerSettings:
    return ServerSettings(**env)


def refusal(**env: str) -> str:
    with pytest.raises(ValidationError) as caught:
        settings(**env)
    return describe_validation_error(caught.value)


def test_a_url_with_a_password_stops_the_server_without_printing_it() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MCP_", "NWS_"))}
    env[URL] = "rediss://mcp:hunter2-cache-password@cache.example.com:6379"

    result = subprocess.run(
        [sys.executable, "-m", "server"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert f"{URL}: must not carry credentials" in result.stderr
    assert EnvVar.SHARED_CACHE_PASSWORD in result.stderr  # where the password goes instead
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://cache.example.com:6379", "must start with redis:// or rediss://"),
        ("redis://:only-a-password@cache.example.com", "must not carry credentials"),
        ("redis://user@cache.example.com", "must not carry credentials"),
        ("rediss://cache.example.com:port", "must be a URL"),
        ("redis:///0", "with a host"),
        ("redis://cache.example.com/zero", "database number only"),
        ("redis://cache.example.com?ssl=true", "no query"),
    ],
)
def test_a_malformed_url_is_refused_naming_the_problem(url: str, expected: str) -> None:
    assert expected in refusal(**{URL: url})


def test_a_plain_url_and_a_tls_url_with_a_database_are_accepted() -> None:
    assert settings(**{URL: "redis://127.0.0.1:6379"}).uses_fleet_cache
    assert settings(**{URL: " rediss://master.cache.example.com:6379/2 "}).shared_cache_url == (
        "rediss://master.cache.example.com:6379/2"
    )


def test_credentials_without_a_url_are_refused() -> None:
    message = refusal(**{EnvVar.SHARED_CACHE_PASSWORD: "a-password-for-the-cache"})
    assert f"{EnvVar.SHARED_CACHE_PASSWORD} set but {URL} is not" in message
    assert "a-password-for-the-cache" not in message


def test_the_fleet_cache_and_a_task_directory_are_not_both_accepted() -> None:
    message = refusal(**{URL: "redis://127.0.0.1:6379", EnvVar.NWS_SHARED_CACHE_DIR: "/dev/shm/x"})
    assert "replaces the per-task directory" in message


def test_iam_tokens_need_tls_a_user_and_no_password() -> None:
    iam = {
        EnvVar.SHARED_CACHE_IAM_CACHE_NAME: "mcp-server-cache",
        EnvVar.SHARED_CACHE_USERNAME: "mcp-tasks",
        EnvVar.AWS_REGION: "us-east-1",
    }

    assert "needs TLS" in refusal(**{URL: "redis://cache.example.com", **iam})
    assert "needs MCP_SHARED_CACHE_USERNAME" in refusal(
        **{URL: "rediss://cache.example.com", EnvVar.SHARED_CACHE_IAM_CACHE_NAME: "mcp-server-cache"}
    )
    assert "are both set" in refusal(
        **{URL: "rediss://cache.example.com", EnvVar.SHARED_CACHE_PASSWORD: "p" * 20, **iam}
    )
    assert settings(**{URL: "rediss://cache.example.com", **iam}).shared_cache_iam_cache_name == (
        "mcp-server-cache"
    )


def test_iam_tokens_need_a_region_to_sign_for() -> None:
    message = refusal(
        **{
            URL: "rediss://cache.example.com",
            EnvVar.SHARED_CACHE_IAM_CACHE_NAME: "mcp-server-cache",
            EnvVar.SHARED_CACHE_USERNAME: "mcp-tasks",
        }
    )
    assert "needs AWS_REGION" in message


def test_a_user_name_alone_is_refused() -> None:
    assert "needs MCP_SHARED_CACHE_PASSWORD" in refusal(
        **{URL: "redis://127.0.0.1", EnvVar.SHARED_CACHE_USERNAME: "mcp"}
    )


@pytest.mark.parametrize("timeout", ["0", "1", "2.5"])
def test_an_operation_timeout_of_a_second_or_more_is_refused(timeout: str) -> None:
    assert EnvVar.SHARED_CACHE_TIMEOUT_SECONDS in refusal(**{EnvVar.SHARED_CACHE_TIMEOUT_SECONDS: timeout})


def test_the_password_is_a_secret_of_the_settings() -> None:
    configured = settings(
        **{URL: "redis://127.0.0.1", EnvVar.SHARED_CACHE_PASSWORD: "cache-password-0123456789"}
    )

    assert "cache-password-0123456789" not in repr(configured)
    assert "cache-password-0123456789" in configured.secret_values()
