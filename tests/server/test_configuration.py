"""Configuration: one typed settings object; a bad environment value stops `python -m server` clearly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from server.contract import EnvVar
from server.settings import DEFAULT_USER_AGENT, ServerSettings, describe_validation_error
from tests.server.conftest import REPO_ROOT

pytestmark = pytest.mark.timeout(60)


def settings(**env: str) -> ServerSettings:
    return ServerSettings(**env)


@pytest.fixture
def no_server_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the server's variables set, as in a fresh shell."""
    for name in vars(EnvVar).values():
        if isinstance(name, str) and name.isupper():
            monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_server_env")
def test_defaults_suit_a_local_run() -> None:
    defaults = ServerSettings()

    assert (defaults.host, defaults.port, defaults.workers) == ("127.0.0.1", 8000, 1)
    assert defaults.nws_api_base_url == "https://api.weather.gov"
    assert defaults.auth_token is None
    assert defaults.allowed_origins == ()
    assert defaults.cache_enabled is True
    assert defaults.alerts_ttl_seconds <= 60
    assert defaults.uses_default_user_agent
    assert "mcp-weather-server" in DEFAULT_USER_AGENT
    assert "contact" in DEFAULT_USER_AGENT


def test_allowed_origins_is_a_comma_list_normalised() -> None:
    parsed = settings(**{EnvVar.ALLOWED_ORIGINS: " https://App.Example.com:443 , http://localhost:6274/,"})

    assert parsed.allowed_origins == ("https://app.example.com", "http://localhost:6274")


def test_empty_auth_token_means_auth_off() -> None:
    assert settings(**{EnvVar.AUTH_TOKEN: ""}).auth_token is None


def test_log_level_is_case_insensitive() -> None:
    assert settings(**{EnvVar.LOG_LEVEL: "debug"}).log_level == "DEBUG"


def test_token_never_appears_in_the_settings_repr() -> None:
    token = "s3cr3t-token-value-0123456789"

    assert token not in repr(settings(**{EnvVar.AUTH_TOKEN: token}))


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (EnvVar.PORT, "eighty", "valid integer"),
        (EnvVar.PORT, "70000", "less than or equal to 65535"),
        (EnvVar.WORKERS, "0", "greater than or equal to 1"),
        (EnvVar.HOST, "not a host", "must be an IP address or a host name"),
        (EnvVar.ALLOWED_ORIGINS, "*", "wildcards are not accepted"),
        (EnvVar.ALLOWED_ORIGINS, "app.example.com", "is not an origin"),
        (EnvVar.NWS_API_BASE_URL, "ftp://example.com", "must be an http(s) URL"),
        (EnvVar.NWS_USER_AGENT, "   ", "must not be empty"),
        (EnvVar.LOG_LEVEL, "loud", "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"),
        (EnvVar.NWS_CACHE_ENABLED, "perhaps", "valid boolean"),
        (EnvVar.NWS_ALERTS_TTL_SECONDS, "300", "less than or equal to 60"),
        (EnvVar.NWS_RETRY_BUDGET_SECONDS, "15", "must be below 10"),
        (EnvVar.NWS_MAX_CONCURRENT_REQUESTS, "0", "greater than or equal to 1"),
        (EnvVar.NWS_BREAKER_FAILURES, "many", "valid integer"),
        (EnvVar.NWS_BREAKER_OPEN_SECONDS, "0", "greater than 0"),
        (EnvVar.MCP_MAX_CONCURRENT_CALLS, "0", "greater than or equal to 1"),
        (EnvVar.MCP_SHUTDOWN_DRAIN_SECONDS, "30", "less than or equal to 5"),
        (EnvVar.NWS_SHARED_CACHE_DIR, "relative/dir", "must be an absolute directory path"),
        (EnvVar.OPEN_METEO_FORECAST_URL, "ftp://example.com/v1/forecast", "must be an http(s) URL"),
        (EnvVar.OPEN_METEO_GEOCODING_URL, "https://example.com/v1/search?name=x", "without query"),
        (EnvVar.OPEN_METEO_AIR_QUALITY_URL, "not a url", "must be an http(s) URL"),
        (EnvVar.OPEN_METEO_API_KEY, "short", "must be the Open-Meteo API key"),
        (EnvVar.OPEN_METEO_FORECAST_TTL_SECONDS, "0", "greater than 0"),
        (EnvVar.OPEN_METEO_GEOCODING_TTL_SECONDS, "a day", "valid number"),
    ],
)
def test_bad_value_fails_at_start_naming_the_variable(name: str, value: str, expected: str) -> None:
    env = {key: val for key, val in os.environ.items() if not key.startswith(("MCP_", "NWS_"))}
    env[name] = value

    result = subprocess.run(
        [sys.executable, "-m", "server"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert result.stderr.startswith("server: invalid configuration, not starting:\n")
    assert name in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) <= 3


def test_a_rejected_token_is_not_echoed_back() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(**{EnvVar.AUTH_TOKEN: "has spaces so it is rejected"})

    message = describe_validation_error(caught.value)
    assert message.startswith(f"{EnvVar.AUTH_TOKEN}: must be a bearer token")
    assert "has spaces" not in message


def test_a_rejected_open_meteo_key_is_not_echoed_back() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(**{EnvVar.OPEN_METEO_API_KEY: "has spaces so it is rejected"})

    message = describe_validation_error(caught.value)
    assert message.startswith(f"{EnvVar.OPEN_METEO_API_KEY}: must be the Open-Meteo API key")
    assert "has spaces" not in message


@pytest.mark.usefixtures("no_server_env")
def test_open_meteo_defaults_are_its_public_free_hosts_without_a_key() -> None:
    defaults = ServerSettings()

    assert defaults.open_meteo_forecast_url == "https://api.open-meteo.com/v1/forecast"
    assert defaults.open_meteo_geocoding_url == "https://geocoding-api.open-meteo.com/v1/search"
    assert defaults.open_meteo_air_quality_url == "https://air-quality-api.open-meteo.com/v1/air-quality"
    assert defaults.open_meteo_api_key is None
    assert defaults.secret_values() == ()


def test_forecast_ttl_floor_above_ceiling_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"NWS_FORECAST_TTL_MIN_SECONDS .* must not exceed"):
        settings(**{EnvVar.NWS_FORECAST_TTL_MIN_SECONDS: "900", EnvVar.NWS_FORECAST_TTL_MAX_SECONDS: "60"})


#: The "Server environment" table of README.md: first column -> default column, as users read them.
README_DEFAULTS = {
    "`MCP_PORT`": "`8000`",
    "`MCP_LB_IDLE_TIMEOUT_SECONDS`": "`300`",
    "`NWS_POINTS_TTL_SECONDS`": "`21600`",
    "`NWS_FORECAST_TTL_MIN_SECONDS` / `NWS_FORECAST_TTL_MAX_SECONDS`": "`60` / `1800`",
    "`NWS_ALERTS_TTL_SECONDS`": "`30`",
    "`NWS_STALE_WINDOW_SECONDS`": "`900`",
    "`NWS_CACHE_MAX_ENTRIES`": "`2048`",
    "`NWS_CONNECT_TIMEOUT_SECONDS` / `NWS_READ_TIMEOUT_SECONDS`": "`3` / `6`",
    "`NWS_RETRY_ATTEMPTS`": "`3`",
    "`NWS_RETRY_BUDGET_SECONDS`": "`8`",
    "`NWS_RETRY_BACKOFF_SECONDS`": "`0.25`",
    "`OPEN_METEO_FORECAST_TTL_SECONDS`": "`900`",
    "`OPEN_METEO_GEOCODING_TTL_SECONDS`": "`86400`",
    "`OPEN_METEO_AIR_QUALITY_TTL_SECONDS`": "`1800`",
}


def test_readme_states_the_defaults_asserted_below() -> None:
    rows = {}
    for line in (REPO_ROOT / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 3:
            rows[cells[0]] = cells[1]

    assert {name: rows.get(name) for name in README_DEFAULTS} == README_DEFAULTS


@pytest.mark.usefixtures("no_server_env")
def test_server_defaults_are_the_values_the_readme_states() -> None:
    defaults = ServerSettings()

    assert defaults.port == 8000
    assert (defaults.lb_idle_timeout_seconds, defaults.keep_alive_seconds) == (300, 305)
    assert defaults.points_ttl_seconds == 21600
    assert (defaults.forecast_ttl_min_seconds, defaults.forecast_ttl_max_seconds) == (60, 1800)
    assert defaults.alerts_ttl_seconds == 30
    assert defaults.stale_window_seconds == 900
    assert defaults.cache_max_entries == 2048
    assert (defaults.connect_timeout_seconds, defaults.read_timeout_seconds) == (3, 6)
    assert defaults.retry_attempts == 3
    assert defaults.retry_budget_seconds == 8
    assert defaults.retry_backoff_seconds == 0.25
    assert defaults.open_meteo_forecast_ttl_seconds == 900
    assert defaults.open_meteo_geocoding_ttl_seconds == 86400
    assert defaults.open_meteo_air_quality_ttl_seconds == 1800


def test_a_token_shorter_than_16_characters_stops_the_server() -> None:
    token = "abcdefghijklmno"  # 15 characters
    env = {key: val for key, val in os.environ.items() if not key.startswith(("MCP_", "NWS_"))}
    env[EnvVar.AUTH_TOKEN] = token

    result = subprocess.run(
        [sys.executable, "-m", "server"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "server: invalid configuration, not starting:",
        "MCP_AUTH_TOKEN: is too short to be a secret: use at least 16 characters",
    ]
    assert token not in result.stderr + result.stdout


def test_a_16_character_token_is_accepted() -> None:
    token = settings(**{EnvVar.AUTH_TOKEN: "abcdefghijklmnop"}).auth_token

    assert token is not None
    assert token.get_secret_value() == "abcdefghijklmnop"
