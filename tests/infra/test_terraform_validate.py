"""Every synthesized stack passes `terraform init` + `terraform validate` with the real provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.contract import MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME
from tests.infra.conftest import Synth
from tests.terraform_cli import terraform, terraform_env


@pytest.mark.parametrize("stack", [MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME])
@pytest.mark.parametrize("configuration", ["default_synth", "variant_synth", "full_synth"])
def test_stack_is_valid_terraform(
    configuration: str, stack: str, request: pytest.FixtureRequest, terraform_cli_config: Path
) -> None:
    synth: Synth = request.getfixturevalue(configuration)
    env = terraform_env(terraform_cli_config)
    directory = synth.stack_dir(stack)
    terraform(["init", "-backend=false", "-input=false"], directory, env)
    result = terraform(["validate"], directory, env)
    assert "The configuration is valid" in result.stdout
