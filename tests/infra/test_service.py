"""Service: log group, least-privilege roles, task definition, task security group, ECS service."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.contract import SHUTDOWN_GRACE_SECONDS, EnvVar
from tests.infra.conftest import Synth


def container(synth: Synth) -> dict[str, Any]:
    (definition,) = json.loads(synth.resource("aws_ecs_task_definition")["container_definitions"])
    return definition


def environment(synth: Synth) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(synth)["environment"]}


def statements(synth: Synth, document: str) -> list[dict[str, Any]]:
    return synth.data("aws_iam_policy_document", document)["statement"]


def test_log_group_keeps_the_seeds_name_with_retention(default_synth: Synth) -> None:
    group = default_synth.resource("aws_cloudwatch_log_group")
    # The seed's name: an upgrade keeps the group (and the queries and alarms that name it).
    assert group["name"] == "/aws/ecs/McpServerAmazonECSStack"
    assert group["retention_in_days"] == 30


def test_execution_role_may_only_pull_the_image_and_write_logs(default_synth: Synth) -> None:
    allowed = {
        s["sid"]: (s["actions"], s["resources"])
        for s in statements(default_synth, "service_execution_permissions")
    }
    assert allowed == {
        "EcrLogin": (["ecr:GetAuthorizationToken"], ["*"]),
        "PullServerImage": (
            ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            ["${aws_ecr_repository.image_repository.arn}"],
        ),
        "WriteLogs": (
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            ["${aws_cloudwatch_log_group.observability_log_group.arn}:log-stream:*"],
        ),
    }


def test_prebuilt_ecr_image_is_pulled_from_its_own_repository(variant_synth: Synth) -> None:
    pull = next(
        s for s in statements(variant_synth, "service_execution_permissions") if s["sid"] == "PullServerImage"
    )
    assert pull["resources"] == [
        "arn:${data.aws_partition.partition.partition}:ecr:eu-west-1:123456789012:repository/team/mcp-weather"
    ]


def test_task_role_has_no_permissions(default_synth: Synth) -> None:
    task_role = "${aws_iam_role.service_task_role.name}"
    task_role_id = "${aws_iam_role.service_task_role.id}"
    for kind in ("aws_iam_role_policy", "aws_iam_role_policy_attachment"):
        assert not [
            p for p in default_synth.resources(kind).values() if p["role"] in (task_role, task_role_id)
        ]


def test_task_roles_trust_only_ecs_tasks_of_this_account(default_synth: Synth) -> None:
    (trust,) = statements(default_synth, "service_tasks_trust")
    assert trust["principals"] == [{"type": "Service", "identifiers": ["ecs-tasks.amazonaws.com"]}]
    variables = {c["variable"] for c in trust["condition"]}
    assert variables == {"aws:SourceAccount", "aws:SourceArn"}


def test_task_definition_is_awsvpc_ec2_arm64_with_configured_size(default_synth: Synth) -> None:
    task = default_synth.resource("aws_ecs_task_definition")
    assert task["network_mode"] == "awsvpc"
    assert task["requires_compatibilities"] == ["EC2"]
    assert task["runtime_platform"] == {"operating_system_family": "LINUX", "cpu_architecture": "ARM64"}
    assert (task["cpu"], task["memory"]) == ("2048", "4096")


def test_the_variants_task_size_reaches_the_task_definition_and_its_workers(variant_synth: Synth) -> None:
    task = variant_synth.resource("aws_ecs_task_definition")
    assert (task["cpu"], task["memory"]) == ("4096", "8192")
    assert environment(variant_synth)[EnvVar.WORKERS] == "4"  # one uvicorn worker per vCPU


def test_container_serves_port_8000_logs_to_cloudwatch_and_runs_as_non_root(default_synth: Synth) -> None:
    spec = container(default_synth)
    assert spec["portMappings"] == [{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}]
    assert spec["logConfiguration"]["logDriver"] == "awslogs"
    assert (
        spec["logConfiguration"]["options"]["awslogs-group"]
        == "${aws_cloudwatch_log_group.observability_log_group.name}"
    )
    assert spec["user"] == "10001:10001"
    assert spec["readonlyRootFilesystem"] is True
    assert spec["healthCheck"]["command"] == ["CMD", "python", "-m", "server.healthcheck"]
    # ECS must not SIGKILL the server while it drains in-flight calls (README: up to 20 s, ECS gives 30).
    assert (SHUTDOWN_GRACE_SECONDS, spec["stopTimeout"]) == (20, 30)


def test_container_environment_follows_the_server_contract(default_synth: Synth) -> None:
    assert environment(default_synth) == {
        EnvVar.HOST: "0.0.0.0",  # noqa: S104 - the container listens on its own interface
        EnvVar.PORT: "8000",
        EnvVar.WORKERS: "2",  # one uvicorn worker per vCPU the task reserves
        EnvVar.LOG_LEVEL: "INFO",
        EnvVar.LB_IDLE_TIMEOUT_SECONDS: "300",  # the ALB's idle timeout: the server outlasts it
    }


def test_operator_contact_reaches_the_nws_user_agent(variant_synth: Synth) -> None:
    env = environment(variant_synth)
    assert env[EnvVar.NWS_USER_AGENT].startswith("mcp-weather-server/")
    assert env[EnvVar.NWS_USER_AGENT].endswith("(ops@example.com)")
    assert env[EnvVar.LOG_LEVEL] == "DEBUG"


def test_tasks_accept_the_container_port_from_the_alb_only(default_synth: Synth) -> None:
    task_sg = "${aws_security_group.service_task_sg.id}"
    ingress = [
        r
        for r in default_synth.resources("aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == task_sg
    ]
    assert ingress == [
        {
            "description": "Container port from the load balancer",
            "from_port": 8000,
            "to_port": 8000,
            "ip_protocol": "tcp",
            "referenced_security_group_id": "${aws_security_group.load_balancer_alb_sg.id}",
            "security_group_id": task_sg,
            "//": ingress[0]["//"],
        }
    ]
    egress = [
        r
        for r in default_synth.resources("aws_vpc_security_group_egress_rule").values()
        if r["security_group_id"] == task_sg
    ]
    assert [(r["from_port"], r["to_port"], r["cidr_ipv4"]) for r in egress] == [(443, 443, "0.0.0.0/0")]


def test_service_runs_in_private_subnets_through_the_capacity_provider(default_synth: Synth) -> None:
    service = default_synth.resource("aws_ecs_service")
    assert service["desired_count"] == 1
    assert service["network_configuration"] == {
        "assign_public_ip": False,
        "security_groups": ["${aws_security_group.service_task_sg.id}"],
        "subnets": ["${aws_subnet.network_private_0.id}", "${aws_subnet.network_private_1.id}"],
    }
    assert service["capacity_provider_strategy"] == [
        {
            "base": 0,
            "capacity_provider": "${aws_ecs_capacity_provider.capacity_capacity_provider.name}",
            "weight": 1,
        }
    ]
    assert "launch_type" not in service
    assert service["load_balancer"] == [
        {
            "container_name": "mcp-server",
            "container_port": 8000,
            "target_group_arn": "${aws_lb_target_group.load_balancer_target_group.arn}",
        }
    ]


def test_rolling_deploy_keeps_full_capacity_and_rolls_back_failures(default_synth: Synth) -> None:
    service = default_synth.resource("aws_ecs_service")
    assert (service["deployment_minimum_healthy_percent"], service["deployment_maximum_percent"]) == (
        100,
        200,
    )
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["health_check_grace_period_seconds"] == 30
    # The extra task of a deploy needs a second instance: the group must be allowed to grow.
    assert default_synth.resource("aws_autoscaling_group")["max_size"] >= 2


def test_service_waits_for_listener_and_capacity_providers(default_synth: Synth) -> None:
    assert default_synth.resource("aws_ecs_service")["depends_on"] == [
        "aws_lb_listener.load_balancer_http_listener",
        "aws_ecs_cluster_capacity_providers.capacity_cluster_capacity_providers",
    ]


def test_image_and_task_definition_run_one_health_check_with_one_set_of_timings(default_synth: Synth) -> None:
    task_check = container(default_synth)["healthCheck"]
    dockerfile = (Path(__file__).resolve().parents[2] / "server" / "Dockerfile").read_text()
    image_check = re.search(r"HEALTHCHECK (.*?)\\\n\s*CMD (\[.*\])", dockerfile)
    assert image_check is not None
    flags = dict(re.findall(r"--([a-z-]+)=(\d+)s?", image_check[1]))

    assert ["CMD", *json.loads(image_check[2])] == task_check["command"]
    assert {
        "interval": int(flags["interval"]),
        "timeout": int(flags["timeout"]),
        "retries": int(flags["retries"]),
        "startPeriod": int(flags["start-period"]),
    } == {k: task_check[k] for k in ("interval", "timeout", "retries", "startPeriod")}
    assert (task_check["interval"], task_check["timeout"]) == (10, 3)


def test_another_servers_image_is_judged_by_the_target_group_check_alone(
    synthesize: Callable[..., Synth], default_synth: Synth
) -> None:
    # Another server (image_uri) answering on its own path has no `python -m server.healthcheck`:
    # a container check running it would fail every task. The target group checks its path instead.
    synth = synthesize(image_uri="registry.example.com/team/other-mcp:2.0", health_check_path="/healthz")
    assert "healthCheck" not in container(synth)
    assert synth.resource("aws_lb_target_group")["health_check"]["path"] == "/healthz"
    # Our own image keeps the container check (its module answers the contract's path).
    assert container(default_synth)["healthCheck"]["command"] == ["CMD", "python", "-m", "server.healthcheck"]
