"""examples/full-featured.json on emulated AWS: HTTPS with a domain, generated token, autoscaling,
alarms with email, dashboard, access logs, VPC endpoints, ECS Exec, WAF, flow logs, a customer-managed
key, the fleet cache (ElastiCache for Valkey). Deploy, no drift, then the move from token auth to
OAuth sign-in (auth_mode oauth: Cognito, state table, keys) with deletion protection lifted, no
drift, teardown leaving nothing behind. Tests run in file order and share one deployment (see
tests/deploy/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import Emulator, Project, make_project
from tests.deploy.hcl_plans import plan_from_empty_state
from tests.deploy.leftovers import assert_nothing_left, inventory
from tests.terraform_cli import terraform

pytestmark = pytest.mark.timeout(900)

FULL_FEATURED = Path(__file__).resolve().parents[2] / "examples" / "full-featured.json"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: Emulator) -> Project:
    project = make_project(tmp_path_factory.mktemp("full"), moto_endpoint)
    context = json.loads(FULL_FEATURED.read_text())["context"]
    # The user's own hosted zone; in the empty emulated account it has to be created first.
    zone = project.client("route53").create_hosted_zone(Name="example.com", CallerReference="deploy-suite")
    context["hosted_zone_id"] = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
    (project.root / "cdktf.json").write_text(
        json.dumps({**json.loads((project.root / "cdktf.json").read_text()), "context": context}, indent=2)
    )
    return project


@pytest.fixture(scope="module")
def outputs(project: Project) -> dict[str, Any]:
    return project.deploy()


def test_full_featured_stack_deploys_with_https_url(outputs: dict[str, Any]) -> None:
    assert outputs["mcp_url"] == "https://mcp.example.com/mcp"
    assert outputs["auth_token_secret_arn"].startswith("arn:aws:secretsmanager:us-east-1:")
    assert "#dashboards:name=mcp-server" in outputs["dashboard_url"]
    assert outputs["alarm_topic_arn"].startswith("arn:aws:sns:us-east-1:")


def test_generated_token_is_in_secrets_manager_but_not_in_state(
    project: Project, outputs: dict[str, Any]
) -> None:
    token = project.client("secretsmanager").get_secret_value(SecretId=outputs["auth_token_secret_arn"])[
        "SecretString"
    ]
    assert len(token) == 48
    assert token.isalnum()
    state = (project.root / "terraform.McpServerAmazonECSStack.tfstate").read_text()
    assert token not in state
    assert token not in json.dumps(outputs)


def test_https_listener_alarms_and_scaling_exist(project: Project, outputs: dict[str, Any]) -> None:
    elbv2 = project.client("elbv2")
    (alb,) = elbv2.describe_load_balancers(Names=["mcp-server"])["LoadBalancers"]
    listeners = {
        listener["Port"]: listener
        for listener in elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    }
    assert listeners[443]["Protocol"] == "HTTPS"
    assert listeners[443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    alarms = project.client("cloudwatch").describe_alarms(AlarmNamePrefix="mcp-server-")["MetricAlarms"]
    assert len(alarms) == 10  # 7 of the service, 3 of the fleet cache
    targets = project.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in targets["ScalableTargets"]] == [(1, 3)]


def test_the_domain_is_an_alias_of_the_load_balancer(project: Project, outputs: dict[str, Any]) -> None:
    (alb,) = project.client("elbv2").describe_load_balancers(Names=["mcp-server"])["LoadBalancers"]
    zone = json.loads((project.root / "cdktf.json").read_text())["context"]["hosted_zone_id"]
    records = project.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    aliases = {(r["Name"], r["Type"]): r["AliasTarget"] for r in records if "AliasTarget" in r}
    assert list(aliases) == [("mcp.example.com.", "A")]
    for target in aliases.values():
        assert target["DNSName"].rstrip(".").lower() == alb["DNSName"].lower()
        assert target["HostedZoneId"] == alb["CanonicalHostedZoneId"]


def test_waf_guards_the_load_balancer_and_logs_with_redaction(
    project: Project, outputs: dict[str, Any]
) -> None:
    (alb,) = project.client("elbv2").describe_load_balancers(Names=["mcp-server"])["LoadBalancers"]
    wafv2 = project.client("wafv2")
    acl = wafv2.get_web_acl_for_resource(ResourceArn=alb["LoadBalancerArn"])["WebACL"]
    rate = next(rule for rule in acl["Rules"] if "RateBasedStatement" in rule["Statement"])
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == 1000
    assert rate["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    logging = wafv2.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
    assert logging["LogDestinationConfigs"][0].endswith(":log-group:aws-waf-logs-mcp-server")


def test_flow_logs_and_encrypted_log_groups_exist(project: Project, outputs: dict[str, Any]) -> None:
    (flow_log,) = project.client("ec2").describe_flow_logs()["FlowLogs"]
    assert flow_log["TrafficType"] == "REJECT"
    assert flow_log["LogDestination"].endswith(":log-group:/aws/vpc/mcp-server/flow-logs")
    kms = project.client("kms")
    key_id = kms.describe_key(KeyId="alias/mcp-server")["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    groups = project.client("logs").describe_log_groups()["logGroups"]
    assert {group["logGroupName"]: group["retentionInDays"] for group in groups} == {
        "/aws/ecs/McpServerAmazonECSStack": 365,
        "aws-waf-logs-mcp-server": 365,
        "/aws/vpc/mcp-server/flow-logs": 365,
    }
    assert all(group["kmsKeyId"].endswith(key_id) for group in groups)


def test_the_fleet_cache_is_valkey_over_tls_with_an_iam_user_and_no_secret(
    project: Project, outputs: dict[str, Any]
) -> None:
    elasticache = project.client("elasticache")
    (group,) = elasticache.describe_replication_groups(ReplicationGroupId="mcp-server-cache")[
        "ReplicationGroups"
    ]
    assert group["MemberClusters"] == ["mcp-server-cache-001", "mcp-server-cache-002"]
    assert (group["MultiAZ"], group["AutomaticFailover"]) == ("enabled", "enabled")
    assert group["TransitEncryptionEnabled"] is True
    assert group["AtRestEncryptionEnabled"] is True
    assert group["AuthTokenEnabled"] is False
    key_arn = project.client("kms").describe_key(KeyId="alias/mcp-server")["KeyMetadata"]["Arn"]
    assert group["KmsKeyId"] == key_arn
    assert group["UserGroupIds"] == ["mcp-server-cache"]
    users = {user["UserId"]: user for user in elasticache.describe_users()["Users"]}
    assert users["mcp-server-tasks"]["Authentication"]["Type"] == "iam"
    assert users["mcp-server-default"]["AccessString"] == "off -@all"
    endpoint = group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    assert outputs["shared_cache_url"] == f"rediss://{endpoint}:6379"
    (service,) = project.client("ecs").describe_services(cluster="mcp-server", services=["mcp-server"])[
        "services"
    ]
    definition = project.client("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])
    environment = {
        e["name"]: e["value"] for e in definition["taskDefinition"]["containerDefinitions"][0]["environment"]
    }
    assert environment["MCP_SHARED_CACHE_URL"] == outputs["shared_cache_url"]
    assert environment["MCP_SHARED_CACHE_USERNAME"] == "mcp-server-tasks"
    assert environment["MCP_SHARED_CACHE_IAM_CACHE_NAME"] == "mcp-server-cache"


def test_plan_after_deploy_has_no_changes(project: Project, outputs: dict[str, Any]) -> None:
    result = project.terraform("plan", "-detailed-exitcode", "-input=false", check=False)
    assert result.returncode == 0, f"perpetual diff after deploy:\n{result.stdout}\n{result.stderr}"


def test_exported_hcl_plans_no_changes_and_like_the_json_synth(
    project: Project, outputs: dict[str, Any], tmp_path: Path
) -> None:
    hcl_module = project.export_hcl()
    env = project.command_env()
    terraform(["init", "-input=false"], hcl_module, env)
    result = terraform(["plan", "-detailed-exitcode", "-input=false"], hcl_module, env, check=False)
    assert result.returncode == 0, (
        f"the exported module would change things:\n{result.stdout}\n{result.stderr}"
    )

    from_json = plan_from_empty_state(project.stack_dir(), tmp_path / "json", env)
    from_hcl = plan_from_empty_state(hcl_module, tmp_path / "hcl", env)
    assert sorted(from_hcl["resources"]) == sorted(from_json["resources"])
    for address, planned in from_json["resources"].items():
        assert from_hcl["resources"][address] == planned, address
    assert from_hcl["outputs"] == from_json["outputs"]


def test_moving_to_oauth_adds_sign_in_with_no_key_in_state(project: Project, outputs: dict[str, Any]) -> None:
    project.overrides.update({"MCP_STACK_AUTH_MODE": "oauth", "MCP_STACK_AUTH_ENABLED": "false"})
    # Deletion protection is on in this configuration: lifting it is the teardown's deliberate first
    # step. It rides along with this deploy (an in-place attribute change) to save an apply cycle.
    project.overrides["MCP_STACK_ALB_DELETION_PROTECTION"] = "false"
    oauth = project.deploy()
    account = project.client("sts").get_caller_identity()["Account"]
    assert oauth["mcp_url"] == "https://mcp.example.com/mcp"
    assert oauth["sign_in_url"] == f"https://mcp-server-{account}.auth.us-east-1.amazoncognito.com"
    assert "auth_token_secret_arn" not in oauth

    cognito = project.client("cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=oauth["user_pool_id"])["UserPool"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "OPTIONAL"
    (listed,) = cognito.list_user_pool_clients(UserPoolId=oauth["user_pool_id"])["UserPoolClients"]
    client = cognito.describe_user_pool_client(UserPoolId=oauth["user_pool_id"], ClientId=listed["ClientId"])
    assert client["UserPoolClient"]["CallbackURLs"] == ["https://mcp.example.com/auth/callback"]
    assert "ClientSecret" not in client["UserPoolClient"]
    assert client["UserPoolClient"]["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # no SRP
    # With WAF on, the sign-in paths get their own rate limit (stacks/waf.py).
    acl = project.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"][0]
    rules = project.client("wafv2").get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"][
        "Rules"
    ]
    assert "rate-limit-sign-in-per-ip" in {rule["Name"] for rule in rules}

    dynamodb = project.client("dynamodb")
    table = dynamodb.describe_table(TableName="mcp-server-oauth-state")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName="mcp-server-oauth-state")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")
    backups = dynamodb.describe_continuous_backups(TableName="mcp-server-oauth-state")
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"

    secrets = project.client("secretsmanager")
    names = sorted(s["Name"] for s in secrets.list_secrets()["SecretList"])
    assert names == ["mcp-server/mcp-oauth-signing-key", "mcp-server/mcp-oauth-storage-key"]
    state = (project.root / "terraform.McpServerAmazonECSStack.tfstate").read_text()
    for name in names:
        key = secrets.get_secret_value(SecretId=name)["SecretString"]
        assert len(key) == 64
        assert key.isalnum()
        assert key not in state
        assert key not in json.dumps(oauth)

    result = project.terraform("plan", "-detailed-exitcode", "-input=false", check=False)
    assert result.returncode == 0, (
        f"perpetual diff after the move to oauth:\n{result.stdout}\n{result.stderr}"
    )


def test_teardown_after_lifting_deletion_protection_leaves_nothing(
    project: Project, outputs: dict[str, Any]
) -> None:
    (alb,) = project.client("elbv2").describe_load_balancers(Names=["mcp-server"])["LoadBalancers"]
    attributes = project.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=alb["LoadBalancerArn"]
    )
    protection = {a["Key"]: a["Value"] for a in attributes["Attributes"]}["deletion_protection.enabled"]
    assert protection == "false", "the move to oauth was to lift deletion protection"
    before = inventory(project)
    project.destroy()
    assert_nothing_left(project, before)
