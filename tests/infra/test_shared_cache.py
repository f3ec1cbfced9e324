"""shared_cache_enabled: ElastiCache for Valkey shared by every task, as synthesized. On its own it
makes a working cache (TLS, encryption at rest, IAM authentication, reachable from the tasks only,
wired into the task definition); the full-featured configuration adds a replica, Multi-AZ and the
customer-managed key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from server.contract import SHARED_CACHE_ACCESS_STRING, EnvVar
from stacks.config import InfraConfigError
from stacks.shared_cache import ENGINE_VERSION
from tests.infra.conftest import Synth, load_test_config

CACHE = "${aws_elasticache_replication_group.shared_cache_replication_group"


@pytest.fixture(scope="module")
def cache_synth(synthesize: Callable[..., Synth]) -> Synth:
    """The default configuration with shared_cache_enabled and nothing else."""
    return synthesize(shared_cache_enabled=True)


def environment(synth: Synth) -> dict[str, str]:
    definition = synth.resource("aws_ecs_task_definition")
    (container, *_) = json.loads(definition["container_definitions"])
    return {item["name"]: item["value"] for item in container["environment"]}


def test_on_its_own_it_makes_one_encrypted_valkey_node_in_the_private_subnets(cache_synth: Synth) -> None:
    group = cache_synth.resource("aws_elasticache_replication_group")
    assert (group["engine"], group["engine_version"]) == ("valkey", ENGINE_VERSION)
    assert group["node_type"] == "cache.t4g.micro"  # Graviton
    assert (group["num_cache_clusters"], group["automatic_failover_enabled"], group["multi_az_enabled"]) == (
        1,
        False,
        False,
    )
    assert (group["transit_encryption_enabled"], group["transit_encryption_mode"]) == (True, "required")
    assert group["at_rest_encryption_enabled"] == "true"
    assert "kms_key_id" not in group  # ElastiCache's own key without kms_key_enabled
    subnets = cache_synth.resource("aws_elasticache_subnet_group")["subnet_ids"]
    assert subnets == [f"${{aws_subnet.network_private_{index}.id}}" for index in range(2)]


def test_no_secret_exists_the_server_authenticates_with_iam(cache_synth: Synth) -> None:
    group = cache_synth.resource("aws_elasticache_replication_group")
    users = cache_synth.resources("aws_elasticache_user")
    assert "auth_token" not in group
    assert all(
        "passwords" not in user and "passwords" not in user["authentication_mode"] for user in users.values()
    )
    server = users["shared_cache_server_user"]
    assert server["authentication_mode"] == {"type": "iam"}
    assert server["user_id"] == server["user_name"] == "mcp-server-tasks"  # IAM wants them equal
    assert server["access_string"] == SHARED_CACHE_ACCESS_STRING
    default = users["shared_cache_default_user"]
    assert (default["user_name"], default["access_string"]) == ("default", "off -@all")
    user_group = cache_synth.resource("aws_elasticache_user_group")
    assert user_group["user_ids"] == [
        "${aws_elasticache_user.shared_cache_default_user.user_id}",
        "${aws_elasticache_user.shared_cache_server_user.user_id}",
    ]
    assert group["user_group_ids"] == ["${aws_elasticache_user_group.shared_cache_user_group.user_group_id}"]


def test_the_task_role_may_connect_to_this_cache_as_its_user_only(cache_synth: Synth) -> None:
    policy = cache_synth.data("aws_iam_policy_document", "service_server_permissions")
    assert policy["statement"] == [
        {
            "sid": "ConnectToTheFleetCache",
            "effect": "Allow",
            "actions": ["elasticache:Connect"],
            "resources": [f"{CACHE}.arn}}", "${aws_elasticache_user.shared_cache_server_user.arn}"],
        }
    ]


def test_only_the_tasks_reach_the_cache_and_only_on_the_valkey_port(cache_synth: Synth) -> None:
    group = cache_synth.resource("aws_elasticache_replication_group")
    cache_sg = "${aws_security_group.shared_cache_security_group.id}"
    assert group["security_group_ids"] == [cache_sg]
    ingress = [
        r
        for r in cache_synth.resources("aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == cache_sg
    ]
    assert [(r["referenced_security_group_id"], r["from_port"], r["to_port"]) for r in ingress] == [
        ("${aws_security_group.service_task_sg.id}", 6379, 6379)
    ]
    egress = cache_synth.resources("aws_vpc_security_group_egress_rule")
    assert not [r for r in egress.values() if r["security_group_id"] == cache_sg]
    to_cache = egress["service_task_to_shared_cache"]
    assert (
        to_cache["security_group_id"],
        to_cache["referenced_security_group_id"],
        to_cache["from_port"],
    ) == (
        "${aws_security_group.service_task_sg.id}",
        cache_sg,
        6379,
    )


def test_the_task_definition_points_the_server_at_the_cache_over_tls(cache_synth: Synth) -> None:
    env = environment(cache_synth)
    assert env[EnvVar.SHARED_CACHE_URL] == f"rediss://{CACHE}.primary_endpoint_address}}:6379"
    assert env[EnvVar.SHARED_CACHE_USERNAME] == "${aws_elasticache_user.shared_cache_server_user.user_name}"
    assert env[EnvVar.SHARED_CACHE_IAM_CACHE_NAME] == f"{CACHE}.replication_group_id}}"
    assert env["AWS_REGION"] == "${data.aws_region.region.name}"
    assert EnvVar.SHARED_CACHE_PASSWORD not in env
    outputs = cache_synth.document()["output"]
    assert outputs["shared_cache_url"]["value"] == env[EnvVar.SHARED_CACHE_URL]


def test_cpu_memory_and_eviction_alarms_and_dashboard_widgets(cache_synth: Synth) -> None:
    alarms = cache_synth.resources("aws_cloudwatch_metric_alarm")
    watched = {
        key: {q["metric"]["metric_name"] for q in alarm["metric_query"] if "metric" in q}
        for key, alarm in alarms.items()
        if key.startswith("alarms_shared_cache")
    }
    assert watched == {
        "alarms_shared_cache_cpu": {"CPUUtilization"},
        "alarms_shared_cache_memory": {"DatabaseMemoryUsagePercentage"},
        "alarms_shared_cache_evictions": {"Evictions"},
    }
    evictions = alarms["alarms_shared_cache_evictions"]
    assert evictions["threshold"] == 0
    dimensions = [q["metric"]["dimensions"] for q in evictions["metric_query"] if "metric" in q]
    assert dimensions == [{"CacheClusterId": "mcp-server-cache-001"}]
    body = json.loads(cache_synth.resource("aws_cloudwatch_dashboard")["dashboard_body"])
    titles = [widget["properties"]["title"] for widget in body["widgets"]]
    assert [title for title in titles if title.startswith("Fleet cache")] == [
        "Fleet cache: CPU and memory (%)",
        "Fleet cache: evictions, items, calls without it",
    ]


def test_replicas_bring_multi_az_failover_and_the_customer_managed_key(full_synth: Synth) -> None:
    group = full_synth.resource("aws_elasticache_replication_group")
    assert full_synth.config.shared_cache_replicas == 1
    assert (group["num_cache_clusters"], group["automatic_failover_enabled"], group["multi_az_enabled"]) == (
        2,
        True,
        True,
    )
    assert group["kms_key_id"] == "${aws_kms_key.kms_key.arn}"
    policy = json.loads(full_synth.resource("aws_kms_key")["policy"])
    via = [
        s["Condition"]["StringEquals"]["kms:ViaService"]
        for s in policy["Statement"]
        if "Condition" in s and "StringEquals" in s["Condition"]
    ]
    assert "elasticache.${data.aws_region.region.name}.${data.aws_partition.partition.dns_suffix}" in via
    alarm = full_synth.resources("aws_cloudwatch_metric_alarm")["alarms_shared_cache_cpu"]
    nodes = [q["metric"]["dimensions"]["CacheClusterId"] for q in alarm["metric_query"] if "metric" in q]
    assert nodes == ["mcp-server-cache-001", "mcp-server-cache-002"]
    assert [q["expression"] for q in alarm["metric_query"] if "expression" in q] == ["MAX([node0, node1])"]


def test_the_default_configuration_has_no_cache(default_synth: Synth) -> None:
    assert default_synth.resources("aws_elasticache_replication_group") == {}
    assert EnvVar.SHARED_CACHE_URL not in environment(default_synth)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"shared_cache_replicas": 1}, "shared_cache_replicas only apply with shared_cache_enabled"),
        ({"shared_cache_node_type": "cache.r7g.large"}, "shared_cache_node_type only apply"),
        ({"shared_cache_enabled": True, "shared_cache_replicas": 6}, "less than or equal to 5"),
        (
            {"shared_cache_enabled": True, "shared_cache_node_type": "t4g.micro"},
            "must be an ElastiCache node type",
        ),
        ({"shared_cache_enabled": True, "name": "mcp--weather"}, "two hyphens in a row"),
    ],
)
def test_cache_settings_that_cannot_work_are_refused(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(InfraConfigError, match=expected):
        load_test_config(**overrides)
