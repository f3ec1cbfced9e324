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
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from server.contract import CONTAINER_PORT, HEALTH_PATH

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


class InfraConfigError(ValueError):
    """Configuration that cannot produce a working deployment; the message names each bad key."""


class _CdktfContextSource(PydanticBaseSettingsSource):
    """Reads the ``context`` block of cdktf.json (unknown keys are reported, not ignored)."""

    def __init__(self, settings_cls: type[BaseSettings], cdktf_json: Path | None) -> None:
        super().__init__(settings_cls)
        self._context = _read_context(cdktf_json) if cdktf_json else {}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._context.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._context.items() if k not in CDKTF_CONTEXT_FLAGS}


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
        "'<name>-tasks' must fit the 32-character ALB and target group limit.",
    )
    region: str | None = Field(
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
    health_check_path: str = Field(HEALTH_PATH, description="Target group health check path.")
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
    alb_idle_timeout_seconds: int = Field(
        300,
        ge=1,
        le=4000,
        description="ALB idle timeout; long enough for streamed (SSE) MCP responses.",
    )
    log_retention_days: int = Field(
        30, description=f"CloudWatch log retention in days, one of {LOG_RETENTION_DAYS} (0 = forever)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Server log level (LOG_LEVEL in the container)."
    )
    nws_contact: str | None = Field(
        None,
        description="Operator contact (email or URL) sent to the NWS API in the User-Agent. NWS asks "
        "every client to identify itself and may block anonymous ones.",
    )

    # --- image ----------------------------------------------------------------------------------
    image_uri: str | None = Field(
        None,
        description="Prebuilt image (registry/repo:tag or @sha256:digest). Unset: the image is built "
        "from server/ for linux/arm64 and pushed to the stack's ECR repository during deploy.",
    )
    image_retention_count: int = Field(
        10, ge=1, le=1000, description="Images the ECR lifecycle policy keeps."
    )
    ecr_force_delete: bool = Field(
        True,
        description="Let `cdktf destroy` delete the ECR repository with its images (they are "
        "rebuilt from source on the next deploy).",
    )

    # --- state ----------------------------------------------------------------------------------
    state_bucket: str | None = Field(
        None,
        description="S3 bucket for the main stack's Terraform state (from the McpServerStateBackend "
        "stack). Unset: local state file, no AWS account needed to synth or experiment.",
    )
    state_bucket_region: str | None = Field(
        None, description="Region of the state bucket; defaults to `region`, then the AWS environment."
    )
    state_bucket_path_style: bool = Field(
        False,
        description="Path-style S3 addressing for the state backend, for S3-compatible endpoints "
        "(MinIO, emulators); AWS itself needs no change.",
    )

    # --- validation -----------------------------------------------------------------------------
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

    @field_validator("region", "state_bucket_region")
    @classmethod
    def _region_shape(cls, value: str | None) -> str | None:
        if value is not None and not _REGION.match(value):
            raise ValueError("must be an AWS region code such as 'us-east-1'")
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

    @field_validator("image_uri")
    @classmethod
    def _image_uri_shape(cls, value: str | None) -> str | None:
        if value is not None and not _IMAGE_URI.match(value):
            raise ValueError(
                "must be 'registry/repository:tag' or 'registry/repository@sha256:<digest>' with an "
                "explicit tag or digest (for example 123456789012.dkr.ecr.us-east-1.amazonaws.com/mcp:1.0)"
            )
        return value

    @field_validator("state_bucket")
    @classmethod
    def _bucket_name(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", value):
            raise ValueError("must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> InfraConfig:
        if self.instance_min_count > self.instance_max_count:
            raise ValueError(
                f"instance_min_count ({self.instance_min_count}) is greater than instance_max_count "
                f"({self.instance_max_count})"
            )
        if self.health_check_timeout_seconds >= self.health_check_interval_seconds:
            raise ValueError(
                f"health_check_timeout_seconds ({self.health_check_timeout_seconds}) must be below "
                f"health_check_interval_seconds ({self.health_check_interval_seconds})"
            )
        self._check_task_fits()
        return self

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
        # size must hold one task more than desired, or the deploy waits forever.
        needed = self.desired_task_count + 1
        slots = capacity.tasks_that_fit(self.task_cpu, self.task_memory_mib) * self.instance_max_count
        if slots < needed:
            raise ValueError(
                f"desired_task_count ({self.desired_task_count}) plus one task of rolling-deploy headroom "
                f"needs {needed} task slots, but instance_max_count ({self.instance_max_count}) x "
                f"{capacity.tasks_that_fit(self.task_cpu, self.task_memory_mib)} per {self.instance_type} "
                f"gives {slots}; raise instance_max_count"
            )

    # --- derived values -------------------------------------------------------------------------
    @property
    def instance_capacity(self) -> InstanceCapacity:
        capacity = graviton_capacity(self.instance_type)
        assert capacity is not None  # guaranteed by _graviton_only
        return capacity

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
    context = _CdktfContextSource(InfraConfig, cdktf_json)()
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
        raise InfraConfigError(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    lines = ["invalid infrastructure configuration:"]
    for problem in error.errors():
        message = problem["msg"].removeprefix("Value error, ")
        if not problem["loc"]:  # a rule across keys: its message names them
            lines.append(f"  - {message}")
            continue
        key = str(problem["loc"][0])
        if problem["type"] == "extra_forbidden":
            message = f"unknown key (known keys: {', '.join(InfraConfig.model_fields)})"
        where = (
            f" (cdktf.json context '{key}' or {ENV_PREFIX}{key.upper()})"
            if key in InfraConfig.model_fields
            else ""
        )
        lines.append(f"  - {key}{where}: {message}")
    return "\n".join(lines)
