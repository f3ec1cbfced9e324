"""auth_mode oauth in the synthesized stack: Cognito, the shared state table, keys, task wiring."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.contract import OAUTH_CALLBACK_PATH, EnvVar
from stacks.service import CONTAINER_NAME
from tests.infra.conftest import Synth

OAUTH_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "oauth.json"


@pytest.fixture(scope="module")
def oauth_synth(synthesize: Callable[..., Synth]) -> Synth:
    return synthesize(OAUTH_EXAMPLE)


def container(synth: Synth) -> dict[str, Any]:
    definitions = json.loads(synth.resource("aws_ecs_task_definition")["container_definitions"])
    # The server's container (with tracing_enabled the task also runs a collector sidecar).
    (definition,) = [d for d in definitions if d["name"] == CONTAINER_NAME]
    return definition


def environment(synth: Synth) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(synth)["environment"]}


def test_default_and_token_configurations_have_no_oauth_resources(
    default_synth: Synth, full_synth: Synth
) -> None:
    for synth in (default_synth, full_synth):
        for resource_type in ("aws_cognito_user_pool", "aws_dynamodb_table", "aws_cognito_user_pool_client"):
            assert synth.resources(resource_type) == {}
        assert EnvVar.AUTH_MODE not in environment(synth)


def test_user_pool_takes_email_strong_passwords_and_admin_created_users(oauth_synth: Synth) -> None:
    pool = oauth_synth.resource("aws_cognito_user_pool")
    assert pool["username_attributes"] == ["email"]
    assert pool["admin_create_user_config"]["allow_admin_create_user_only"] is True
    policy = pool["password_policy"]
    assert policy["minimum_length"] >= 12
    assert all(policy[f"require_{kind}"] for kind in ("lowercase", "uppercase", "numbers", "symbols"))
    assert pool["mfa_configuration"] == "OPTIONAL"
    assert pool["software_token_mfa_configuration"]["enabled"] is True
    # teardown_deletes_data is true by default: destroy may delete the pool.
    assert pool["deletion_protection"] == "INACTIVE"


def test_settings_reach_the_user_pool_and_client(synthesize: Callable[..., Synth]) -> None:
    synth = synthesize(
        OAUTH_EXAMPLE,
        oauth_mfa="required",
        oauth_self_signup=True,
        oauth_access_token_minutes=15,
        oauth_required_scopes=["openid", "email"],
        teardown_deletes_data=False,
    )
    pool = synth.resource("aws_cognito_user_pool")
    assert pool["mfa_configuration"] == "ON"
    assert pool["admin_create_user_config"]["allow_admin_create_user_only"] is False
    assert pool["deletion_protection"] == "ACTIVE"
    assert synth.resource("aws_dynamodb_table")["deletion_protection_enabled"] is True
    client = synth.resource("aws_cognito_user_pool_client")
    assert client["access_token_validity"] == 15
    assert environment(synth)[EnvVar.OAUTH_REQUIRED_SCOPES] == "openid email"


def test_sign_in_domain_prefix_cannot_collide_across_accounts(oauth_synth: Synth) -> None:
    domain = oauth_synth.resource("aws_cognito_user_pool_domain")
    assert domain["domain"] == "mcp-server-${data.aws_caller_identity.caller.account_id}"


def test_app_client_is_public_code_flow_calling_back_to_the_server_only(oauth_synth: Synth) -> None:
    client = oauth_synth.resource("aws_cognito_user_pool_client")
    assert client["generate_secret"] is False  # nothing Cognito generates lands in state
    assert client["allowed_oauth_flows"] == ["code"]
    assert client["callback_urls"] == [f"https://mcp.example.com{OAUTH_CALLBACK_PATH}"]
    assert client["supported_identity_providers"] == ["COGNITO"]
    assert set(client["allowed_oauth_scopes"]) == {"openid", "email", "profile"}


def test_state_table_is_on_demand_with_ttl_recovery_and_encryption(oauth_synth: Synth) -> None:
    table = oauth_synth.resource("aws_dynamodb_table")
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert (table["hash_key"], table["range_key"]) == ("collection", "key")
    assert table["ttl"] == {"attribute_name": "ttl", "enabled": True}
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["server_side_encryption"] == {"enabled": True}


def test_only_the_task_role_may_use_the_table(oauth_synth: Synth) -> None:
    server = oauth_synth.data("aws_iam_policy_document", "service_server_permissions")
    (statement,) = server["statement"]
    assert statement["resources"] == ["${aws_dynamodb_table.oauth_state_table.arn}"]
    assert not [action for action in statement["actions"] if not action.startswith("dynamodb:")]
    assert "dynamodb:CreateTable" not in statement["actions"]
    assert "dynamodb:Scan" not in statement["actions"]
    policies = oauth_synth.resources("aws_iam_role_policy").values()
    roles = {p["role"] for p in policies if "server_permissions" in p["policy"]}
    assert roles == {"${aws_iam_role.service_task_role.id}"}


def test_keys_are_generated_at_deploy_and_reach_the_container_as_secrets(oauth_synth: Synth) -> None:
    document = oauth_synth.document()
    passwords = document["ephemeral"]["aws_secretsmanager_random_password"]
    assert {p["password_length"] for p in passwords.values()} == {64}
    versions = oauth_synth.resources("aws_secretsmanager_secret_version")
    assert len(versions) == 2
    for version in versions.values():
        assert version["secret_string_wo"].startswith("${ephemeral.aws_secretsmanager_random_password.")
        assert "secret_string" not in version
    secrets = {s["name"]: s["valueFrom"] for s in container(oauth_synth)["secrets"]}
    assert secrets == {
        EnvVar.OAUTH_JWT_SIGNING_KEY: "${aws_secretsmanager_secret.oauth_signing_key.arn}",
        EnvVar.OAUTH_STORAGE_KEY: "${aws_secretsmanager_secret.oauth_storage_key.arn}",
    }
    execution = oauth_synth.data("aws_iam_policy_document", "service_execution_permissions")
    (read,) = [s for s in execution["statement"] if s["sid"] == "ReadServerKeys"]
    assert sorted(read["resources"]) == sorted(secrets.values())


def test_server_environment_names_the_pool_client_table_and_public_url(oauth_synth: Synth) -> None:
    env = environment(oauth_synth)
    assert env[EnvVar.AUTH_MODE] == "oauth"
    assert env[EnvVar.PUBLIC_URL] == "https://mcp.example.com"
    assert env[EnvVar.OIDC_CONFIG_URL] == (
        "https://${aws_cognito_user_pool.oauth_user_pool.endpoint}/.well-known/openid-configuration"
    )
    assert env[EnvVar.OIDC_CLIENT_ID] == "${aws_cognito_user_pool_client.oauth_app_client.id}"
    assert env[EnvVar.OAUTH_STORE] == "dynamodb:${aws_dynamodb_table.oauth_state_table.name}"
    assert "http://localhost:*" in env[EnvVar.OAUTH_REDIRECT_URIS].split(",")
    assert EnvVar.OIDC_CLIENT_SECRET not in env


def test_outputs_give_pool_sign_in_url_and_mcp_url_and_no_key(oauth_synth: Synth) -> None:
    outputs = oauth_synth.document()["output"]
    assert outputs["mcp_url"]["value"] == "https://mcp.example.com/mcp"
    assert outputs["user_pool_id"]["value"] == "${aws_cognito_user_pool.oauth_user_pool.id}"
    assert outputs["sign_in_url"]["value"].endswith(".amazoncognito.com")
    assert "secret" not in json.dumps(outputs).lower()


def test_rotating_the_keys_rolls_the_tasks(synthesize: Callable[..., Synth]) -> None:
    synth = synthesize(OAUTH_EXAMPLE, oauth_keys_version=2)
    versions = synth.resources("aws_secretsmanager_secret_version").values()
    assert {v["secret_string_wo_version"] for v in versions} == {2}
    assert synth.resource("aws_ecs_service")["triggers"] == {"oauth_keys_version": "2"}


# `terraform validate` of the OAuth configuration runs on its superset (OAuth with WAF and groups),
# in tests/infra/test_sign_in_protection.py: each validate costs a provider init.
