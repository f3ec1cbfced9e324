"""WAF on the load balancer, VPC flow logs and the customer-managed key (examples/full-featured.json)."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synth

WAF_RESOURCES = (
    "aws_wafv2_web_acl",
    "aws_wafv2_web_acl_association",
    "aws_wafv2_web_acl_logging_configuration",
)


def test_default_configuration_has_no_waf_flow_logs_or_customer_key(default_synth: Synth) -> None:
    for kind in (*WAF_RESOURCES, "aws_flow_log", "aws_kms_key", "aws_kms_alias"):
        assert default_synth.resources(kind) == {}, kind
    (log_group,) = default_synth.resources("aws_cloudwatch_log_group").values()
    assert "kms_key_id" not in log_group


def test_web_acl_rate_limits_each_client_ip_with_429_before_the_managed_rules(full_synth: Synth) -> None:
    acl = full_synth.resource("aws_wafv2_web_acl")
    assert acl["scope"] == "REGIONAL"
    assert acl["default_action"] == {"allow": {}}
    rules = sorted(acl["rule"], key=lambda rule: rule["priority"])
    rate = rules[0]
    assert rate["statement"]["rate_based_statement"] == {"limit": 1000, "aggregate_key_type": "IP"}
    response = rate["action"]["block"]["custom_response"]
    assert response["response_code"] == 429
    (body,) = acl["custom_response_body"]
    assert body["key"] == response["custom_response_body_key"]
    assert "Too many requests" in json.loads(body["content"])["error"]
    # Written as Terraform's jsonencode writes it, so the HCL export plans the same string.
    assert body["content"] == json.dumps(json.loads(body["content"]), separators=(",", ":"))
    managed = {
        rule["statement"]["managed_rule_group_statement"]["name"]: rule
        for rule in rules[1:]
        if "managed_rule_group_statement" in rule["statement"]
    }
    assert set(managed) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    for rule in managed.values():
        assert rule["statement"]["managed_rule_group_statement"]["vendor_name"] == "AWS"
        assert rule["override_action"] == {"none": {}}  # the groups block; they do not only count
    for rule in [*rules, acl]:
        assert rule["visibility_config"]["cloudwatch_metrics_enabled"] is True
        assert rule["visibility_config"]["sampled_requests_enabled"] is True


def test_rate_limit_follows_the_configuration(synthesize) -> None:
    synth = synthesize(waf_enabled=True, waf_rate_limit_per_5_minutes=300)
    (rate,) = [
        r for r in synth.resource("aws_wafv2_web_acl")["rule"] if "rate_based_statement" in r["statement"]
    ]
    assert rate["statement"]["rate_based_statement"]["limit"] == 300
    # WAF alone: its log group uses CloudWatch Logs' own encryption and the default retention.
    groups = synth.resources("aws_cloudwatch_log_group")
    assert groups["waf_log_group"]["retention_in_days"] == 30
    assert "kms_key_id" not in groups["waf_log_group"]


def test_web_acl_guards_the_load_balancer_and_logs_without_credentials(full_synth: Synth) -> None:
    association = full_synth.resource("aws_wafv2_web_acl_association")
    assert association["resource_arn"] == "${aws_lb.load_balancer_alb.arn}"
    assert association["web_acl_arn"] == "${aws_wafv2_web_acl.waf_web_acl.arn}"
    logging = full_synth.resource("aws_wafv2_web_acl_logging_configuration")
    assert logging["resource_arn"] == "${aws_wafv2_web_acl.waf_web_acl.arn}"
    assert logging["log_destination_configs"] == ["${aws_cloudwatch_log_group.waf_log_group.arn}"]
    redacted = {field["single_header"]["name"] for field in logging["redacted_fields"]}
    assert redacted == {"authorization", "cookie"}
    group = full_synth.resources("aws_cloudwatch_log_group")["waf_log_group"]
    # WAF delivers only to log groups named aws-waf-logs-*.
    assert group["name"] == "aws-waf-logs-mcp-server"
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"] == "${aws_kms_key.kms_key.arn}"


def test_flow_logs_record_rejected_traffic_through_a_role_scoped_to_their_group(full_synth: Synth) -> None:
    flow_log = full_synth.resource("aws_flow_log")
    assert flow_log["vpc_id"] == "${aws_vpc.network_vpc.id}"
    assert flow_log["traffic_type"] == "REJECT"
    assert flow_log["log_destination_type"] == "cloud-watch-logs"
    assert flow_log["log_destination"] == "${aws_cloudwatch_log_group.flow_logs_log_group.arn}"
    assert flow_log["iam_role_arn"] == "${aws_iam_role.flow_logs_role.arn}"
    group = full_synth.resources("aws_cloudwatch_log_group")["flow_logs_log_group"]
    assert (group["name"], group["retention_in_days"]) == ("/aws/vpc/mcp-server/flow-logs", 365)
    assert group["kms_key_id"] == "${aws_kms_key.kms_key.arn}"

    trust = full_synth.data("aws_iam_policy_document", "flow_logs_trust")["statement"][0]
    assert trust["principals"][0]["identifiers"] == ["vpc-flow-logs.amazonaws.com"]
    assert {c["variable"] for c in trust["condition"]} == {"aws:SourceAccount", "aws:SourceArn"}
    statements = {
        s["sid"]: s for s in full_synth.data("aws_iam_policy_document", "flow_logs_permissions")["statement"]
    }
    write = statements["WriteFlowLogs"]
    assert set(write["actions"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    assert write["resources"] == [
        "${aws_cloudwatch_log_group.flow_logs_log_group.arn}",
        "${aws_cloudwatch_log_group.flow_logs_log_group.arn}:log-stream:*",
    ]
    assert statements["FindLogGroup"]["actions"] == ["logs:DescribeLogGroups"]


def key_statements(synth: Synth) -> dict[str, dict[str, Any]]:
    policy = json.loads(synth.resource("aws_kms_key")["policy"])
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def test_customer_key_rotates_and_encrypts_logs_secret_and_repository(full_synth: Synth) -> None:
    key = full_synth.resource("aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert key["rotation_period_in_days"] == 365
    assert full_synth.resource("aws_kms_alias")["name"] == "alias/mcp-server"
    arn = "${aws_kms_key.kms_key.arn}"
    groups = full_synth.resources("aws_cloudwatch_log_group")
    assert {name: group["kms_key_id"] for name, group in groups.items()} == dict.fromkeys(groups, arn)
    assert full_synth.resource("aws_secretsmanager_secret")["kms_key_id"] == arn
    (encryption,) = full_synth.resource("aws_ecr_repository")["encryption_configuration"]
    assert encryption == {"encryption_type": "KMS", "kms_key": arn}


def test_key_policy_names_each_service_and_grants_no_direct_use(full_synth: Synth) -> None:
    statements = key_statements(full_synth)
    assert set(statements) == {
        "AccountAdministersTheKey",
        "CloudWatchLogsForTheStackLogGroups",
        "SecretsmanagerForThisAccount",
        "EcrForThisAccount",
        "ElasticacheForThisAccount",
    }
    for statement in statements.values():
        assert statement["Principal"] != "*"
        assert "kms:*" not in statement["Action"]
    admin = statements["AccountAdministersTheKey"]
    assert not {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"} & set(admin["Action"])

    logs = statements["CloudWatchLogsForTheStackLogGroups"]
    assert logs["Principal"] == {
        "Service": "logs.${data.aws_region.region.name}.${data.aws_partition.partition.dns_suffix}"
    }
    scoped = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert [arn.rsplit(":log-group:", 1)[1] for arn in scoped] == [
        "/aws/ecs/McpServerAmazonECSStack",
        "aws-waf-logs-mcp-server",
        "/aws/vpc/mcp-server/flow-logs",
    ]
    for service in ("secretsmanager", "ecr", "elasticache"):
        condition = statements[f"{service.capitalize()}ForThisAccount"]["Condition"]["StringEquals"]
        assert condition["kms:ViaService"].startswith(f"{service}.")
        assert condition["kms:CallerAccount"] == "${data.aws_caller_identity.caller.account_id}"


def test_key_policy_leaves_out_services_that_do_not_use_the_key(synthesize) -> None:
    synth = synthesize(kms_key_enabled=True, image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/mcp:1.0")
    statements = key_statements(synth)
    assert set(statements) == {"AccountAdministersTheKey", "CloudWatchLogsForTheStackLogGroups"}
    scoped = statements["CloudWatchLogsForTheStackLogGroups"]["Condition"]["ArnEquals"]
    assert len(scoped["kms:EncryptionContext:aws:logs:arn"]) == 1


def test_tasks_decrypt_the_token_only_through_secrets_manager(full_synth: Synth) -> None:
    statements = {
        s["sid"]: s
        for s in full_synth.data("aws_iam_policy_document", "service_execution_permissions")["statement"]
    }
    decrypt = statements["DecryptAuthToken"]
    assert decrypt["actions"] == ["kms:Decrypt"]
    assert decrypt["resources"] == ["${aws_kms_key.kms_key.arn}"]
    (condition,) = decrypt["condition"]
    assert condition["variable"] == "kms:ViaService"
    assert condition["values"][0].startswith("secretsmanager.")
