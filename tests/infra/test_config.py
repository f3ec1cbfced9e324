"""InfraConfig: defaults, precedence (env > cdktf.json > defaults), and errors that name the key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.contract import EnvVar
from server.settings import ServerSettings
from stacks.config import InfraConfig, InfraConfigError, load_infra_config
from tests.infra.conftest import TUNED, VARIANT, load_test_config

ROOT = Path(__file__).resolve().parents[2]


def write_cdktf_json(tmp_path: Path, context: dict[str, object]) -> Path:
    path = tmp_path / "cdktf.json"
    path.write_text(json.dumps({"language": "python", "context": context}))
    return path


def test_defaults_are_the_aws_sample_values() -> None:
    config = load_infra_config(cdktf_json=None)
    assert config.instance_type == "c6g.xlarge"
    assert (config.task_cpu, config.task_memory_mib) == (2048, 4096)
    assert (config.desired_task_count, config.container_port) == (1, 8000)
    assert (config.health_check_path, config.health_check_interval_seconds) == ("/health", 5)
    assert (config.az_count, config.nat_gateway_per_az) == (2, False)
    assert config.region is None
    assert config.image_uri is None


def test_cdktf_json_context_overrides_defaults(tmp_path: Path) -> None:
    config = load_infra_config(
        write_cdktf_json(tmp_path, {"desired_task_count": 0, "log_retention_days": 90})
    )
    assert config.desired_task_count == 0
    assert config.log_retention_days == 90


def test_environment_overrides_cdktf_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cdktf_json = write_cdktf_json(tmp_path, {"log_retention_days": 90, "alb_ingress_cidrs": ["10.0.0.0/8"]})
    monkeypatch.setenv("MCP_STACK_LOG_RETENTION_DAYS", "14")
    monkeypatch.setenv("MCP_STACK_ALB_INGRESS_CIDRS", '["192.0.2.0/24"]')
    config = load_infra_config(cdktf_json)
    assert config.log_retention_days == 14
    assert config.alb_ingress_cidrs == ["192.0.2.0/24"]


def test_cdktf_feature_flags_in_context_are_not_mistaken_for_keys(tmp_path: Path) -> None:
    config = load_infra_config(write_cdktf_json(tmp_path, {"excludeStackIdFromLogicalIds": "true"}))
    assert config.name == "mcp-server"


def test_project_cdktf_json_is_valid() -> None:
    load_infra_config(ROOT / "cdktf.json")


@pytest.mark.parametrize(
    ("overrides", "key", "explanation"),
    [
        ({"instance_type": "m5.xlarge"}, "instance_type", "not a Graviton (arm64) instance type"),
        ({"instance_type": "c6g.huge"}, "instance_type", "c6g.xlarge"),
        (
            {"instance_min_count": 3, "instance_max_count": 2},
            "instance_min_count",
            "greater than instance_max_count",
        ),
        ({"desired_task_count": 2}, "instance_max_count", "rolling-deploy headroom"),
        ({"vpc_cidr": "10.0.0.0/8"}, "vpc_cidr", "/16 to /24"),
        ({"vpc_cidr": "10.0.0.1/16"}, "vpc_cidr", "not a CIDR block"),
        ({"alb_ingress_cidrs": ["0.0.0.0/0", "banana"]}, "alb_ingress_cidrs", "'banana' is not a CIDR block"),
        ({"task_memory_mib": 8192}, "task_memory_mib", "do not fit on a c6g.xlarge"),
        ({"task_cpu": 8192}, "task_cpu", "do not fit on a c6g.xlarge"),
        ({"name": "My_Server"}, "name", "lower-case"),
        ({"name": "a-very-long-service-name-x"}, "name", "limited to 32"),
        ({"name": "ecs-weather"}, "name", "must not start with"),
        ({"image_uri": "nginx"}, "image_uri", "explicit tag or digest"),
        ({"image_uri": "registry.example.com/mcp"}, "image_uri", "explicit tag or digest"),
        ({"region": "Europe"}, "region", "us-east-1"),
        ({"log_retention_days": 10}, "log_retention_days", "one of"),
        ({"health_check_timeout_seconds": 5}, "health_check_timeout_seconds", "below"),
        ({"health_check_path": "health"}, "health_check_path", "start with '/'"),
        ({"health_check_path": "/healthz"}, "health_check_path", "only change together with image_uri"),
        (
            {"ami_ssm_parameter": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"},
            "ami_ssm_parameter",
            "arm64",
        ),
        ({"state_bucket": "Bad_Bucket"}, "state_bucket", "S3 bucket name"),
        ({"tags": {"aws:reserved": "x"}}, "tags", "not a valid AWS tag key"),
        ({"az_count": 7}, "az_count", "less than or equal to 4"),
        ({"instance_tpye": "c6g.large"}, "instance_tpye", "unknown key"),
        ({"waf_rate_limit_per_5_minutes": 5}, "waf_rate_limit_per_5_minutes", "greater than or equal to 10"),
        ({"alarm_nws_error_rate_percent": 0}, "alarm_nws_error_rate_percent", "greater than or equal to 1"),
        ({"tracing_collector_image": "amazon/aws-otel-collector"}, "tracing_collector_image", "explicit tag"),
        ({"tracing_sample_percent": 150}, "tracing_sample_percent", "less than or equal to 100"),
        # Tuning keys: each refused below and above its range, before any synth.
        ({"alarm_response_time_p95_seconds": 0}, "alarm_response_time_p95_seconds", "greater than 0"),
        (
            {"alarm_response_time_p95_seconds": 61},
            "alarm_response_time_p95_seconds",
            "less than or equal to 60",
        ),
        ({"alarm_5xx_per_minute": 0}, "alarm_5xx_per_minute", "greater than or equal to 1"),
        ({"alarm_cpu_percent": 5}, "alarm_cpu_percent", "greater than or equal to 10"),
        ({"alarm_cpu_percent": 101}, "alarm_cpu_percent", "less than or equal to 100"),
        ({"alarm_memory_percent": 9}, "alarm_memory_percent", "greater than or equal to 10"),
        ({"alarm_memory_percent": 101}, "alarm_memory_percent", "less than or equal to 100"),
        ({"alarm_nws_error_rate_percent": 101}, "alarm_nws_error_rate_percent", "less than or equal to 100"),
        ({"autoscaling_min_task_count": 0}, "autoscaling_min_task_count", "greater than or equal to 1"),
        ({"autoscaling_max_task_count": 101}, "autoscaling_max_task_count", "less than or equal to 100"),
        (
            {"autoscaling_cpu_target_percent": 5},
            "autoscaling_cpu_target_percent",
            "greater than or equal to 10",
        ),
        (
            {"autoscaling_cpu_target_percent": 95},
            "autoscaling_cpu_target_percent",
            "less than or equal to 90",
        ),
        (
            {"autoscaling_requests_per_target": 5},
            "autoscaling_requests_per_target",
            "greater than or equal to 10",
        ),
        (
            {"autoscaling_requests_per_target": 100_001},
            "autoscaling_requests_per_target",
            "less than or equal to 100000",
        ),
        ({"root_volume_size_gib": 20}, "root_volume_size_gib", "greater than or equal to 30"),
        ({"root_volume_size_gib": 16385}, "root_volume_size_gib", "less than or equal to 16384"),
        ({"deregistration_delay_seconds": -1}, "deregistration_delay_seconds", "greater than or equal to 0"),
        (
            {"deregistration_delay_seconds": 3601},
            "deregistration_delay_seconds",
            "less than or equal to 3600",
        ),
        ({"image_retention_count": 0}, "image_retention_count", "greater than or equal to 1"),
        ({"image_retention_count": 1001}, "image_retention_count", "less than or equal to 1000"),
        (
            {"alb_access_logs_retention_days": 0},
            "alb_access_logs_retention_days",
            "greater than or equal to 1",
        ),
        (
            {"alb_access_logs_retention_days": 3651},
            "alb_access_logs_retention_days",
            "less than or equal to 3650",
        ),
        ({"task_cpu": 128}, "task_cpu", "greater than or equal to 256"),
        ({"task_memory_mib": 256}, "task_memory_mib", "greater than or equal to 512"),
        # The variant's task (4096 CPU units, 8192 MiB) needs its larger instance type.
        (
            {"task_cpu": VARIANT["task_cpu"], "task_memory_mib": VARIANT["task_memory_mib"]},
            "task_cpu/task_memory_mib (4096 CPU units / 8192 MiB)",
            "do not fit on a c6g.xlarge",
        ),
    ],
)
def test_invalid_configuration_names_the_key(
    overrides: dict[str, object], key: str, explanation: str
) -> None:
    with pytest.raises(InfraConfigError) as error:
        load_infra_config(cdktf_json=None, **overrides)
    assert key in str(error.value)
    assert explanation in str(error.value)


def test_unknown_environment_variable_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCP_STACK_INSTANCETYPE", "c6g.large")
    with pytest.raises(InfraConfigError, match="MCP_STACK_INSTANCETYPE"):
        load_infra_config(cdktf_json=None)


def test_malformed_cdktf_json_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cdktf.json"
    path.write_text('{"context": {')
    with pytest.raises(InfraConfigError, match="not valid JSON"):
        load_infra_config(path)


def test_larger_instances_fit_more_tasks() -> None:
    # c6g.4xlarge: 16 vCPU / 32 GiB, 8 interfaces -> 7 awsvpc tasks of 2 vCPU / 4 GiB.
    config = load_infra_config(
        cdktf_json=None, instance_type="c6g.4xlarge", desired_task_count=6, instance_max_count=1
    )
    assert config.instance_capacity.tasks_that_fit(2048, 4096) == 7


def test_synth_with_bad_configuration_exits_2_naming_the_variable() -> None:
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "MCP_STACK_TASK_MEMORY_MIB": "lots"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "task_memory_mib" in result.stderr
    assert "MCP_STACK_TASK_MEMORY_MIB" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_custom_health_check_path_is_accepted_for_a_prebuilt_image() -> None:
    config = load_infra_config(
        cdktf_json=None, health_check_path="/healthz", image_uri="registry.example.com/team/other:1.0"
    )

    assert config.health_check_path == "/healthz"


@pytest.mark.parametrize(
    "origin",
    [
        "HTTPS://Claude.AI",
        "http://[::1]:6274",
        "http://localhost:6274",
        "https://app.example.com:443",
        "https://*.example.com",
        "https://app.example.com/path",
        "ftp://app.example.com",
    ],
)
def test_infra_and_server_agree_on_what_an_origin_is(origin: str) -> None:
    """One Origin syntax: what synth accepts, the server accepts, in the same canonical form."""
    try:
        infra: list[str] | None = load_infra_config(cdktf_json=None, allowed_origins=[origin]).allowed_origins
    except InfraConfigError:
        infra = None
    try:
        server: list[str] | None = list(ServerSettings(**{EnvVar.ALLOWED_ORIGINS: origin}).allowed_origins)
    except ValidationError:
        server = None

    assert infra == server


def test_origins_are_stored_in_canonical_form() -> None:
    config = load_infra_config(cdktf_json=None, allowed_origins=["HTTPS://Claude.AI", "http://[::1]:6274"])

    assert config.allowed_origins == ["https://claude.ai", "http://[::1]:6274"]


def test_log_level_accepts_critical_like_the_server() -> None:
    assert load_infra_config(cdktf_json=None, log_level="CRITICAL").log_level == "CRITICAL"


@pytest.mark.parametrize(
    ("key", "value", "explanation"),
    [
        ("certificate_arn", "not-an-arn", "must be an ACM certificate ARN"),
        ("auth_token_secret_arn", "not-an-arn", "must be a Secrets Manager secret ARN"),
        ("domain_name", "MCP.Example.com", "lower-case fully qualified host name"),
        ("hosted_zone_id", "/hostedzone/Z123", "Route 53 hosted zone ID"),
        ("tls_policy", "ELBSecurityPolicy-2016-08", "TLS 1.3 ALB security policy"),
        ("alarm_email", "ops-at-example.com", "must be an email address"),
        ("state_bucket_region", "Europe", "AWS region code"),
    ],
)
def test_pattern_checked_keys_explain_the_expected_shape(key: str, value: str, explanation: str) -> None:
    with pytest.raises(InfraConfigError) as error:
        load_infra_config(cdktf_json=None, **{key: value})

    assert f"{key} (cdktf.json context '{key}' or MCP_STACK_{key.upper()}): " in str(error.value)
    assert explanation in str(error.value)


CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"


def problems(**overrides: object) -> list[str]:
    """The problem lines of the error a configuration gets (the header line dropped)."""
    with pytest.raises(InfraConfigError) as error:
        load_infra_config(cdktf_json=None, **overrides)
    header, *lines = str(error.value).splitlines()
    assert header == "invalid infrastructure configuration:"
    return lines


def test_rolling_deploy_room_is_checked_against_the_autoscaling_maximum() -> None:
    # Two c6g.xlarge hold two default tasks: room for one task plus its rolling-deploy replacement...
    assert load_infra_config(cdktf_json=None, desired_task_count=1).instance_max_count == 2
    # ...but autoscaling may run two, and then a deploy has nowhere to start the third.
    assert problems(autoscaling_max_task_count=2) == [
        "  - autoscaling_max_task_count (2) plus one task of rolling-deploy headroom needs 3 task slots, "
        "but instance_max_count (2) x 1 per c6g.xlarge gives 2; raise instance_max_count"
    ]
    assert load_infra_config(cdktf_json=None, autoscaling_max_task_count=2, instance_max_count=3)


def test_a_domain_needs_a_hosted_zone_or_a_certificate() -> None:
    assert problems(domain_name="mcp.example.com") == [
        "  - domain_name needs hosted_zone_id (to create and validate a certificate) or certificate_arn"
    ]
    with_certificate = load_infra_config(
        cdktf_json=None, domain_name="mcp.example.com", certificate_arn=CERTIFICATE
    )
    assert with_certificate.https_enabled


def test_a_hosted_zone_needs_a_domain() -> None:
    assert problems(hosted_zone_id="Z0123456789ABCDEFGHIJ") == [
        "  - hosted_zone_id needs domain_name (the record to create in that zone)"
    ]


@pytest.mark.parametrize(
    ("minimum", "desired", "maximum"),
    [(2, 1, 4), (1, 3, 2), (3, 3, 2)],
    ids=["desired-below-min", "desired-above-max", "min-above-max"],
)
def test_autoscaling_needs_min_desired_max_in_order(minimum: int, desired: int, maximum: int) -> None:
    assert problems(
        autoscaling_min_task_count=minimum,
        desired_task_count=desired,
        autoscaling_max_task_count=maximum,
        instance_max_count=5,
    ) == [
        f"  - with autoscaling, autoscaling_min_task_count ({minimum}) <= desired_task_count ({desired}) "
        f"<= autoscaling_max_task_count ({maximum}) must hold"
    ]


@pytest.mark.parametrize("zones", [["us-east-1a"], ["us-east-1a", "us-east-1b", "us-east-1c"]])
def test_pinned_zones_must_number_az_count(zones: list[str]) -> None:
    assert problems(availability_zones=zones) == [
        f"  - availability_zones lists {len(zones)} zones, az_count is 2"
    ]


def test_pinned_zones_matching_az_count_are_used() -> None:
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert (
        load_infra_config(cdktf_json=None, availability_zones=zones, az_count=3).availability_zones == zones
    )


#: What a developer may have exported while trying a configuration out.
DEVELOPER_SHELL = {"MCP_STACK_NAME": "dev-shell", "MCP_STACK_INSTANCE_TYPE": "c6g.2xlarge"}


def test_the_synth_fixture_ignores_stack_variables_of_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in DEVELOPER_SHELL.items():
        monkeypatch.setenv(name, value)
    assert load_infra_config(cdktf_json=None).name == "dev-shell"  # what the variables would do

    config = load_test_config()

    assert (config.name, config.instance_type) == ("mcp-server", "c6g.xlarge")
    assert load_test_config(name="explicit").name == "explicit"  # a test's own overrides still apply


def test_a_test_session_ignores_stack_variables_of_the_shell() -> None:
    # A child pytest started from a shell with MCP_STACK_* set still sees the project's defaults.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/infra/test_config.py::test_defaults_are_the_aws_sample_values",
            "tests/infra/test_config.py::test_project_cdktf_json_is_valid",
        ],
        cwd=ROOT,
        env={**os.environ, **DEVELOPER_SHELL},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_tuned_test_configuration_moves_every_key_it_sets_off_its_default() -> None:
    # Otherwise a test on the tuned synth could pass on the default value.
    defaults = InfraConfig.model_fields
    unchanged = [
        key for key, value in TUNED.items() if defaults[key].get_default(call_default_factory=True) == value
    ]
    assert unchanged == []
    assert load_test_config(**TUNED).autoscaling_enabled
