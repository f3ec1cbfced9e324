"""Values that both halves of the project rely on: the stacks import them, the server serves them.

Dependency-free on purpose: `stacks/` imports this module without pulling in FastMCP or httpx,
and the container image carries it with the rest of `server/`.
"""

from typing import Final, Literal
from urllib.parse import urlsplit

#: Port the server listens on inside the container; the ALB target group forwards here.
CONTAINER_PORT: Final = 8000
#: Streamable HTTP MCP endpoint, served at exactly this path (no trailing-slash redirect).
MCP_PATH: Final = "/mcp"
#: Liveness endpoint: GET and HEAD, 200, no upstream call, no auth, no Host check.
HEALTH_PATH: Final = "/health"

#: Main stack; its name is part of the log group name, so it never changes.
MAIN_STACK_NAME: Final = "McpServerAmazonECSStack"
#: Bootstrap stack that owns the Terraform state bucket.
STATE_BACKEND_STACK_NAME: Final = "McpServerStateBackend"
#: CloudWatch log group of the service's containers.
LOG_GROUP_NAME: Final = f"/aws/ecs/{MAIN_STACK_NAME}"


#: LOG_LEVEL values the server accepts (InfraConfig's log_level takes the same).
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def normalize_origin(origin: str) -> str | None:
    """`scheme://host[:port]` in canonical form (lower case, default port dropped), or None if invalid.

    The one Origin syntax: InfraConfig's allowed_origins and the server's MCP_ALLOWED_ORIGINS both use it.
    """
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    if "*" in host:
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


class EnvVar:
    """Names of the environment variables the server reads (its whole configuration surface)."""

    HOST: Final = "MCP_HOST"
    PORT: Final = "MCP_PORT"
    WORKERS: Final = "MCP_WORKERS"
    AUTH_TOKEN: Final = "MCP_AUTH_TOKEN"  # noqa: S105 (a variable name, not a secret)
    # Authorization mode and the OAuth 2.1 resource server (see server/oauth.py).
    AUTH_MODE: Final = "MCP_AUTH_MODE"
    PUBLIC_URL: Final = "MCP_PUBLIC_URL"
    OIDC_CONFIG_URL: Final = "MCP_OIDC_CONFIG_URL"
    OIDC_CLIENT_ID: Final = "MCP_OIDC_CLIENT_ID"
    OIDC_CLIENT_SECRET: Final = "MCP_OIDC_CLIENT_SECRET"  # noqa: S105
    OAUTH_STORE: Final = "MCP_OAUTH_STORE"
    OAUTH_JWT_SIGNING_KEY: Final = "MCP_OAUTH_JWT_SIGNING_KEY"
    OAUTH_STORAGE_KEY: Final = "MCP_OAUTH_STORAGE_KEY"
    OAUTH_REDIRECT_URIS: Final = "MCP_OAUTH_REDIRECT_URIS"
    OAUTH_REQUIRED_SCOPES: Final = "MCP_OAUTH_REQUIRED_SCOPES"
    # Hostile-client limits and access by group (see server/oauth_registration.py, server/oauth.py).
    OAUTH_REGISTRATIONS_PER_MINUTE: Final = "MCP_OAUTH_REGISTRATIONS_PER_MINUTE"
    OAUTH_ALLOWED_GROUPS: Final = "MCP_OAUTH_ALLOWED_GROUPS"
    ALLOWED_ORIGINS: Final = "MCP_ALLOWED_ORIGINS"
    NWS_API_BASE_URL: Final = "NWS_API_BASE_URL"
    NWS_USER_AGENT: Final = "NWS_USER_AGENT"
    LOG_LEVEL: Final = "LOG_LEVEL"
    # Tuning knobs of the NWS client; every one has a default (see server/settings.py).
    NWS_CACHE_ENABLED: Final = "NWS_CACHE_ENABLED"
    NWS_POINTS_TTL_SECONDS: Final = "NWS_POINTS_TTL_SECONDS"
    NWS_FORECAST_TTL_MIN_SECONDS: Final = "NWS_FORECAST_TTL_MIN_SECONDS"
    NWS_FORECAST_TTL_MAX_SECONDS: Final = "NWS_FORECAST_TTL_MAX_SECONDS"
    NWS_ALERTS_TTL_SECONDS: Final = "NWS_ALERTS_TTL_SECONDS"
    NWS_STALE_WINDOW_SECONDS: Final = "NWS_STALE_WINDOW_SECONDS"
    NWS_CACHE_MAX_ENTRIES: Final = "NWS_CACHE_MAX_ENTRIES"
    NWS_CACHE_MAX_MIB: Final = "NWS_CACHE_MAX_MIB"
    NWS_CONNECT_TIMEOUT_SECONDS: Final = "NWS_CONNECT_TIMEOUT_SECONDS"
    NWS_READ_TIMEOUT_SECONDS: Final = "NWS_READ_TIMEOUT_SECONDS"
    NWS_RETRY_ATTEMPTS: Final = "NWS_RETRY_ATTEMPTS"
    NWS_RETRY_BUDGET_SECONDS: Final = "NWS_RETRY_BUDGET_SECONDS"
    NWS_RETRY_BACKOFF_SECONDS: Final = "NWS_RETRY_BACKOFF_SECONDS"
    # Behaviour under faults and overload (see server/breaker.py, server/shedding.py, server/serving.py).
    NWS_MAX_CONCURRENT_REQUESTS: Final = "NWS_MAX_CONCURRENT_REQUESTS"
    NWS_BREAKER_FAILURES: Final = "NWS_BREAKER_FAILURES"
    NWS_BREAKER_OPEN_SECONDS: Final = "NWS_BREAKER_OPEN_SECONDS"
    MCP_MAX_CONCURRENT_CALLS: Final = "MCP_MAX_CONCURRENT_CALLS"
    MCP_SHUTDOWN_DRAIN_SECONDS: Final = "MCP_SHUTDOWN_DRAIN_SECONDS"
    NWS_SHARED_CACHE_DIR: Final = "NWS_SHARED_CACHE_DIR"
    # Set by the stack from its load balancer; the server derives its keep-alive from it.
    LB_IDLE_TIMEOUT_SECONDS: Final = "MCP_LB_IDLE_TIMEOUT_SECONDS"
    # Traces: set (the stack sets it with tracing_enabled) to export spans over OTLP/HTTP.
    OTEL_EXPORTER_OTLP_ENDPOINT: Final = "OTEL_EXPORTER_OTLP_ENDPOINT"
    # Open-Meteo, which answers outside NWS coverage, finds places and air quality
    # (see server/open_meteo/): full URLs, so commercial customers point them at their own hosts.
    OPEN_METEO_FORECAST_URL: Final = "OPEN_METEO_FORECAST_URL"
    OPEN_METEO_GEOCODING_URL: Final = "OPEN_METEO_GEOCODING_URL"
    OPEN_METEO_AIR_QUALITY_URL: Final = "OPEN_METEO_AIR_QUALITY_URL"
    OPEN_METEO_API_KEY: Final = "OPEN_METEO_API_KEY"
    OPEN_METEO_FORECAST_TTL_SECONDS: Final = "OPEN_METEO_FORECAST_TTL_SECONDS"
    OPEN_METEO_GEOCODING_TTL_SECONDS: Final = "OPEN_METEO_GEOCODING_TTL_SECONDS"
    OPEN_METEO_AIR_QUALITY_TTL_SECONDS: Final = "OPEN_METEO_AIR_QUALITY_TTL_SECONDS"

    # The cache shared by every task of the fleet (server/fleet_cache.py); the stack sets the URL
    # and the IAM user with shared_cache_enabled. Credentials never go into the URL.
    SHARED_CACHE_URL: Final = "MCP_SHARED_CACHE_URL"
    SHARED_CACHE_USERNAME: Final = "MCP_SHARED_CACHE_USERNAME"
    SHARED_CACHE_PASSWORD: Final = "MCP_SHARED_CACHE_PASSWORD"  # noqa: S105 (a variable name)
    SHARED_CACHE_IAM_CACHE_NAME: Final = "MCP_SHARED_CACHE_IAM_CACHE_NAME"
    SHARED_CACHE_TIMEOUT_SECONDS: Final = "MCP_SHARED_CACHE_TIMEOUT_SECONDS"
    SHARED_CACHE_COALESCE: Final = "MCP_SHARED_CACHE_COALESCE"
    # The region of the AWS services the server calls (the stack sets it; IAM tokens are signed for it).
    AWS_REGION: Final = "AWS_REGION"


#: Open-Meteo's hosts for commercial customers (its free hosts with the `customer-` prefix): where the
#: stack points the server when an API key is configured (`open_meteo_api_key_secret_arn`).
OPEN_METEO_CUSTOMER_URLS: Final = {
    EnvVar.OPEN_METEO_FORECAST_URL: "https://customer-api.open-meteo.com/v1/forecast",
    EnvVar.OPEN_METEO_GEOCODING_URL: "https://customer-geocoding-api.open-meteo.com/v1/search",
    EnvVar.OPEN_METEO_AIR_QUALITY_URL: "https://customer-air-quality-api.open-meteo.com/v1/air-quality",
}


class ContainerHealthCheck:
    """The one container health check: `python -m server.healthcheck`, with these timings both in the
    image (Dockerfile HEALTHCHECK) and in the ECS task definition (tests hold the two together)."""

    COMMAND: Final = ("python", "-m", "server.healthcheck")
    INTERVAL_SECONDS: Final = 10
    TIMEOUT_SECONDS: Final = 3
    RETRIES: Final = 3
    START_PERIOD_SECONDS: Final = 15
    #: The probe gives up a second before the runtime would kill it, so it reports why.
    PROBE_TIMEOUT_SECONDS: Final = TIMEOUT_SECONDS - 1


#: Where the upstream identity provider (Cognito) sends the browser back after sign-in: FastMCP's
#: OAuth callback on the server's own public URL. The Cognito app client registers exactly this.
OAUTH_CALLBACK_PATH: Final = "/auth/callback"

#: Redirect URIs MCP clients may register when none are configured, one entry per client that uses it
#: (the README cites each client's documentation): Claude on the web and Desktop (both hosts: Claude
#: announced the move to claude.com), ChatGPT's connector callback, and loopback clients on any port
#: and path (VS Code desktop on 127.0.0.1; Claude Code and the MCP Inspector on localhost).
#: `https://vscode.dev/redirect` is left out on purpose: it forwards the code to whatever address the
#: `state` parameter names, which whoever starts a sign-in chooses.
DEFAULT_OAUTH_REDIRECT_URIS: Final = (
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
    "https://chatgpt.com/connector_platform_oauth_redirect",
    "http://127.0.0.1:*",
    "http://localhost:*",
)
#: Registrations one client address may make per minute, counted across every worker and task.
DEFAULT_OAUTH_REGISTRATIONS_PER_MINUTE: Final = 10

#: Seconds the server gives in-flight requests after SIGTERM; the task definition's stopTimeout
#: is set above this so ECS does not SIGKILL a draining server.
SHUTDOWN_GRACE_SECONDS: Final = 20
#: The task definition's stopTimeout: the grace period plus room for uvicorn to exit after it.
STOP_TIMEOUT_SECONDS: Final = SHUTDOWN_GRACE_SECONDS + 10
#: Non-root uid:gid the image creates and runs as (server/Dockerfile `USER`); the task definition
#: sets it too, so a foreign image never runs as root either.
CONTAINER_USER: Final = "10001:10001"


#: The stack's default ALB idle timeout: long enough for streamed (SSE) MCP responses. Also what a
#: server assumes when no load balancer told it otherwise.
DEFAULT_LB_IDLE_TIMEOUT_SECONDS: Final = 300
#: Largest idle timeout an ALB accepts.
MAX_LB_IDLE_TIMEOUT_SECONDS: Final = 4000
#: How much longer the server keeps an idle connection than the load balancer in front of it.
KEEP_ALIVE_MARGIN_SECONDS: Final = 5


def keep_alive_seconds(lb_idle_timeout_seconds: int) -> int:
    """The server's idle keep-alive for a load balancer idle timeout.

    AWS: a target's keep-alive must exceed the load balancer's idle timeout, so the load balancer,
    not the target, closes idle connections. The other way round, the ALB reuses a connection the
    target just closed and answers 502.
    """
    return lb_idle_timeout_seconds + KEEP_ALIVE_MARGIN_SECONDS


#: Every key the server writes to the fleet cache starts with this; the stack's ElastiCache user
#: may touch these keys only (SHARED_CACHE_ACCESS_STRING).
SHARED_CACHE_KEY_PREFIX: Final = "mcp-weather:"
#: The ElastiCache (Valkey) access string of the server's user: on, its own keys, and the commands
#: the server sends (GET, SET with EX/NX/PX, DEL, PING) and nothing else. AUTH and HELLO need no
#: permission. Tests run the server against a redis-server user with exactly this string.
SHARED_CACHE_ACCESS_STRING: Final = f"on ~{SHARED_CACHE_KEY_PREFIX}* -@all +get +set +del +ping"
#: Port of the fleet cache (Valkey's default).
SHARED_CACHE_PORT: Final = 6379
