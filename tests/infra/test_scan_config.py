"""The security scan gate's configuration stays honest: every skipped check says why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


#: Checks the strict pass must never skip: WAF, flow logs, access logs, deletion protection, HTTPS,
#: log retention and customer-managed keys (the protections examples/full-featured.json turns on).
PROTECTIONS = {
    "CKV2_AWS_28": "WAF on the public load balancer",
    "CKV2_AWS_31": "WAF logging",
    "CKV_AWS_192": "WAF Log4j rules",
    "CKV2_AWS_11": "VPC flow logs",
    "CKV_AWS_91": "ALB access logs",
    "CKV_AWS_150": "ALB deletion protection",
    "CKV_AWS_2": "HTTPS listener",
    "CKV_AWS_103": "TLS 1.2+ listener",
    "CKV2_AWS_20": "HTTP to HTTPS redirect",
    "CKV_AWS_338": "log retention of a year",
    "CKV_AWS_158": "log group CMK",
    "CKV_AWS_149": "secret CMK",
    "CKV_AWS_136": "ECR CMK",
    "CKV_AWS_7": "KMS key rotation",
    "CKV_AWS_33": "KMS key policy without a wildcard principal",
}
CONFIG_FILES = [".checkov.yaml", ".checkov-strict.yaml"]


def skipped_checks(config_file: str = ".checkov.yaml") -> list[tuple[str, str]]:
    lines = (ROOT / config_file).read_text().splitlines()
    skips: list[tuple[str, str]] = []
    for line in lines:
        if m := re.match(r"^\s*-\s*(CKV\w+)\s*(?:#(.*))?$", line):
            skips.append((m[1], (m[2] or "").strip()))
        elif skips and (m := re.match(r"^\s+#(.*)$", line)):  # a reason continued on the next line
            skips[-1] = (skips[-1][0], f"{skips[-1][1]} {m[1].strip()}")
    return skips


@pytest.mark.parametrize("config_file", CONFIG_FILES)
def test_every_skipped_check_has_a_reason(config_file: str) -> None:
    skips = skipped_checks(config_file)
    assert skips
    assert not [check for check, reason in skips if len(reason) < 10]


@pytest.mark.parametrize("config_file", CONFIG_FILES)
def test_no_check_is_skipped_twice(config_file: str) -> None:
    checks = [check for check, _ in skipped_checks(config_file)]
    assert len(checks) == len(set(checks))


def test_strict_pass_skips_no_protection_the_full_featured_configuration_turns_on() -> None:
    strict = {check for check, _ in skipped_checks(".checkov-strict.yaml")}
    assert not {check: PROTECTIONS[check] for check in strict & set(PROTECTIONS)}
    # ...while the default pass may skip the opt-in ones, for cost.
    assert {"CKV2_AWS_28", "CKV2_AWS_11", "CKV_AWS_158"} <= {check for check, _ in skipped_checks()}


def test_ci_runs_the_scan_over_every_example_configuration_and_the_dockerfile() -> None:
    assert "bash scripts/scan.sh" in (ROOT / ".ci" / "run").read_text()
    scan = (ROOT / "scripts" / "scan.sh").read_text()
    assert "examples/full-featured.json" in scan
    assert "examples/oauth.json" in scan
    assert "server/Dockerfile" in scan
    # The strict configuration file is used for the full-featured stacks, and only there.
    assert '--config-file .checkov-strict.yaml --framework terraform_json -d "$full_featured"' in scan
    assert '--config-file .checkov.yaml --framework terraform_json -d "$default"' in scan
    assert '--config-file .checkov.yaml --framework terraform_json -d "$oauth"' in scan
    # Each pass checks the stacks of its own configuration (its own synth or the tests' entry of it).
    assert "full_featured=$(synth full-featured --config examples/full-featured.json)" in scan
    assert "oauth=$(synth oauth --config examples/oauth.json)" in scan
    assert "default=$(synth default)" in scan
