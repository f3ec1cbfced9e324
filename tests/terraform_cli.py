"""Run the real terraform binary against synthesized stacks without touching a registry.

Tests write their own CLI configuration: a filesystem mirror for hashicorp providers (this
machine has hashicorp/aws 5.100.0 under /opt/tf-plugins). Where no mirror exists (a developer
laptop with internet), terraform's default installation applies.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

PROVIDER = Path("registry.terraform.io/hashicorp/aws/5.100.0")
MIRROR_CANDIDATES = (
    os.environ.get("TF_PROVIDER_MIRROR", ""),
    "/opt/tf-plugins",
    str(Path.home() / ".terraform.d/plugins"),
    "/usr/share/terraform/plugins",
)


def find_provider_mirror() -> Path | None:
    for candidate in filter(None, MIRROR_CANDIDATES):
        if (Path(candidate) / PROVIDER).is_dir():
            return Path(candidate)
    return None


def write_cli_config(directory: Path) -> Path:
    """A terraform CLI config that installs hashicorp providers from the local mirror only."""
    path = directory / "terraform.rc"
    mirror = find_provider_mirror()
    if mirror is None:
        path.write_text("# no local provider mirror found: terraform's default registry applies\n")
    else:
        path.write_text(
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f'    path    = "{mirror}"\n'
            '    include = ["registry.terraform.io/hashicorp/*"]\n'
            "  }\n"
            '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n'
            "}\n"
        )
    return path


def terraform_env(cli_config: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
    env.update(extra or {})
    return env


def terraform(
    args: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["terraform", *args, "-no-color"] if args[0] not in {"version"} else ["terraform", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"terraform {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result
