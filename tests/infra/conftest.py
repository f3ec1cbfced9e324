"""Synthesized stacks, one synth per configuration per test session (each costs seconds)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from server.contract import MAIN_STACK_NAME
from stacks.config import ENV_PREFIX, InfraConfig, load_infra_config
from stacks.node_env import JSII_QUIET_ENV
from tests.conftest import session_directory
from tests.synth_cache import synthesized
from tests.terraform_cli import write_cli_config

for _name, _value in JSII_QUIET_ENV.items():
    os.environ.setdefault(_name, _value)

#: A configuration that turns every option away from its default, so one synth covers them.
VARIANT = {
    "name": "weather-prod",
    "region": "eu-west-1",
    "az_count": 3,
    "nat_gateway_per_az": True,
    "alb_ingress_cidrs": ["203.0.113.0/24", "2001:db8::/32"],
    "instance_type": "m7g.2xlarge",
    "instance_max_count": 3,
    "desired_task_count": 2,
    "task_cpu": 4096,
    "task_memory_mib": 8192,
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/mcp-weather:1.4.2",
    "nws_contact": "ops@example.com",
    "tags": {"team": "platform"},
    "state_bucket": "weather-prod-tfstate-123456789012-eu-west-1",
    "log_level": "DEBUG",
    "alb_idle_timeout_seconds": 120,
    "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
}
#: Every tuning value away from its default (alarm thresholds, autoscaling range and targets, root
#: volume, deregistration delay, image and access-log retention), with what they tune turned on: one
#: synth for all of them, where a synth per key would cost ~11 s each.
TUNED = {
    "desired_task_count": 2,
    "instance_max_count": 4,  # three tasks at most, plus one for a rolling deploy (one per c6g.xlarge)
    "autoscaling_min_task_count": 2,
    "autoscaling_max_task_count": 3,
    "autoscaling_cpu_target_percent": 45,
    "autoscaling_requests_per_target": 250,
    "alarm_response_time_p95_seconds": 1.5,
    "alarm_5xx_per_minute": 12,
    "alarm_cpu_percent": 70,
    "alarm_memory_percent": 85,
    "alarm_nws_error_rate_percent": 5,
    "root_volume_size_gib": 64,
    "deregistration_delay_seconds": 45,
    "image_retention_count": 25,
    "alb_access_logs_enabled": True,
    "alb_access_logs_retention_days": 30,
}
#: Every optional feature on: the configuration the security scan gate also checks.
FULL_FEATURED = Path(__file__).resolve().parents[2] / "examples" / "full-featured.json"


def load_test_config(config_file: Path | None = None, **overrides: Any) -> InfraConfig:
    """The configuration of `config_file` plus `overrides`, whatever MCP_STACK_* variables are set.

    A synth is cached by its arguments, so the environment must not be an input to it.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith(ENV_PREFIX)]:
            patch.delenv(name)
        return load_infra_config(cdktf_json=config_file, **overrides)


@dataclass(frozen=True)
class Synth:
    """The synthesized app of one configuration."""

    config: InfraConfig
    outdir: Path

    def stack_dir(self, stack: str = MAIN_STACK_NAME) -> Path:
        return self.outdir / "stacks" / stack

    def text(self, stack: str = MAIN_STACK_NAME) -> str:
        return (self.stack_dir(stack) / "cdk.tf.json").read_text()

    def document(self, stack: str = MAIN_STACK_NAME) -> dict[str, Any]:
        return json.loads(self.text(stack))

    def resources(self, resource_type: str, stack: str = MAIN_STACK_NAME) -> dict[str, dict[str, Any]]:
        return self.document(stack).get("resource", {}).get(resource_type, {})

    def resource(self, resource_type: str, stack: str = MAIN_STACK_NAME) -> dict[str, Any]:
        """The only resource of a type (fails when there are several)."""
        found = self.resources(resource_type, stack)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.values()))

    def data(self, data_type: str, name: str, stack: str = MAIN_STACK_NAME) -> dict[str, Any]:
        return self.document(stack)["data"][data_type][name]


#: Where the session keeps its synthesized configurations; CI points this and the security scan at one
#: fresh directory, so the scan checks what the tests synthesized instead of synthesizing again.
SYNTH_CACHE_ENV = "MCP_TEST_SYNTH_CACHE"


@pytest.fixture(scope="session")
def synthesize(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Synth]:
    """synthesize(**overrides) -> Synth, cached per configuration for the whole session.

    The cache is on disk (`tests/synth_cache.py`) and shared by the xdist workers: the first worker
    that needs a configuration synthesizes it under a file lock, the others wait for it and read the
    result (a synth costs ~11 s).
    """
    configured = os.environ.get(SYNTH_CACHE_ENV)
    cache_root = Path(configured) if configured else session_directory(tmp_path_factory) / "synth-cache"
    cache: dict[str, Synth] = {}

    def run(config_file: Path | None = None, **overrides: Any) -> Synth:
        key = json.dumps([str(config_file), overrides], sort_keys=True)
        if key not in cache:
            config = load_test_config(config_file, **overrides)

            def build(outdir: Path) -> None:
                from stacks.app import build_app  # loads jsii: only on a worker that synthesizes

                build_app(config, outdir=str(outdir)).synth()

            cache[key] = Synth(config, synthesized(cache_root, config_file, overrides, build))
        return cache[key]

    return run


@pytest.fixture(scope="session")
def default_synth(synthesize: Callable[..., Synth]) -> Synth:
    return synthesize()


@pytest.fixture(scope="session")
def variant_synth(synthesize: Callable[..., Synth]) -> Synth:
    return synthesize(**VARIANT)


@pytest.fixture(scope="session")
def tuned_synth(synthesize: Callable[..., Synth]) -> Synth:
    return synthesize(**TUNED)


@pytest.fixture(scope="session")
def full_synth(synthesize: Callable[..., Synth]) -> Synth:
    return synthesize(FULL_FEATURED)


@pytest.fixture(scope="session")
def terraform_cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cli_config(tmp_path_factory.mktemp("terraform-cli"))
