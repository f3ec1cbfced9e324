"""An operator's Open-Meteo API key (commercial use): an existing Secrets Manager secret, injected into the
container as OPEN_METEO_API_KEY; Terraform only ever handles its ARN."""

from __future__ import annotations

import json

from server.contract import OPEN_METEO_CUSTOMER_URLS, EnvVar
from server.settings import ServerSettings
from tests.infra.conftest import Synth
from tests.infra.test_auth import container, execution_statements

KEY_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mcp/open-meteo-api-key-AbCdEf"


def test_default_sends_no_key_and_uses_the_free_hosts(default_synth: Synth) -> None:
    assert "OPEN_METEO_" not in json.dumps(container(default_synth))
    assert "DecryptServerKeys" not in execution_statements(default_synth)


def test_the_key_reaches_the_container_as_a_secret_never_a_value(full_synth: Synth) -> None:
    assert full_synth.config.open_meteo_api_key_secret_arn == KEY_SECRET
    secrets = {item["name"]: item["valueFrom"] for item in container(full_synth)["secrets"]}
    assert secrets[EnvVar.OPEN_METEO_API_KEY] == KEY_SECRET
    environment = {item["name"]: item["value"] for item in container(full_synth).get("environment", [])}
    assert EnvVar.OPEN_METEO_API_KEY not in environment
    # A key is for Open-Meteo's customer hosts: the server is pointed at them.
    assert {name: environment[name] for name in OPEN_METEO_CUSTOMER_URLS} == {
        EnvVar.OPEN_METEO_FORECAST_URL: "https://customer-api.open-meteo.com/v1/forecast",
        EnvVar.OPEN_METEO_GEOCODING_URL: "https://customer-geocoding-api.open-meteo.com/v1/search",
        EnvVar.OPEN_METEO_AIR_QUALITY_URL: "https://customer-air-quality-api.open-meteo.com/v1/air-quality",
    }
    assert (
        ServerSettings(**environment).open_meteo_forecast_url == environment[EnvVar.OPEN_METEO_FORECAST_URL]
    )


def test_terraform_never_reads_the_key_nor_outputs_it(full_synth: Synth) -> None:
    document = full_synth.document()
    # No data source reads the secret's value: it is never in state or a plan.
    assert "aws_secretsmanager_secret_version" not in document.get("data", {})
    assert KEY_SECRET not in json.dumps(document.get("output", {}))


def test_the_execution_role_may_read_that_secret_and_decrypt_it_with_the_stacks_key(
    full_synth: Synth,
) -> None:
    statements = execution_statements(full_synth)
    assert KEY_SECRET in statements["ReadServerKeys"]["resources"]
    assert statements["ReadServerKeys"]["actions"] == ["secretsmanager:GetSecretValue"]
    decrypt = statements["DecryptServerKeys"]
    assert decrypt["actions"] == ["kms:Decrypt"]
    assert decrypt["resources"] == ["${aws_kms_key.kms_key.arn}"]
    (condition,) = decrypt["condition"]
    assert (condition["variable"], condition["values"]) == (
        "kms:ViaService",
        ["secretsmanager.${data.aws_region.region.name}.${data.aws_partition.partition.dns_suffix}"],
    )


#: Without token auth (no generated secret), with the stack's key and VPC endpoints: one synth for both.
KEY_ONLY = {
    "kms_key_enabled": True,
    "vpc_endpoints_enabled": True,
    "open_meteo_api_key_secret_arn": KEY_SECRET,
}


def test_the_key_policy_lets_secrets_manager_use_the_key_for_this_account(synthesize) -> None:
    # Without the generated token, it is the Open-Meteo secret that may use the stack's key.
    synth = synthesize(**KEY_ONLY)
    policy = json.loads(synth.resource("aws_kms_key")["policy"])
    sids = {statement["Sid"]: statement for statement in policy["Statement"]}
    via = sids["SecretsmanagerForThisAccount"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via.startswith("secretsmanager.")
    assert synth.config.creates_auth_token_secret is False


def test_secrets_manager_gets_a_vpc_endpoint_for_the_key_without_auth(synthesize) -> None:
    synth = synthesize(**KEY_ONLY)
    services = {endpoint["service_name"] for endpoint in synth.resources("aws_vpc_endpoint").values()}
    assert any(name.endswith(".secretsmanager") for name in services)
