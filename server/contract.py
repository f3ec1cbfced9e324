"""Values that both halves of the project rely on: the stacks import them, the server serves them.

Dependency-free on purpose: `stacks/` imports this module without pulling in FastMCP or httpx,
and the container image carries it with the rest of `server/`.
"""

from typing import Final

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


class EnvVar:
    """Names of the environment variables the server reads (its whole configuration surface)."""

    HOST: Final = "MCP_HOST"
    PORT: Final = "MCP_PORT"
    WORKERS: Final = "MCP_WORKERS"
    AUTH_TOKEN: Final = "MCP_AUTH_TOKEN"  # noqa: S105 (a variable name, not a secret)
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
    NWS_CONNECT_TIMEOUT_SECONDS: Final = "NWS_CONNECT_TIMEOUT_SECONDS"
    NWS_READ_TIMEOUT_SECONDS: Final = "NWS_READ_TIMEOUT_SECONDS"
    NWS_RETRY_ATTEMPTS: Final = "NWS_RETRY_ATTEMPTS"
    NWS_RETRY_BUDGET_SECONDS: Final = "NWS_RETRY_BUDGET_SECONDS"
    NWS_RETRY_BACKOFF_SECONDS: Final = "NWS_RETRY_BACKOFF_SECONDS"


#: Seconds the server gives in-flight requests after SIGTERM; the task definition's stopTimeout
#: is set above this so ECS does not SIGKILL a draining server.
SHUTDOWN_GRACE_SECONDS: Final = 20
