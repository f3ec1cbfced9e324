"""InfraConfig: every knob of the infrastructure, typed, validated and documented in one place.

Values come from, in rising precedence: the defaults below (the AWS sample's values), the
``context`` block of ``cdktf.json``, and environment variables named ``MCP_STACK_<KEY>`` (lists
and maps as JSON). This is the only module that reads the environment or cdktf.json; constructs
receive what they need through their props objects.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from server.contract import (
    CONTAINER_PORT,
    DEFAULT_LB_IDLE_TIMEOUT_SECONDS,
    DEFAULT_OAUTH_REDIRECT_URIS,
    DEFAULT_OAUTH_REGISTRATIONS_PER_MINUTE,
    HEALTH_PATH,
    MAX_LB_IDLE_TIMEOUT_SECONDS,
    LogLevel,
    normalize_origin,
)
from server.problems import problems, required

from .instance_types import SUPPORTED_FAMILIES, InstanceCapacity, graviton_capacity

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "MCP_STACK_"

#: cdktf's own feature flags live in the same context block; they are not ours to validate.
CDKTF_CONTEXT_FLAGS = frozenset({"excludeStackIdFromLogicalIds", "allowSepCharsInLogicalIds"})

#: Retention periods CloudWatch Logs accepts (0 = never expire).
LOG_RETENTION_DAYS = (
    0,
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

#: The ECS-optimized Amazon Linux 2023 arm64 AMI, resolved by EC2 at every instance launch.
DEFAULT_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
# registry/repository:tag or @sha256:digest; an explicit tag or digest is required, never "latest" implied.
_IMAGE_URI = re.compile(
    r"^(?P<registry>[a-z0-9.-]+(:\d+)?)/(?P<repository>[a-z0-9._/-]+)"
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@sha256:[a-f0-9]{64})$"
)
_ECR_REGISTRY = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")
_TAG_KEY = re.compile(r"^[\w .:/=+\-@]{1,128}$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# AWS documents zone IDs as opaque (at most 32 upper-case letters and digits; in practice Z...).
_HOSTED_ZONE = re.compile(r"^[A-Z0-9]{1,32}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
# https://host[:port][/path] (wildcards allowed, but not in the host's registrable part), or http on
# a loopback host with any port.
_REDIRECT_HTTPS = re.compile(r"^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(\.[a-z]{2,63})(:\d{1,5})?(/[^\s#]*)?$")
_REDIRECT_LOOPBACK = re.compile(r"^http://(localhost|127\.0\.0\.1)(:(\d{1,5}|\*))?(/[^\s#]*)?$")

#: Scopes a Cognito app client grants without a resource server (oauth_required_scopes).
OAUTH_STANDARD_SCOPES = ("openid", "email", "profile", "phone")
#: A Cognito group the stack creates for oauth_allowed_groups (also part of a Terraform address).
_COGNITO_GROUP = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
#: Words Cognito refuses in a prefix domain (derived from `name` in oauth mode).
_COGNITO_RESERVED = ("aws", "amazon", "cognito")


def _matching(pattern: re.Pattern[str] | str, message: str) -> AfterValidator:
    """A check for the common shape "a string (or None) that must match this pattern"."""
    compiled = re.compile(pattern) if isinstance(pattern, str) else pattern

    def check(value: str | None) -> str | None:
        if value is not None and not compiled.match(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


_RegionCode = Annotated[str | None, _matching(_REGION, "must be an AWS region code such as 'us-east-1'")]
_ImageUri = Annotated[
    str | None,
    _matching(
        _IMAGE_URI,
        "must be 'registry/repository:tag' or 'registry/repository@sha256:<digest>' with an explicit tag "
        "or digest (for example 123456789012.dkr.ecr.us-east-1.amazonaws.com/mcp:1.0)",
    ),
]
_CollectorImage = Annotated[
    str,
    _matching(
        _IMAGE_URI,
        "must be 'registry/repository:tag' or 'registry/repository@sha256:<digest>' with an explicit tag "
        "or digest (for example public.ecr.aws/aws-observability/aws-otel-collector:v0.45.0)",
    ),
]
_CertificateArn = Annotated[
    str | None,
    _matching(
        _CERTIFICATE_ARN, "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"
    ),
]
_SecretArn = Annotated[
    str | None,
    _matching(
        _SECRET_ARN,
        "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<id>)",
    ),
]
_DomainName = Annotated[
    str | None, _matching(_DOMAIN, "must be a lower-case fully qualified host name such as mcp.example.com")
]
_HostedZoneId = Annotated[
    str | None,
    _matching(
        _HOSTED_ZONE, "must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ (without /hostedzone/)"
    ),
]
_TlsPolicy = Annotated[
    str,
    _matching(
        r"^ELBSecurityPolicy-TLS13-",
        "must be a TLS 1.3 ALB security policy (ELBSecurityPolicy-TLS13-...), for example "
        "ELBSecurityPolicy-TLS13-1-2-2021-06 or ELBSecurityPolicy-TLS13-1-3-2021-06",
    ),
]
_Email = Annotated[str | None, _matching(_EMAIL, "must be an email address")]
_BucketName = Annotated[
    str | None,
    _matching(
        r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        "must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)",
    ),
]


class InfraConfigError(ValueError):
    """Configuration that cannot produce a working deployment; the message names each bad key."""


def _read_context(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError as error:
        raise InfraConfigError(f"{path}: not valid JSON ({error})") from None
    context = document.get("context", {})
    if not isinstance(context, dict):
        raise InfraConfigError(f"{path}: 'context' must be a JSON object")
    return context


class InfraConfig(BaseSettings):
    """Every infrastructure setting. Field descriptions are the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", frozen=True, validate_default=True
    )

    # --- identity -------------------------------------------------------------------------------
    name: str = Field(
        "mcp-server",
        description="Prefix of every named resource (cluster, service, ALB, roles, repository). "
        "2-20 lower-case letters, digits and hyphens, starting with a letter: derived names such as "
        "`{name}-tasks` must fit the 32-character ALB and target group limit.",
    )
    region: _RegionCode = Field(
        None,
        description="AWS region. Unset: the provider uses the standard AWS environment "
        "(AWS_REGION / profile) at plan time.",
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Extra tags for every resource, on top of project, stack and managed-by.",
    )

    # --- network --------------------------------------------------------------------------------
    vpc_cidr: str = Field("10.0.0.0/16", description="IPv4 CIDR of the VPC, /16 to /24.")
    az_count: int = Field(2, ge=2, le=4, description="Availability zones to spread subnets over (2-4).")
    availability_zones: list[str] = Field(
        default_factory=list,
        description='Pin the zones by name (e.g. ["us-east-1a", "us-east-1b"]), az_count of them. '
        "Empty: the region's first az_count zones, looked up at plan time.",
    )
    nat_gateway_per_az: bool = Field(
        False, description="One NAT gateway per AZ (resilient to an AZ outage) instead of one shared."
    )
    alb_ingress_cidrs: list[str] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        min_length=1,
        description="CIDRs (IPv4 or IPv6) allowed to reach the load balancer's listeners.",
    )

    # --- EC2 capacity ---------------------------------------------------------------------------
    instance_type: str = Field(
        "c6g.xlarge", description="Graviton (arm64) instance type for the ECS container instances."
    )
    instance_min_count: int = Field(1, ge=0, le=100, description="Auto Scaling group minimum size.")
    instance_max_count: int = Field(
        2,
        ge=1,
        le=100,
        description="Auto Scaling group maximum size. The default 2 gives a rolling deploy room for the "
        "new task next to the old one (ECS managed scaling adds the instance, then removes it).",
    )
    ami_ssm_parameter: str = Field(
        DEFAULT_AMI_PARAMETER,
        description="Public SSM parameter naming the ECS-optimized arm64 AMI; EC2 resolves it at each "
        "instance launch, so plans stay stable while new instances get the current AMI.",
    )
    root_volume_size_gib: int = Field(
        30, ge=30, le=16384, description="Encrypted gp3 root volume size (the AL2023 ECS AMI needs 30)."
    )

    # --- service --------------------------------------------------------------------------------
    task_cpu: int = Field(2048, ge=256, le=16384, description="Task CPU units (1024 = one vCPU).")
    task_memory_mib: int = Field(4096, ge=512, description="Task memory in MiB.")
    desired_task_count: int = Field(1, ge=0, le=100, description="Tasks the service keeps running.")
    container_port: int = Field(
        CONTAINER_PORT, ge=1024, le=65535, description="Port the server listens on in the container."
    )
    health_check_path: str = Field(
        HEALTH_PATH,
        description=f"Target group health check path. Only with image_uri (another server): the image "
        f"built from server/ answers {HEALTH_PATH} only. With another path the task definition has no "
        "container health check; the target group's decides.",
    )
    health_check_interval_seconds: int = Field(
        5, ge=5, le=300, description="Seconds between ALB health checks."
    )
    health_check_timeout_seconds: int = Field(
        3, ge=2, le=120, description="Health check timeout; must be below the interval."
    )
    health_check_grace_period_seconds: int = Field(
        30, ge=0, le=2147483647, description="Seconds ECS ignores failing health checks after a start."
    )
    deregistration_delay_seconds: int = Field(
        15, ge=0, le=3600, description="Seconds the ALB drains a target before removing it."
    )
    alb_deletion_protection: bool = Field(
        False,
        description="Refuse to delete the load balancer (turn off before `cdktf destroy`). Off by "
        "default so teardown works.",
    )
    alb_idle_timeout_seconds: int = Field(
        DEFAULT_LB_IDLE_TIMEOUT_SECONDS,
        ge=1,
        le=MAX_LB_IDLE_TIMEOUT_SECONDS,
        description="ALB idle timeout; long enough for streamed (SSE) MCP responses. The server keeps "
        "idle connections a few seconds longer (it is told this value).",
    )
    log_retention_days: int = Field(
        30, description=f"CloudWatch log retention in days, one of {LOG_RETENTION_DAYS} (0 = forever)."
    )
    log_level: LogLevel = Field("INFO", description="Server log level (LOG_LEVEL in the container).")
    nws_contact: str | None = Field(
        None,
        description="Operator contact (email or URL) sent to the NWS API in the User-Agent. NWS asks "
        "every client to identify itself and may block anonymous ones.",
    )

    # --- image ----------------------------------------------------------------------------------
    image_uri: _ImageUri = Field(
        None,
        description="Prebuilt image (registry/repo:tag or @sha256:digest). Unset: the image is built "
        "from server/ for linux/arm64 and pushed to the stack's ECR repository during deploy.",
    )
    image_retention_count: int = Field(
        10, ge=1, le=1000, description="Images the ECR lifecycle policy keeps."
    )
    teardown_deletes_data: bool = Field(
        True,
        description="Let `cdktf destroy` delete the ECR repository with its images (rebuilt from "
        "source on the next deploy) and the ALB access-log bucket with its logs. Set false to make "
        "destroy stop at non-empty ones instead.",
    )

    # --- HTTPS and domain -----------------------------------------------------------------------
    certificate_arn: _CertificateArn = Field(
        None,
        description="ACM certificate for an HTTPS :443 listener; :80 then answers a 301 redirect to "
        "HTTPS. Not needed with `domain_name` + `hosted_zone_id` (a certificate is created).",
    )
    domain_name: _DomainName = Field(
        None,
        description="Host name clients use (mcp.example.com). With `hosted_zone_id`: a DNS-validated "
        "ACM certificate (unless `certificate_arn` is given) and an alias record to the ALB.",
    )
    hosted_zone_id: _HostedZoneId = Field(None, description="Route 53 public hosted zone of `domain_name`.")
    tls_policy: _TlsPolicy = Field(
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        description="HTTPS listener security policy (TLS 1.3, with 1.2 for older clients); "
        "ELBSecurityPolicy-TLS13-1-3-2021-06 allows TLS 1.3 only.",
    )

    # --- authentication -------------------------------------------------------------------------
    auth_mode: Literal["none", "token", "oauth"] = Field(
        "none",
        description="Who may use /mcp. `none`: anyone who can reach it. `token`: one shared bearer token "
        "(Secrets Manager, generated at deploy, never in state or outputs; MCP_AUTH_TOKEN in the "
        "container). `oauth`: each person signs in with OAuth 2.1 through a Cognito user pool (needs "
        "HTTPS with a host name: `domain_name` with `hosted_zone_id` or `certificate_arn`).",
    )
    auth_enabled: bool = Field(
        False,
        description="Deprecated spelling of `auth_mode: token` (still accepted: true means `token`). "
        'Write `"auth_mode": "token"` instead.',
    )
    auth_token_secret_arn: _SecretArn = Field(
        None,
        description="With `auth_mode` `token`: use this existing Secrets Manager secret as the token "
        "instead of generating one (on its own it implies `token`).",
    )
    auth_token_version: int = Field(
        1, ge=1, description="Bump to generate a new token and roll the tasks onto it (rotation)."
    )
    oauth_mfa: Literal["off", "optional", "required"] = Field(
        "optional",
        description="`oauth`: multi-factor sign-in with an authenticator app (TOTP). `optional`: each "
        "person may enrol; `required`: everyone enrols at first sign-in; `off`: passwords only.",
    )
    oauth_access_token_minutes: int = Field(
        60,
        ge=5,
        le=1440,
        description="`oauth`: lifetime of an access token in minutes (5-1440); clients refresh silently "
        "with a 30-day refresh token.",
    )
    oauth_allowed_redirect_uris: list[str] = Field(
        default_factory=lambda: list(DEFAULT_OAUTH_REDIRECT_URIS),
        min_length=1,
        description="`oauth`: redirect URIs MCP clients may register: an entry without `*` admits exactly "
        "that URI (query included), `*` matches any port or path part. The default admits Claude (web, "
        "Desktop), ChatGPT and loopback clients (VS Code, Claude Code, the MCP Inspector, mcp-remote) "
        "and nothing else. https, or http on localhost/127.0.0.1 only.",
    )
    oauth_required_scopes: list[str] = Field(
        default_factory=lambda: ["openid"],
        min_length=1,
        description="`oauth`: scopes every access token must carry; any of openid, email, profile, "
        "phone, with openid always included.",
    )
    oauth_self_signup: bool = Field(
        False,
        description="`oauth`: let people create their own account on the sign-in page. Off: only users "
        "an administrator creates can sign in.",
    )
    oauth_keys_version: int = Field(
        1,
        ge=1,
        description="`oauth`: bump to generate new token-signing and storage-encryption keys and roll "
        "the tasks onto them; every client then signs in again.",
    )
    oauth_allowed_groups: list[str] = Field(
        default_factory=list,
        description="`oauth`: only members of these Cognito groups may sign in; others get a 403 page at "
        "sign-in, and a member removed from them is refused at the next token refresh. The stack creates "
        "the groups (letters, digits, `_`, `-`). Empty: everyone in the user pool.",
    )
    oauth_registrations_per_minute: int = Field(
        DEFAULT_OAUTH_REGISTRATIONS_PER_MINUTE,
        ge=1,
        le=10000,
        description="`oauth`: client registrations one address may make per minute, counted across every "
        "task in the state table; more are answered 429 with Retry-After.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins (scheme://host[:port]) the server accepts in an Origin header "
        "(MCP_ALLOWED_ORIGINS). Requests without Origin (non-browser clients) always pass.",
    )

    # --- scaling --------------------------------------------------------------------------------
    autoscaling_max_task_count: int | None = Field(
        None,
        ge=1,
        le=100,
        description="Turn on service autoscaling up to this many tasks (unset: fixed desired_task_count).",
    )
    autoscaling_min_task_count: int = Field(1, ge=1, le=100, description="Autoscaling lower bound.")
    autoscaling_cpu_target_percent: int = Field(
        60, ge=10, le=90, description="Target average service CPU utilization."
    )
    autoscaling_requests_per_target: int = Field(
        1000, ge=10, le=100000, description="Target ALB requests per task per minute."
    )

    # --- observability --------------------------------------------------------------------------
    alarms_enabled: bool = Field(
        True,
        description="CloudWatch alarms: ALB 5xx, unhealthy targets, p95 response time, service CPU and "
        "memory, running tasks below desired, upstream (NWS and Open-Meteo) error rate.",
    )
    alarm_email: _Email = Field(None, description="Email subscribed to an SNS topic the alarms notify.")
    alarm_response_time_p95_seconds: float = Field(
        2.0, gt=0, le=60, description="p95 target response time that raises the latency alarm."
    )
    alarm_5xx_per_minute: int = Field(5, ge=1, description="ALB + target 5xx per minute that raise an alarm.")
    alarm_cpu_percent: int = Field(80, ge=10, le=100, description="Service CPU utilization alarm threshold.")
    alarm_memory_percent: int = Field(
        80, ge=10, le=100, description="Service memory utilization alarm threshold."
    )
    alarm_nws_error_rate_percent: int = Field(
        20,
        ge=1,
        le=100,
        description="Share of NWS requests, or of Open-Meteo requests, failing (5xx, 429, timeouts) over "
        "5 minutes that raises an alarm; from the server's embedded metrics.",
    )
    alarm_oauth_registrations_per_minute: int = Field(
        30,
        ge=1,
        le=100000,
        description="`oauth`: client registrations per minute, from all addresses together, that raise an "
        "alarm (each fills the state table for 30 days); from the server's embedded metrics.",
    )
    dashboard_enabled: bool = Field(True, description="A CloudWatch dashboard for the service.")
    alb_access_logs_enabled: bool = Field(
        False, description="ALB access logs to an encrypted, private S3 bucket with expiry."
    )
    alb_access_logs_retention_days: int = Field(90, ge=1, le=3650, description="Days access logs are kept.")

    tracing_enabled: bool = Field(
        False,
        description="OpenTelemetry traces to AWS X-Ray: an AWS Distro for OpenTelemetry collector "
        "sidecar in each task (arm64, health-checked, own log stream); the task role may only send "
        "traces. Off: the server exports nothing.",
    )
    tracing_sample_percent: float = Field(
        5.0,
        ge=0,
        le=100,
        description="Share of tool calls whose traces are recorded when no client decided (a client's "
        "sampled trace context is always followed).",
    )
    tracing_collector_image: _CollectorImage = Field(
        "public.ecr.aws/aws-observability/aws-otel-collector:v0.45.0",
        description="AWS Distro for OpenTelemetry collector image (multi-arch, arm64 included) of the "
        "tracing sidecar, with an explicit tag or digest.",
    )

    # --- edge and data protection ---------------------------------------------------------------
    waf_enabled: bool = Field(
        False,
        description="AWS WAF web ACL on the load balancer: AWS managed rule groups (common rule set, "
        "known bad inputs, Amazon IP reputation list) and a per-client-IP rate limit answering 429; "
        "WAF logs to CloudWatch Logs (`aws-waf-logs-{name}`, log_retention_days).",
    )
    waf_rate_limit_per_5_minutes: int = Field(
        1000,
        ge=10,
        le=2000000000,
        description="Requests one client IP may send in any 5-minute window before WAF answers 429 "
        "(WAF's minimum is 10). The limit holds across every task, unlike per-process limits.",
    )
    waf_oauth_rate_limit_per_5_minutes: int = Field(
        300,
        ge=10,
        le=2000000000,
        description="`oauth` with `waf_enabled`: requests one client IP may send to the sign-in paths "
        "(/register, /authorize, /token, /consent, /auth/callback) in any 5-minute window before WAF "
        "answers 429. A sign-in takes about six.",
    )
    vpc_flow_logs_enabled: bool = Field(
        False,
        description="VPC flow logs of rejected traffic to CloudWatch Logs (`/aws/vpc/{name}/flow-logs`, "
        "log_retention_days), written through a role scoped to that log group.",
    )
    kms_key_enabled: bool = Field(
        False,
        description="One customer-managed KMS key (yearly rotation) for the log groups, the token "
        "secret and the ECR repository; its key policy lets only those services use it. Switching it "
        "on or off replaces the ECR repository (its images are rebuilt on deploy). With "
        "`open_meteo_api_key_secret_arn`, that secret may be encrypted with this key too.",
    )

    # --- network and debugging ------------------------------------------------------------------
    vpc_endpoints_enabled: bool = Field(
        False,
        description="VPC endpoints (ECR api/dkr, CloudWatch Logs, Secrets Manager with auth or an "
        "Open-Meteo key, S3 gateway) so image pulls, secrets and logs skip the NAT gateway.",
    )
    ecs_exec_enabled: bool = Field(
        False,
        description="ECS Exec (`aws ecs execute-command`) for debugging: adds only the SSM channel "
        "permissions, and makes the root filesystem writable (the exec agent needs it).",
    )

    # --- state ----------------------------------------------------------------------------------
    state_bucket: _BucketName = Field(
        None,
        description="S3 bucket for the main stack's Terraform state (from the McpServerStateBackend "
        "stack). Unset: local state file, no AWS account needed to synth or experiment.",
    )
    state_bucket_region: _RegionCode = Field(
        None, description="Region of the state bucket; defaults to `region`, then the AWS environment."
    )
    state_bucket_path_style: bool = Field(
        False,
        description="Path-style S3 addressing for the state backend, for S3-compatible endpoints "
        "(MinIO, emulators); AWS itself needs no change.",
    )

    # --- Open-Meteo -----------------------------------------------------------------------------
    open_meteo_api_key_secret_arn: _SecretArn = Field(
        None,
        description="An existing Secrets Manager secret holding an Open-Meteo API key (commercial use), "
        "injected as OPEN_METEO_API_KEY (never in state, plans or outputs); the task execution role may "
        "read it. Unset: Open-Meteo's free non-commercial API, without a key.",
    )

    # --- fleet cache ----------------------------------------------------------------------------
    shared_cache_enabled: bool = Field(
        False,
        description="One ElastiCache for Valkey cache shared by every task (MCP_SHARED_CACHE_URL), "
        "so upstream requests stay flat as tasks are added and any task answers stale for a key "
        "another fetched. TLS in transit, encrypted at rest, IAM authentication (no password exists), "
        "private subnets, reachable from the tasks only; CPU, memory and eviction alarms.",
    )
    shared_cache_node_type: str = Field(
        "cache.t4g.micro",
        description="ElastiCache node type of the fleet cache (Graviton by default: 2 vCPUs, 0.5 GiB).",
    )
    shared_cache_replicas: int = Field(
        0,
        ge=0,
        le=5,
        description="Read replicas of the fleet cache's primary (0-5). 1 or more turn on Multi-AZ with "
        "automatic failover; 0 is one node (a failure empties the cache; the tasks carry on without it).",
    )

    # --- validation -----------------------------------------------------------------------------
    @field_validator("shared_cache_node_type")
    @classmethod
    def _cache_node_type_shape(cls, value: str) -> str:
        if not re.fullmatch(r"cache\.[a-z0-9]+\.[a-z0-9]+", value):
            raise ValueError("must be an ElastiCache node type such as cache.t4g.micro or cache.r7g.large")
        return value

    @field_validator("name")
    @classmethod
    def _name_fits_aws_limits(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                "must be 2-20 characters of lower-case letters, digits and hyphens, start with a "
                "letter and not end with a hyphen (derived ALB/target group names are limited to 32)"
            )
        if value.startswith(("aws", "ecs", "fargate")):
            raise ValueError(
                "must not start with 'aws', 'ecs' or 'fargate' (reserved by ECS capacity providers)"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _tags_valid(cls, value: dict[str, str]) -> dict[str, str]:
        for key, tag_value in value.items():
            if not _TAG_KEY.match(key) or key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r} is not a valid AWS tag key (1-128 chars, not 'aws:')")
            if len(tag_value) > 256:
                raise ValueError(f"tag {key!r}: value longer than 256 characters")
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr_valid(cls, value: str) -> str:
        network = _ipv4_network(value)
        if not 16 <= network.prefixlen <= 24:
            raise ValueError(f"{value} has a /{network.prefixlen} prefix; a VPC needs /16 to /24")
        return value

    @field_validator("availability_zones")
    @classmethod
    def _zone_names(cls, value: list[str]) -> list[str]:
        for zone in value:
            if not re.match(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d[a-z]$", zone):
                raise ValueError(f"{zone!r} is not an availability zone name such as 'us-east-1a'")
        if len(set(value)) != len(value):
            raise ValueError("lists a zone twice")
        if len({zone[:-1] for zone in value}) > 1:
            raise ValueError("mixes zones of different regions")
        return value

    @field_validator("alb_ingress_cidrs")
    @classmethod
    def _ingress_cidrs_valid(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError as error:
                raise ValueError(f"{cidr!r} is not a CIDR block ({error})") from None
        return value

    @field_validator("instance_type")
    @classmethod
    def _graviton_only(cls, value: str) -> str:
        if graviton_capacity(value) is None:
            raise ValueError(
                f"{value!r} is not a Graviton (arm64) instance type; the ECS-optimized arm64 AMI "
                f"needs one of the families {', '.join(SUPPORTED_FAMILIES)} (for example c6g.xlarge)"
            )
        return value

    @field_validator("ami_ssm_parameter")
    @classmethod
    def _arm64_ami(cls, value: str) -> str:
        if not value.startswith("/aws/service/ecs/optimized-ami/") or "/arm64/" not in value:
            raise ValueError(
                "must be an ECS-optimized arm64 AMI parameter under /aws/service/ecs/optimized-ami/ "
                f"containing '/arm64/' (default {DEFAULT_AMI_PARAMETER})"
            )
        return value

    @field_validator("health_check_path")
    @classmethod
    def _path_shape(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > 1024 or any(c.isspace() for c in value):
            raise ValueError("must start with '/' and contain no whitespace (max 1024 characters)")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention_allowed(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"{value} is not a CloudWatch retention period; use one of {LOG_RETENTION_DAYS}")
        return value

    @field_validator("nws_contact")
    @classmethod
    def _contact_shape(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or len(value) > 200 or any(c in value for c in "()\r\n")):
            raise ValueError("must be an email address or URL (max 200 characters, no parentheses)")
        return value

    @field_validator("oauth_allowed_redirect_uris")
    @classmethod
    def _redirect_uris_shape(cls, value: list[str]) -> list[str]:
        for uri in value:
            if not (_REDIRECT_HTTPS.match(uri) or _REDIRECT_LOOPBACK.match(uri)):
                raise ValueError(
                    f"{uri!r} is not an allowed redirect URI pattern: use https://host/path (a wildcard "
                    "may stand for a port or path part, not the host) or http://localhost:* / "
                    "http://127.0.0.1:* for loopback clients"
                )
        if len(set(value)) != len(value):
            raise ValueError("lists a redirect URI twice")
        return value

    @field_validator("oauth_allowed_groups")
    @classmethod
    def _groups_shape(cls, value: list[str]) -> list[str]:
        for group in value:
            if not _COGNITO_GROUP.match(group):
                raise ValueError(
                    f"{group[:40]!r} is not a group name this stack can create: 1-128 letters, digits, "
                    "'_' or '-'"
                )
        if len(set(value)) != len(value):
            raise ValueError("lists a group twice")
        return value

    @field_validator("oauth_required_scopes")
    @classmethod
    def _scopes_known(cls, value: list[str]) -> list[str]:
        unknown = [scope for scope in value if scope not in OAUTH_STANDARD_SCOPES]
        if unknown:
            raise ValueError(
                f"{', '.join(map(repr, unknown))}: only the standard scopes "
                f"{', '.join(OAUTH_STANDARD_SCOPES)} are supported"
            )
        if "openid" not in value:
            raise ValueError("must include 'openid' (the sign-in itself)")
        return list(dict.fromkeys(value))

    @model_validator(mode="before")
    @classmethod
    def _migrate_auth_enabled(cls, data: Any) -> Any:
        """`auth_enabled: true` and `auth_token_secret_arn` alone keep meaning token auth."""
        if not isinstance(data, dict) or "auth_mode" in data:
            return data
        enabled = data.get("auth_enabled")
        if isinstance(enabled, str):
            enabled = enabled.strip().lower() in ("1", "true", "yes", "on")
        if enabled or data.get("auth_token_secret_arn"):
            return {**data, "auth_mode": "token"}
        return data

    @field_validator("allowed_origins")
    @classmethod
    def _origins_shape(cls, value: list[str]) -> list[str]:
        normalized = []
        for origin in value:
            canonical = normalize_origin(origin)
            if canonical is None:
                raise ValueError(
                    f"{origin!r} is not an origin; use scheme://host[:port] with no path or wildcard"
                )
            normalized.append(canonical)
        return list(dict.fromkeys(normalized))

    @model_validator(mode="after")
    def _consistent(self) -> InfraConfig:
        if self.health_check_path != HEALTH_PATH and self.image_uri is None:
            raise ValueError(
                f"health_check_path ({self.health_check_path}) can only change together with image_uri: "
                f"the image built from server/ answers health checks on {HEALTH_PATH} only"
            )
        if self.instance_min_count > self.instance_max_count:
            raise ValueError(
                f"instance_min_count ({self.instance_min_count}) is greater than instance_max_count "
                f"({self.instance_max_count})"
            )
        if self.availability_zones and len(self.availability_zones) != self.az_count:
            raise ValueError(
                f"availability_zones lists {len(self.availability_zones)} zones, az_count is {self.az_count}"
            )
        if self.availability_zones and self.region and not self.availability_zones[0].startswith(self.region):
            raise ValueError(f"availability_zones are not in region {self.region}")
        if self.hosted_zone_id is not None and self.domain_name is None:
            raise ValueError("hosted_zone_id needs domain_name (the record to create in that zone)")
        if self.domain_name is not None and self.hosted_zone_id is None and self.certificate_arn is None:
            raise ValueError(
                "domain_name needs hosted_zone_id (to create and validate a certificate) or certificate_arn"
            )
        if self.autoscaling_enabled and not (
            self.autoscaling_min_task_count <= self.desired_task_count <= self.autoscaling_max_task_count
        ):
            raise ValueError(
                f"with autoscaling, autoscaling_min_task_count ({self.autoscaling_min_task_count}) <= "
                f"desired_task_count ({self.desired_task_count}) <= autoscaling_max_task_count "
                f"({self.autoscaling_max_task_count}) must hold"
            )
        if self.health_check_timeout_seconds >= self.health_check_interval_seconds:
            raise ValueError(
                f"health_check_timeout_seconds ({self.health_check_timeout_seconds}) must be below "
                f"health_check_interval_seconds ({self.health_check_interval_seconds})"
            )
        self._check_auth()
        self._check_task_fits()
        self._check_shared_cache()
        return self

    def _check_shared_cache(self) -> None:
        if not self.shared_cache_enabled:
            unused = [
                key
                for key, used in (
                    ("shared_cache_node_type", self.shared_cache_node_type != "cache.t4g.micro"),
                    ("shared_cache_replicas", self.shared_cache_replicas != 0),
                )
                if used
            ]
            if unused:
                raise ValueError(f"{' and '.join(unused)} only apply with shared_cache_enabled: set it true")
            return
        if "--" in self.name:
            raise ValueError(
                f"with shared_cache_enabled, name ({self.name!r}) names the ElastiCache cache, whose "
                "IDs may not contain two hyphens in a row: choose another name"
            )

    def _check_auth(self) -> None:
        if self.auth_mode != "token":
            legacy = [
                key
                for key, used in (
                    ("auth_enabled", self.auth_enabled),
                    ("auth_token_secret_arn", self.auth_token_secret_arn is not None),
                )
                if used
            ]
            if legacy:
                raise ValueError(
                    f"auth_mode is '{self.auth_mode}' but {' and '.join(legacy)} only apply to token auth: "
                    f'remove {" and ".join(legacy)}, or write "auth_mode": "token"'
                )
        if self.auth_mode != "oauth":
            return
        if self.domain_name is None or not self.https_enabled:
            raise ValueError(
                "auth_mode 'oauth' needs HTTPS with a host name (sign-in redirects and token audiences "
                "use it): set domain_name with hosted_zone_id, or domain_name with certificate_arn"
            )
        reserved = [word for word in _COGNITO_RESERVED if word in self.name]
        if reserved:
            raise ValueError(
                f"with auth_mode 'oauth', name ({self.name!r}) becomes the Cognito sign-in domain prefix, "
                f"which must not contain {', '.join(map(repr, reserved))}: choose another name"
            )

    def _check_task_fits(self) -> None:
        capacity = self.instance_capacity
        if self.task_cpu > capacity.cpu_units or self.task_memory_mib > capacity.registered_memory_mib:
            raise ValueError(
                f"task_cpu/task_memory_mib ({self.task_cpu} CPU units / {self.task_memory_mib} MiB) do "
                f"not fit on a {self.instance_type} (at most {capacity.cpu_units} CPU units / "
                f"{capacity.registered_memory_mib} MiB registered with ECS); choose a smaller task or a "
                "larger instance type"
            )
        # A rolling deploy starts the new task before stopping an old one: the fleet at its maximum
        # size must hold one task more than the most the service will run, or the deploy waits forever.
        peak_key, peak = (
            ("autoscaling_max_task_count", self.autoscaling_max_task_count)
            if self.autoscaling_enabled
            else ("desired_task_count", self.desired_task_count)
        )
        needed = peak + 1
        per_instance = capacity.tasks_that_fit(self.task_cpu, self.task_memory_mib)
        slots = per_instance * self.instance_max_count
        if slots < needed:
            raise ValueError(
                f"{peak_key} ({peak}) plus one task of rolling-deploy headroom needs {needed} task slots, "
                f"but instance_max_count ({self.instance_max_count}) x {per_instance} per "
                f"{self.instance_type} gives {slots}; raise instance_max_count"
            )

    # --- derived values -------------------------------------------------------------------------
    @property
    def instance_capacity(self) -> InstanceCapacity:
        return required(graviton_capacity(self.instance_type), "a Graviton instance_type")

    @property
    def autoscaling_enabled(self) -> bool:
        """The service scales between autoscaling_min_task_count and a maximum."""
        return self.autoscaling_max_task_count is not None

    @property
    def creates_auth_token_secret(self) -> bool:
        """Token auth with a secret this stack generates (not one the operator brought)."""
        return self.token_auth and self.auth_token_secret_arn is None

    @property
    def https_enabled(self) -> bool:
        return self.certificate_arn is not None or (
            self.domain_name is not None and self.hosted_zone_id is not None
        )

    @property
    def token_auth(self) -> bool:
        """The shared bearer token guards /mcp (auth_mode token, or the deprecated auth_enabled)."""
        return self.auth_mode == "token"

    @property
    def oauth(self) -> bool:
        return self.auth_mode == "oauth"

    @property
    def server_workers(self) -> int:
        """Uvicorn worker processes: one per vCPU the task reserves."""
        return max(1, self.task_cpu // 1024)

    @property
    def subnet_cidrs(self) -> tuple[list[str], list[str]]:
        """(public, private) subnet CIDRs: the VPC split evenly, public ones first."""
        vpc = _ipv4_network(self.vpc_cidr)
        extra_bits = math.ceil(math.log2(2 * self.az_count))
        subnets = [str(s) for s in vpc.subnets(prefixlen_diff=extra_bits)]
        return subnets[: self.az_count], subnets[self.az_count : 2 * self.az_count]

    @property
    def prebuilt_ecr_repository(self) -> tuple[str, str, str] | None:
        """(account, region, repository) when the prebuilt image lives in ECR, else None."""
        if self.image_uri is None:
            return None
        match = _IMAGE_URI.match(self.image_uri)
        registry = _ECR_REGISTRY.match(match["registry"]) if match else None
        if match is None or registry is None:
            return None
        return registry["account"], registry["region"], match["repository"]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first: it overrides cdktf.json, which arrives as the init arguments.
        return env_settings, init_settings


def _ipv4_network(value: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a CIDR block ({error})") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError(f"{value!r} is not an IPv4 CIDR block")
    return network


def load_infra_config(cdktf_json: Path | None = PROJECT_ROOT / "cdktf.json", **overrides: Any) -> InfraConfig:
    """Build the config from cdktf.json's context and MCP_STACK_* variables (plus test overrides).

    Raises InfraConfigError with one line per invalid key, naming where the key can be set.
    """
    context = {
        key: value
        for key, value in (_read_context(cdktf_json) if cdktf_json else {}).items()
        if key not in CDKTF_CONTEXT_FLAGS
    }
    unknown = sorted(
        name
        for name in os.environ
        if name.startswith(ENV_PREFIX) and name[len(ENV_PREFIX) :].lower() not in InfraConfig.model_fields
    )
    if unknown:
        raise InfraConfigError(
            f"invalid infrastructure configuration:\n  - unknown environment variable(s) {', '.join(unknown)}"
            f" (known keys: {', '.join(InfraConfig.model_fields)})"
        )
    try:
        return InfraConfig(**{**context, **overrides})
    except ValidationError as error:
        raise InfraConfigError(_describe(error, cdktf_json.name if cdktf_json else "cdktf.json")) from None


def _describe(error: ValidationError, config_file: str) -> str:
    lines = ["invalid infrastructure configuration:"]
    for problem in problems(error, whole=""):
        message = problem.message
        key = problem.field
        if key is None:  # a rule across keys: its message names them
            lines.append(f"  - {message}")
            continue
        if problem.kind == "extra_forbidden":
            message = f"unknown key (known keys: {', '.join(InfraConfig.model_fields)})"
        where = (
            f" ({config_file} context '{key}' or {ENV_PREFIX}{key.upper()})"
            if key in InfraConfig.model_fields
            else ""
        )
        lines.append(f"  - {key}{where}: {message}")
    return "\n".join(lines)
