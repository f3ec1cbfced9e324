"""Cost and debugging options: VPC endpoints and ECS Exec."""

from __future__ import annotations

import json

from tests.infra.conftest import Synth


def test_default_has_no_endpoints_and_no_exec(default_synth: Synth) -> None:
    assert default_synth.resources("aws_vpc_endpoint") == {}
    assert "enable_execute_command" not in default_synth.resource("aws_ecs_service")


def test_interface_endpoints_for_image_pulls_logs_and_the_token(full_synth: Synth) -> None:
    endpoints = full_synth.resources("aws_vpc_endpoint")
    interface = {e["service_name"]: e for e in endpoints.values() if e["vpc_endpoint_type"] == "Interface"}
    assert sorted(interface) == [
        "com.amazonaws.${data.aws_region.region.name}.ecr.api",
        "com.amazonaws.${data.aws_region.region.name}.ecr.dkr",
        "com.amazonaws.${data.aws_region.region.name}.logs",
        "com.amazonaws.${data.aws_region.region.name}.secretsmanager",
    ]
    for endpoint in interface.values():
        assert endpoint["private_dns_enabled"] is True
        assert endpoint["subnet_ids"] == [
            "${aws_subnet.network_private_0.id}",
            "${aws_subnet.network_private_1.id}",
        ]
    rule = full_synth.resources("aws_vpc_security_group_ingress_rule")["endpoints_https_from_vpc"]
    assert (rule["from_port"], rule["cidr_ipv4"]) == (443, "10.0.0.0/16")


def test_s3_gateway_endpoint_serves_the_private_route_tables(full_synth: Synth) -> None:
    gateway = full_synth.resources("aws_vpc_endpoint")["endpoints_s3"]
    assert gateway["vpc_endpoint_type"] == "Gateway"
    assert gateway["route_table_ids"] == [
        "${aws_route_table.network_private_rt_0.id}",
        "${aws_route_table.network_private_rt_1.id}",
    ]


def test_ecs_exec_adds_only_the_ssm_channel_permissions(full_synth: Synth) -> None:
    assert full_synth.resource("aws_ecs_service")["enable_execute_command"] is True
    (statement,) = full_synth.data("aws_iam_policy_document", "service_exec_permissions")["statement"]
    assert sorted(statement["actions"]) == [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]
    policy = full_synth.resources("aws_iam_role_policy")["service_exec_policy"]
    assert policy["role"] == "${aws_iam_role.service_task_role.id}"
    definitions = json.loads(full_synth.resource("aws_ecs_task_definition")["container_definitions"])
    (definition,) = [d for d in definitions if d["name"] == "mcp-server"]
    assert definition["readonlyRootFilesystem"] is False  # the exec agent writes into the container
