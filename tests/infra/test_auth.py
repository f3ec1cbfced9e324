"""Bearer-token auth backed by Secrets Manager; allowed origins from the infra side."""

from __future__ import annotations

import json
from typing import Any

from server.contract import EnvVar
from tests.infra.conftest import Synth

EXISTING = "arn:aws:secretsmanager:us-east-1:123456789012:secret:team/mcp-token-AbCdEf"


def container(synth: Synth) -> dict[str, Any]:
    definitions = json.loads(synth.resource("aws_ecs_task_definition")["container_definitions"])
    # The server's container (with tracing_enabled the task also runs a collector sidecar).
    (definition,) = [d for d in definitions if d["name"] == "mcp-server"]
    return definition


def execution_statements(synth: Synth) -> dict[str, Any]:
    document = synth.data("aws_iam_policy_document", "service_execution_permissions")
    return {s["sid"]: s for s in document["statement"]}


def test_default_has_no_token(default_synth: Synth) -> None:
    assert default_synth.resources("aws_secretsmanager_secret") == {}
    assert "secrets" not in container(default_synth)
    assert "ReadAuthToken" not in execution_statements(default_synth)


def test_generated_token_never_enters_state_or_plan(full_synth: Synth) -> None:
    document = full_synth.document()
    password = document["ephemeral"]["aws_secretsmanager_random_password"]["auth_password"]
    assert password["password_length"] >= 32
    assert password["exclude_punctuation"] is True
    version = full_synth.resource("aws_secretsmanager_secret_version")
    # Write-only: Terraform sends the value to Secrets Manager and keeps no copy.
    assert (
        version["secret_string_wo"]
        == "${ephemeral.aws_secretsmanager_random_password.auth_password.random_password}"
    )
    assert version["secret_string_wo_version"] == 1
    assert "secret_string" not in version


def test_token_reaches_the_container_as_a_secret_not_an_environment_value(full_synth: Synth) -> None:
    spec = container(full_synth)
    secrets = [item for item in spec["secrets"] if item["name"] != EnvVar.OPEN_METEO_API_KEY]  # its own test
    assert secrets == [
        {"name": EnvVar.AUTH_TOKEN, "valueFrom": "${aws_secretsmanager_secret.auth_secret.arn}"}
    ]
    assert EnvVar.AUTH_TOKEN not in {e["name"] for e in spec["environment"]}


def test_execution_role_may_read_that_one_secret(full_synth: Synth) -> None:
    statement = execution_statements(full_synth)["ReadAuthToken"]
    assert statement["actions"] == ["secretsmanager:GetSecretValue"]
    assert statement["resources"] == ["${aws_secretsmanager_secret.auth_secret.arn}"]


def test_outputs_name_the_secret_never_the_token(full_synth: Synth) -> None:
    outputs = full_synth.document()["output"]
    assert outputs["auth_token_secret_arn"]["value"] == "${aws_secretsmanager_secret.auth_secret.arn}"
    assert not [o for o in outputs.values() if "random_password" in json.dumps(o)]


def test_rotating_the_token_rolls_the_tasks(full_synth: Synth) -> None:
    service = full_synth.resource("aws_ecs_service")
    assert service["triggers"] == {"auth_token_version": "1"}
    assert service["force_new_deployment"] is True


def test_an_existing_secret_is_used_as_given(synthesize) -> None:
    synth = synthesize(auth_token_secret_arn=EXISTING)
    assert synth.resources("aws_secretsmanager_secret") == {}
    assert "ephemeral" not in synth.document()
    assert container(synth)["secrets"] == [{"name": EnvVar.AUTH_TOKEN, "valueFrom": EXISTING}]
    assert execution_statements(synth)["ReadAuthToken"]["resources"] == [EXISTING]


def test_allowed_origins_reach_the_server(full_synth: Synth, default_synth: Synth) -> None:
    environment = {e["name"]: e["value"] for e in container(full_synth)["environment"]}
    assert environment[EnvVar.ALLOWED_ORIGINS] == "https://claude.ai"
    assert EnvVar.ALLOWED_ORIGINS not in {e["name"] for e in container(default_synth)["environment"]}
