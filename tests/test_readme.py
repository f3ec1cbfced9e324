"""The README stays true to the code: generated tables match, every setting is documented, and the
quickstart's commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from server.settings import ServerSettings
from stacks.config_doc import END, START, config_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_infra_configuration_table_is_generated_from_infra_config() -> None:
    embedded = README[README.index(START) : README.index(END) + len(END)]
    assert embedded == config_table(), "refresh it: pipenv run python -m stacks.config_doc"


def test_every_server_environment_variable_is_documented() -> None:
    names = {field.validation_alias for field in ServerSettings.model_fields.values()}
    assert names
    missing = sorted(name for name in names if f"`{name}`" not in README)
    assert missing == []


def test_quickstart_commands_exist_and_ci_runs_the_same_test_command() -> None:
    assert "bash scripts/quickstart.sh" in README
    assert "pipenv run test" in README
    assert (ROOT / "scripts" / "quickstart.sh").is_file()
    assert re.search(r"^pipenv run test( |$)", (ROOT / ".ci" / "run").read_text(), re.MULTILINE)


def test_every_stack_output_is_documented() -> None:
    from stacks import mcp_server_stack

    outputs = set(re.findall(r'"(\w+)": \(', Path(mcp_server_stack.__file__).read_text()))
    outputs |= set(re.findall(r'outputs\["(\w+)"\]', Path(mcp_server_stack.__file__).read_text()))
    assert {"mcp_url", "alb_dns_name", "dashboard_url", "auth_token_secret_arn"} <= outputs
    assert sorted(o for o in outputs if f"`{o}`" not in README) == []
