"""tracing_enabled: an ADOT collector sidecar exporting to X-Ray, and the server pointed at it."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synth


def containers(synth: Synth) -> dict[str, dict[str, Any]]:
    definitions = json.loads(synth.resource("aws_ecs_task_definition")["container_definitions"])
    return {definition["name"]: definition for definition in definitions}


def environment(definition: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in definition["environment"]}


def test_tracing_is_off_by_default_no_sidecar_no_exporter_no_permission(default_synth: Synth) -> None:
    (server,) = containers(default_synth).values()
    assert not [name for name in environment(server) if name.startswith("OTEL_")]
    assert "service_tracing_policy" not in default_synth.resources("aws_iam_role_policy")


def test_collector_sidecar_is_health_checked_logs_to_its_own_stream_and_is_not_essential(
    full_synth: Synth,
) -> None:
    found = containers(full_synth)
    assert set(found) == {"mcp-server", "aws-otel-collector"}
    collector, server = found["aws-otel-collector"], found["mcp-server"]
    assert collector["image"] == "public.ecr.aws/aws-observability/aws-otel-collector:v0.45.0"
    assert collector["essential"] is False  # a collector failure must not stop the server
    assert server["essential"] is True
    assert collector["healthCheck"]["command"] == ["CMD", "/healthcheck"]
    assert collector["readonlyRootFilesystem"] is True
    assert not collector["user"].startswith("0")
    assert collector["portMappings"] == []  # reachable on the task's loopback only
    logs = collector["logConfiguration"]["options"]
    assert logs["awslogs-stream-prefix"] == "adot"
    assert logs["awslogs-stream-prefix"] != server["logConfiguration"]["options"]["awslogs-stream-prefix"]
    assert logs["awslogs-group"] == server["logConfiguration"]["options"]["awslogs-group"]


def test_collector_receives_otlp_on_loopback_and_exports_only_to_xray(full_synth: Synth) -> None:
    collector = containers(full_synth)["aws-otel-collector"]
    config = json.loads(environment(collector)["AOT_CONFIG_CONTENT"])
    assert config["receivers"] == {"otlp": {"protocols": {"http": {"endpoint": "127.0.0.1:4318"}}}}
    assert list(config["exporters"]) == ["awsxray"]
    assert config["exporters"]["awsxray"]["region"] == "${data.aws_region.region.name}"
    assert config["service"]["pipelines"] == {
        "traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["awsxray"]}
    }
    assert config["service"]["extensions"] == ["health_check"]


def test_server_exports_to_the_sidecar_with_parent_based_sampling(full_synth: Synth) -> None:
    server = environment(containers(full_synth)["mcp-server"])
    assert server["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318"
    assert server["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    assert server["OTEL_TRACES_SAMPLER_ARG"] == "0.05"


def test_sample_share_and_collector_image_follow_the_configuration(synthesize) -> None:
    synth = synthesize(
        tracing_enabled=True,
        tracing_sample_percent=100,
        tracing_collector_image="public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3",
    )
    found = containers(synth)
    assert environment(found["mcp-server"])["OTEL_TRACES_SAMPLER_ARG"] == "1"
    assert found["aws-otel-collector"]["image"].endswith(":v0.43.3")


def test_task_role_may_only_send_traces(full_synth: Synth) -> None:
    policy = full_synth.resources("aws_iam_role_policy")["service_tracing_policy"]
    assert policy["role"] == "${aws_iam_role.service_task_role.id}"
    (statement,) = full_synth.data("aws_iam_policy_document", "service_tracing_permissions")["statement"]
    assert statement["actions"] == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    # X-Ray's write actions have no resource-level permissions: "*" is the only valid resource.
    assert statement["resources"] == ["*"]
