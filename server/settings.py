"""ServerSettings: the server's whole configuration, read once from the environment and validated.

Every field is read from the variable named in `server.contract.EnvVar`; a bad value stops the server
at start with a message naming that variable (see `server.serving.read_settings`).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import (
    BeforeValidator,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from server import __version__
from server.contract import (
    CONTAINER_PORT,
    DEFAULT_LB_IDLE_TIMEOUT_SECONDS,
    DEFAULT_OAUTH_REDIRECT_URIS,
    DEFAULT_OAUTH_REGISTRATIONS_PER_MINUTE,
    MAX_LB_IDLE_TIMEOUT_SECONDS,
    SHUTDOWN_GRACE_SECONDS,
    EnvVar,
    LogLevel,
    keep_alive_seconds,
    normalize_origin,
)
from server.problems import problems

#: How long Open-Meteo's answers stay fresh by default: places do not move (a day); current conditions
#: are 15-minute values and the models run hourly (15 minutes); air quality is hourly (30 minutes).
FORECAST_TTL_SECONDS: Final = 15 * 60.0
GEOCODING_TTL_SECONDS: Final = 24 * 3600.0
AIR_QUALITY_TTL_SECONDS: Final = 30 * 60.0

#: Identifies the project to NWS; operators are asked to replace it with one that carries a contact.
DEFAULT_USER_AGENT: Final = (
    f"mcp-weather-server/{__version__} (operator: set {EnvVar.NWS_USER_AGENT} to include a contact email)"
)

#: Upper bound of one tool call. Equal to the shutdown grace period, so a call in flight when SIGTERM
#: arrives always finishes before the server exits.
TOOL_TIMEOUT_SECONDS: Final = float(SHUTDOWN_GRACE_SECONDS)

#: get_forecast makes up to two upstream requests in a row (point, then forecast), each within one
#: retry budget; both budgets together stay under the tool timeout.
UPSTREAM_REQUESTS_PER_CALL: Final = 2

AuthMode = Literal["none", "token", "oauth"]

#: Shortest accepted token-signing or storage-encryption key (the stack generates 64 characters).
MIN_OAUTH_KEY_LENGTH: Final = 32
#: Variables whose values never appear in an error message or a log line.
SECRET_VARIABLES: Final = frozenset(
    {
        EnvVar.AUTH_TOKEN,
        EnvVar.OIDC_CLIENT_SECRET,
        EnvVar.OAUTH_JWT_SIGNING_KEY,
        EnvVar.OAUTH_STORAGE_KEY,
        EnvVar.OPEN_METEO_API_KEY,
        EnvVar.SHARED_CACHE_PASSWORD,
    }
)
#: Variables whose refused value is not repeated in the error either: a cache URL that is refused
#: for carrying credentials would otherwise print them.
UNECHOED_VARIABLES: Final = SECRET_VARIABLES | {EnvVar.SHARED_CACHE_URL}
#: Longest wait of one fleet cache operation: well under a second, whatever the cache server does.
MAX_SHARED_CACHE_TIMEOUT_SECONDS: Final = 0.9
_DYNAMODB_TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
#: A Cognito group name as the `cognito:groups` claim carries it (no spaces; commas separate the list).
_GROUP_RE = re.compile(r"^[^\s,]{1,128}$")

# RFC 6750 b64token: what may follow "Bearer " in an Authorization header.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
_HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9\-]{1,63})*$"
)
_MIN_TOKEN_LENGTH: Final = 16


def _blank_is_unset(value: Any) -> Any:
    """An empty or all-blank value of an optional variable means unset (None)."""
    return None if isinstance(value, str) and not value.strip() else value


#: Optional variables: unset, empty or blank is None; their field validators see None or a value.
OptionalText = Annotated[str | None, BeforeValidator(_blank_is_unset)]
OptionalSecret = Annotated[SecretStr | None, BeforeValidator(_blank_is_unset)]


def _list_items(value: str, *, space_separated: bool = False) -> tuple[str, ...]:
    """The items of a comma-separated (optionally also space-separated) list: stripped, without
    empty items and repeats, in their first order."""
    parts = value.replace(",", " ").split() if space_separated else value.split(",")
    return tuple(dict.fromkeys(part.strip() for part in parts if part.strip()))


def _http_url(value: str, example: str) -> HttpUrl:
    """The value as an http(s) URL, or an error naming an example of one."""
    try:
        return HttpUrl(value.strip())
    except ValidationError:
        raise ValueError(f"must be an http(s) URL such as {example}") from None


class ServerSettings(BaseSettings):
    """Typed view of the environment contract (names in `server.contract.EnvVar`)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, validate_default=True)

    host: str = Field(
        "127.0.0.1",
        validation_alias=EnvVar.HOST,
        description="Interface to bind; the image sets 0.0.0.0.",
    )
    port: int = Field(CONTAINER_PORT, ge=1, le=65535, validation_alias=EnvVar.PORT)
    workers: int = Field(1, ge=1, le=64, validation_alias=EnvVar.WORKERS)
    auth_token: OptionalSecret = Field(None, validation_alias=EnvVar.AUTH_TOKEN)
    auth_mode: AuthMode | None = Field(
        None, validation_alias=EnvVar.AUTH_MODE, description="Unset: token when MCP_AUTH_TOKEN is set."
    )
    public_url: OptionalText = Field(None, validation_alias=EnvVar.PUBLIC_URL)
    oidc_config_url: OptionalText = Field(None, validation_alias=EnvVar.OIDC_CONFIG_URL)
    oidc_client_id: OptionalText = Field(None, validation_alias=EnvVar.OIDC_CLIENT_ID)
    oidc_client_secret: OptionalSecret = Field(None, validation_alias=EnvVar.OIDC_CLIENT_SECRET)
    oauth_store: str = Field("memory", validation_alias=EnvVar.OAUTH_STORE)
    oauth_jwt_signing_key: OptionalSecret = Field(None, validation_alias=EnvVar.OAUTH_JWT_SIGNING_KEY)
    oauth_storage_key: OptionalSecret = Field(None, validation_alias=EnvVar.OAUTH_STORAGE_KEY)
    oauth_redirect_uris: Annotated[tuple[str, ...], NoDecode] = Field(
        DEFAULT_OAUTH_REDIRECT_URIS, validation_alias=EnvVar.OAUTH_REDIRECT_URIS
    )
    oauth_required_scopes: Annotated[tuple[str, ...], NoDecode] = Field(
        ("openid",), validation_alias=EnvVar.OAUTH_REQUIRED_SCOPES
    )
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = Field((), validation_alias=EnvVar.ALLOWED_ORIGINS)
    oauth_registrations_per_minute: int = Field(
        DEFAULT_OAUTH_REGISTRATIONS_PER_MINUTE,
        ge=1,
        le=10_000,
        validation_alias=EnvVar.OAUTH_REGISTRATIONS_PER_MINUTE,
        description="Client registrations one address may make per minute, across every worker and task.",
    )
    oauth_allowed_groups: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        validation_alias=EnvVar.OAUTH_ALLOWED_GROUPS,
        description="Cognito groups whose members may sign in (empty: every person in the user pool).",
    )
    nws_api_base_url: str = Field("https://api.weather.gov", validation_alias=EnvVar.NWS_API_BASE_URL)
    nws_user_agent: str = Field(DEFAULT_USER_AGENT, validation_alias=EnvVar.NWS_USER_AGENT)
    log_level: LogLevel = Field("INFO", validation_alias=EnvVar.LOG_LEVEL)
    lb_idle_timeout_seconds: int = Field(
        DEFAULT_LB_IDLE_TIMEOUT_SECONDS,
        ge=1,
        le=MAX_LB_IDLE_TIMEOUT_SECONDS,
        validation_alias=EnvVar.LB_IDLE_TIMEOUT_SECONDS,
        description="Idle timeout of the load balancer in front (the stack sets it).",
    )

    cache_enabled: bool = Field(True, validation_alias=EnvVar.NWS_CACHE_ENABLED)
    points_ttl_seconds: float = Field(
        6 * 3600, gt=0, le=7 * 86400, validation_alias=EnvVar.NWS_POINTS_TTL_SECONDS
    )
    forecast_ttl_min_seconds: float = Field(
        60, ge=0, le=6 * 3600, validation_alias=EnvVar.NWS_FORECAST_TTL_MIN_SECONDS
    )
    forecast_ttl_max_seconds: float = Field(
        1800, ge=0, le=6 * 3600, validation_alias=EnvVar.NWS_FORECAST_TTL_MAX_SECONDS
    )
    alerts_ttl_seconds: float = Field(30, ge=0, le=60, validation_alias=EnvVar.NWS_ALERTS_TTL_SECONDS)
    stale_window_seconds: float = Field(900, ge=0, le=86400, validation_alias=EnvVar.NWS_STALE_WINDOW_SECONDS)
    cache_max_entries: int = Field(2048, ge=1, le=1_000_000, validation_alias=EnvVar.NWS_CACHE_MAX_ENTRIES)
    cache_max_mib: float = Field(
        2.0,
        gt=0,
        le=1024,
        validation_alias=EnvVar.NWS_CACHE_MAX_MIB,
        description="MiB of answers (measured as JSON) each in-process cache keeps at most, besides"
        " its entry count: a worker's memory stays bounded however large the answers are.",
    )

    connect_timeout_seconds: float = Field(
        3.0, gt=0, le=30, validation_alias=EnvVar.NWS_CONNECT_TIMEOUT_SECONDS
    )
    read_timeout_seconds: float = Field(6.0, gt=0, le=60, validation_alias=EnvVar.NWS_READ_TIMEOUT_SECONDS)
    retry_attempts: int = Field(3, ge=1, le=10, validation_alias=EnvVar.NWS_RETRY_ATTEMPTS)
    retry_budget_seconds: float = Field(8.0, gt=0, validation_alias=EnvVar.NWS_RETRY_BUDGET_SECONDS)
    retry_backoff_seconds: float = Field(0.25, gt=0, le=5, validation_alias=EnvVar.NWS_RETRY_BACKOFF_SECONDS)
    #: OTLP/HTTP collector base URL (http://127.0.0.1:4318 in the task); unset: no traces exported.
    otlp_endpoint: OptionalText = Field(None, validation_alias=EnvVar.OTEL_EXPORTER_OTLP_ENDPOINT)

    max_concurrent_requests: int = Field(
        10,
        ge=1,
        le=1000,
        validation_alias=EnvVar.NWS_MAX_CONCURRENT_REQUESTS,
        description="Upstream requests in flight per process; further ones wait, or get a stale entry.",
    )
    breaker_failures: int = Field(
        5,
        ge=1,
        le=1000,
        validation_alias=EnvVar.NWS_BREAKER_FAILURES,
        description="Failed upstream requests in a row (after retries) that open the circuit breaker.",
    )
    breaker_open_seconds: float = Field(
        10.0,
        gt=0,
        le=300,
        validation_alias=EnvVar.NWS_BREAKER_OPEN_SECONDS,
        description="How long the breaker stays open before one probe request (jittered by up to 20 %).",
    )
    shared_cache_dir: OptionalText = Field(
        None,
        validation_alias=EnvVar.NWS_SHARED_CACHE_DIR,
        description="Directory of the cache the worker processes share; `python -m server` makes one"
        " for its workers when there are several.",
    )
    shared_cache_url: OptionalText = Field(
        None,
        validation_alias=EnvVar.SHARED_CACHE_URL,
        description="redis:// or rediss:// (TLS) URL of the cache every task shares (Valkey or Redis);"
        " replaces the per-task directory. No credentials in it.",
    )
    shared_cache_username: OptionalText = Field(None, validation_alias=EnvVar.SHARED_CACHE_USERNAME)
    shared_cache_password: OptionalSecret = Field(None, validation_alias=EnvVar.SHARED_CACHE_PASSWORD)
    shared_cache_iam_cache_name: OptionalText = Field(
        None,
        validation_alias=EnvVar.SHARED_CACHE_IAM_CACHE_NAME,
        description="ElastiCache replication group ID: sign IAM authentication tokens for it with the"
        " task's credentials instead of sending a password.",
    )
    shared_cache_coalesce: bool = Field(
        True,
        validation_alias=EnvVar.SHARED_CACHE_COALESCE,
        description="Coalesce misses across tasks: one process fetches a missing key, the others wait"
        " for its answer (a claim in the cache, one more round trip per miss).",
    )
    aws_region: OptionalText = Field(
        None,
        validation_alias=EnvVar.AWS_REGION,
        description="Region of the AWS services the server uses (the stack sets it).",
    )
    shared_cache_timeout_seconds: float = Field(
        0.25,
        gt=0,
        le=MAX_SHARED_CACHE_TIMEOUT_SECONDS,
        validation_alias=EnvVar.SHARED_CACHE_TIMEOUT_SECONDS,
        description="Longest wait of one fleet cache operation (connect, authenticate and command).",
    )
    max_concurrent_calls: int = Field(
        100,
        ge=1,
        le=100_000,
        validation_alias=EnvVar.MCP_MAX_CONCURRENT_CALLS,
        description="Tool calls in progress per process; more are refused at once with a retryable error.",
    )
    shutdown_drain_seconds: float = Field(
        1.0,
        ge=0,
        le=5,  # drain + SHUTDOWN_GRACE_SECONDS stays under the task's stopTimeout (grace + 10 s)
        validation_alias=EnvVar.MCP_SHUTDOWN_DRAIN_SECONDS,
        description="After SIGTERM, keep serving (closing each connection after its answer) this long"
        " before the listener closes.",
    )

    # Open-Meteo (server/open_meteo/): the three APIs' full URLs and the optional commercial key.
    open_meteo_forecast_url: str = Field(
        "https://api.open-meteo.com/v1/forecast", validation_alias=EnvVar.OPEN_METEO_FORECAST_URL
    )
    open_meteo_geocoding_url: str = Field(
        "https://geocoding-api.open-meteo.com/v1/search", validation_alias=EnvVar.OPEN_METEO_GEOCODING_URL
    )
    open_meteo_air_quality_url: str = Field(
        "https://air-quality-api.open-meteo.com/v1/air-quality",
        validation_alias=EnvVar.OPEN_METEO_AIR_QUALITY_URL,
    )
    open_meteo_api_key: OptionalSecret = Field(
        None,
        validation_alias=EnvVar.OPEN_METEO_API_KEY,
        description="Sent as the apikey parameter of every Open-Meteo request (commercial use).",
    )
    # How long Open-Meteo's answers stay fresh (defaults in server/open_meteo/caching.py fit the data).
    open_meteo_forecast_ttl_seconds: float = Field(
        FORECAST_TTL_SECONDS, gt=0, le=6 * 3600, validation_alias=EnvVar.OPEN_METEO_FORECAST_TTL_SECONDS
    )
    open_meteo_geocoding_ttl_seconds: float = Field(
        GEOCODING_TTL_SECONDS, gt=0, le=30 * 86400, validation_alias=EnvVar.OPEN_METEO_GEOCODING_TTL_SECONDS
    )
    open_meteo_air_quality_ttl_seconds: float = Field(
        AIR_QUALITY_TTL_SECONDS, gt=0, le=6 * 3600, validation_alias=EnvVar.OPEN_METEO_AIR_QUALITY_TTL_SECONDS
    )

    @field_validator("host")
    @classmethod
    def _check_host(cls, value: str) -> str:
        value = value.strip()
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME_RE.match(value):
                raise ValueError("must be an IP address or a host name, e.g. 0.0.0.0 or 127.0.0.1") from None
        return value

    @field_validator("auth_token")
    @classmethod
    def _check_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is None:
            return None  # unset or empty: auth off
        value = token.get_secret_value()
        if not _TOKEN_RE.match(value):
            raise ValueError(
                "must be a bearer token of letters, digits and -._~+/ (no spaces or quotes);"
                " generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        if len(value) < _MIN_TOKEN_LENGTH:
            raise ValueError(f"is too short to be a secret: use at least {_MIN_TOKEN_LENGTH} characters")
        return token

    @field_validator("auth_mode", mode="before")
    @classmethod
    def _mode_or_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return value or None
        return value

    @field_validator("public_url", "oidc_config_url")
    @classmethod
    def _https_or_loopback_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("must be an https:// URL (http:// only on a loopback address, for local runs)")
        if not parts.hostname or parts.query or parts.fragment or parts.username:
            raise ValueError("must be a plain URL with a host and no query, fragment or user info")
        return value.strip().rstrip("/")

    @field_validator("oidc_client_id")
    @classmethod
    def _client_id_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > 128 or not all(" " < ch <= "~" for ch in value):
            raise ValueError("must be printable ASCII without spaces (at most 128 characters)")
        return value

    @field_validator("oauth_jwt_signing_key", "oauth_storage_key")
    @classmethod
    def _long_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_OAUTH_KEY_LENGTH:
            raise ValueError(
                f"is too short: use at least {MIN_OAUTH_KEY_LENGTH} random characters, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value

    @field_validator("oauth_store")
    @classmethod
    def _store_shape(cls, value: str) -> str:
        value = value.strip()
        if value == "memory":
            return value
        kind, _, table = value.partition(":")
        if kind != "dynamodb" or not _DYNAMODB_TABLE_RE.match(table):
            raise ValueError(
                "must be 'memory' (one worker only) or 'dynamodb:<table name>' (region and endpoint "
                "from the standard AWS environment)"
            )
        return value

    @field_validator("oauth_redirect_uris", mode="before")
    @classmethod
    def _split_redirect_uris(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        uris = _list_items(value)
        for uri in uris:
            scheme = uri.partition("://")[0].lower()
            if (
                scheme not in ("http", "https")
                or uri.startswith(("https://*", "http://*"))
                or "#" in uri
                or "@" in uri.partition("://")[2].partition("/")[0]
            ):
                raise ValueError(
                    f"{uri!r} is not an allowed redirect URI pattern: use https://host/path or "
                    "http://localhost:* style patterns (a wildcard may not stand for the host; no "
                    "fragment or user info)"
                )
        if not uris:
            raise ValueError("must list at least one redirect URI pattern")
        return uris

    @field_validator("oauth_allowed_groups", mode="before")
    @classmethod
    def _split_groups(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        groups = _list_items(value)
        for group in groups:
            if not _GROUP_RE.match(group):
                raise ValueError(
                    f"{group[:40]!r} is not a group name: use a comma-separated list of Cognito group names"
                    " (1-128 characters, no spaces), e.g. weather-users,admins"
                )
        return groups

    @field_validator("oauth_required_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        scopes = _list_items(value, space_separated=True)
        if not scopes:
            raise ValueError("must name at least one scope, e.g. openid")
        return scopes

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        origins = []
        for item in _list_items(value):
            normalized = normalize_origin(item)
            if normalized is None:
                raise ValueError(
                    f"{item!r} is not an origin: use a comma-separated list of scheme://host[:port],"
                    " e.g. https://app.example.com,http://localhost:6274 (wildcards are not accepted)"
                )
            origins.append(normalized)
        return tuple(dict.fromkeys(origins))

    @field_validator("nws_api_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        url = _http_url(value, "https://api.weather.gov")
        if url.query or url.fragment:
            raise ValueError("must not carry a query or fragment")
        return str(url).rstrip("/")

    @field_validator("open_meteo_forecast_url", "open_meteo_geocoding_url", "open_meteo_air_quality_url")
    @classmethod
    def _check_open_meteo_url(cls, value: str) -> str:
        url = _http_url(value, "https://api.open-meteo.com/v1/forecast")
        if url.query or url.fragment or url.username:
            raise ValueError(
                "must be a plain URL without query, fragment or user info (the server adds the query)"
            )
        return str(url)

    @field_validator("open_meteo_api_key")
    @classmethod
    def _check_open_meteo_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is None:
            return None
        value = key.get_secret_value().strip()
        if not 8 <= len(value) <= 256 or not all("!" <= ch <= "~" for ch in value):
            raise ValueError("must be the Open-Meteo API key: 8 to 256 printable ASCII characters, no spaces")
        return SecretStr(value)

    @field_validator("otlp_endpoint")
    @classmethod
    def _check_otlp_endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = _http_url(value, "http://127.0.0.1:4318")
        if url.path not in (None, "", "/") or url.query or url.fragment:
            raise ValueError("must be the collector's base URL (no path): /v1/traces is added")
        return str(url).rstrip("/")

    @field_validator("nws_user_agent")
    @classmethod
    def _check_user_agent(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty: NWS refuses requests without a User-Agent (403)")
        if len(value) > 256 or not all(" " <= ch <= "~" for ch in value):
            raise ValueError("must be printable ASCII of at most 256 characters")
        return value

    @field_validator("shared_cache_dir")
    @classmethod
    def _check_shared_cache_dir(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip().startswith("/"):
            raise ValueError("must be an absolute directory path, e.g. /dev/shm/mcp-weather-cache")
        return value.strip()

    @field_validator("shared_cache_url")
    @classmethod
    def _check_shared_cache_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError:
            raise ValueError("must be a URL such as rediss://cache.example.com:6379") from None
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(
                "must start with redis:// or rediss:// (TLS), e.g. rediss://cache.example.com:6379"
            )
        if parts.username is not None or parts.password is not None:
            raise ValueError(
                "must not carry credentials (user or password before '@'): set"
                f" {EnvVar.SHARED_CACHE_USERNAME} and {EnvVar.SHARED_CACHE_PASSWORD} (local servers), or"
                f" {EnvVar.SHARED_CACHE_IAM_CACHE_NAME} for ElastiCache IAM authentication"
            )
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be scheme://host[:port][/db] with a host and no query or fragment")
        database = parts.path.strip("/")
        if database and not database.isdigit():
            raise ValueError("may end in a database number only, e.g. redis://127.0.0.1:6379/0")
        return value

    @field_validator("shared_cache_username", "shared_cache_iam_cache_name")
    @classmethod
    def _check_cache_identifier(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if len(value) > 128 or not all(" " < ch <= "~" for ch in value):
            raise ValueError("must be printable ASCII without spaces (at most 128 characters)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_consistency(self) -> ServerSettings:
        self._check_auth()
        self._check_shared_cache()
        if self.forecast_ttl_min_seconds > self.forecast_ttl_max_seconds:
            raise ValueError(
                f"{EnvVar.NWS_FORECAST_TTL_MIN_SECONDS} ({self.forecast_ttl_min_seconds:g}) must not exceed"
                f" {EnvVar.NWS_FORECAST_TTL_MAX_SECONDS} ({self.forecast_ttl_max_seconds:g})"
            )
        limit = TOOL_TIMEOUT_SECONDS / UPSTREAM_REQUESTS_PER_CALL
        if self.retry_budget_seconds >= limit:
            raise ValueError(
                f"{EnvVar.NWS_RETRY_BUDGET_SECONDS} ({self.retry_budget_seconds:g}) must be below {limit:g}:"
                f" a forecast makes {UPSTREAM_REQUESTS_PER_CALL} upstream requests within the"
                f" {TOOL_TIMEOUT_SECONDS:g} s tool timeout"
            )
        return self

    def _check_auth(self) -> None:
        mode = self.effective_auth_mode
        if mode == "token" and self.auth_token is None:
            raise ValueError(f"{EnvVar.AUTH_MODE} is 'token' but {EnvVar.AUTH_TOKEN} is not set")
        if mode != "token" and self.auth_token is not None:
            raise ValueError(
                f"{EnvVar.AUTH_TOKEN} is set but {EnvVar.AUTH_MODE} is '{mode}': unset one of them"
            )
        if mode != "oauth":
            return
        required = {
            EnvVar.PUBLIC_URL: self.public_url,
            EnvVar.OIDC_CONFIG_URL: self.oidc_config_url,
            EnvVar.OIDC_CLIENT_ID: self.oidc_client_id,
            EnvVar.OAUTH_JWT_SIGNING_KEY: self.oauth_jwt_signing_key,
        }
        if self.oauth_store != "memory":
            required[EnvVar.OAUTH_STORAGE_KEY] = self.oauth_storage_key
        missing = [name for name, value in required.items() if value is None]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            raise ValueError(f"{EnvVar.AUTH_MODE} is 'oauth' but {', '.join(missing)} {verb} not set")
        if self.oauth_store == "memory" and self.workers > 1:
            raise ValueError(
                f"{EnvVar.OAUTH_STORE} is 'memory' but {EnvVar.WORKERS} is {self.workers}: each worker "
                "would keep its own sign-ins; use dynamodb:<table> or one worker"
            )

    def _check_shared_cache(self) -> None:
        url = EnvVar.SHARED_CACHE_URL
        if self.shared_cache_url is None:
            needing = [
                name
                for name, value in (
                    (EnvVar.SHARED_CACHE_USERNAME, self.shared_cache_username),
                    (EnvVar.SHARED_CACHE_PASSWORD, self.shared_cache_password),
                    (EnvVar.SHARED_CACHE_IAM_CACHE_NAME, self.shared_cache_iam_cache_name),
                )
                if value is not None
            ]
            if needing:
                raise ValueError(f"{', '.join(needing)} set but {url} is not: set the cache's URL too")
            return
        if self.shared_cache_dir is not None:
            raise ValueError(
                f"{url} and {EnvVar.NWS_SHARED_CACHE_DIR} are both set: the fleet cache replaces the"
                " per-task directory, unset one of them"
            )
        if self.shared_cache_iam_cache_name is not None:
            if self.shared_cache_password is not None:
                raise ValueError(
                    f"{EnvVar.SHARED_CACHE_IAM_CACHE_NAME} (IAM tokens) and {EnvVar.SHARED_CACHE_PASSWORD}"
                    " are both set: unset one of them"
                )
            if self.shared_cache_username is None:
                raise ValueError(
                    f"{EnvVar.SHARED_CACHE_IAM_CACHE_NAME} needs {EnvVar.SHARED_CACHE_USERNAME} (the"
                    " ElastiCache user whose ID and name the token is signed for)"
                )
            if not self.shared_cache_url.startswith("rediss://"):
                raise ValueError(f"IAM authentication needs TLS: {url} must start with rediss://")
            if self.aws_region is None:
                raise ValueError(
                    f"{EnvVar.SHARED_CACHE_IAM_CACHE_NAME} needs {EnvVar.AWS_REGION}, the region to sign"
                    " IAM tokens for"
                )
        elif self.shared_cache_username is not None and self.shared_cache_password is None:
            raise ValueError(
                f"{EnvVar.SHARED_CACHE_USERNAME} needs {EnvVar.SHARED_CACHE_PASSWORD} (or"
                f" {EnvVar.SHARED_CACHE_IAM_CACHE_NAME} for IAM tokens)"
            )

    @property
    def uses_fleet_cache(self) -> bool:
        """True when the caches sit behind the fleet-wide cache server (MCP_SHARED_CACHE_URL)."""
        return self.cache_enabled and self.shared_cache_url is not None

    def secret_values(self) -> tuple[str, ...]:
        """The values of every secret setting that is set: never written to a log line."""
        values = (
            self.auth_token,
            self.oidc_client_secret,
            self.oauth_jwt_signing_key,
            self.oauth_storage_key,
            self.shared_cache_password,
            self.open_meteo_api_key,
        )
        return tuple(value.get_secret_value() for value in values if value is not None)

    @property
    def effective_auth_mode(self) -> AuthMode:
        """MCP_AUTH_MODE, or when unset: token if MCP_AUTH_TOKEN is set, else none (as before)."""
        if self.auth_mode is not None:
            return self.auth_mode
        return "token" if self.auth_token is not None else "none"

    @property
    def dynamodb_table(self) -> str | None:
        """The OAuth store's DynamoDB table, or None for the in-memory store."""
        kind, _, table = self.oauth_store.partition(":")
        return table if kind == "dynamodb" else None

    @property
    def uses_default_user_agent(self) -> bool:
        """True when the operator has not set an identifying User-Agent with a contact."""
        return self.nws_user_agent == DEFAULT_USER_AGENT

    @property
    def keep_alive_seconds(self) -> int:
        """Idle keep-alive: longer than the load balancer's idle timeout, so the balancer closes first."""
        return keep_alive_seconds(self.lb_idle_timeout_seconds)

    @property
    def binds_loopback(self) -> bool:
        """True when the server listens on a loopback address only (a local run)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, each naming the environment variable, for a start-up failure message."""
    lines = []
    for problem in problems(error, whole="configuration"):
        shown = ""
        if isinstance(problem.given, str) and problem.where not in UNECHOED_VARIABLES:
            shown = f" (got {problem.given!r})"
        lines.append(f"{problem.where}: {problem.message}{shown}")
    return "\n".join(lines)
