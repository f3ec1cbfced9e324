"""Service autoscaling (CPU and requests per target); the capacity provider follows with instances."""

from __future__ import annotations

from tests.infra.conftest import Synth


def test_default_runs_a_fixed_task_count(default_synth: Synth) -> None:
    assert default_synth.resources("aws_appautoscaling_target") == {}
    assert "lifecycle" not in default_synth.resource("aws_ecs_service")


def test_autoscaling_target_spans_the_configured_task_range(full_synth: Synth) -> None:
    target = full_synth.resource("aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (1, 3)
    assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    assert (
        target["resource_id"]
        == "service/${aws_ecs_cluster.capacity_cluster.name}/${aws_ecs_service.service_service.name}"
    )


def test_target_tracking_on_cpu_and_on_requests_per_task(full_synth: Synth) -> None:
    policies = full_synth.resources("aws_appautoscaling_policy")
    cpu = policies["autoscaling_cpu"]["target_tracking_scaling_policy_configuration"]
    assert (
        cpu["predefined_metric_specification"]["predefined_metric_type"] == "ECSServiceAverageCPUUtilization"
    )
    assert cpu["target_value"] == 60
    requests = policies["autoscaling_requests"]["target_tracking_scaling_policy_configuration"]
    spec = requests["predefined_metric_specification"]
    assert spec["predefined_metric_type"] == "ALBRequestCountPerTarget"
    alb, target_group = (
        "${aws_lb.load_balancer_alb.arn_suffix}",
        "${aws_lb_target_group.load_balancer_target_group.arn_suffix}",
    )
    assert spec["resource_label"] == f"{alb}/{target_group}"


def test_autoscaling_owns_the_desired_count(full_synth: Synth) -> None:
    assert full_synth.resource("aws_ecs_service")["lifecycle"] == {"ignore_changes": ["desired_count"]}


def test_instances_can_grow_to_hold_the_largest_task_count(full_synth: Synth) -> None:
    group = full_synth.resource("aws_autoscaling_group")
    assert group["max_size"] == 4  # 3 tasks + 1 for a rolling deploy, one 4 GiB task per c6g.xlarge
    provider = full_synth.resource("aws_ecs_capacity_provider")["auto_scaling_group_provider"]
    assert provider["managed_scaling"]["status"] == "ENABLED"


def test_no_stickiness_because_the_server_is_stateless(full_synth: Synth) -> None:
    assert "stickiness" not in full_synth.resource("aws_lb_target_group")


def test_autoscaling_range_and_targets_follow_the_configuration(tuned_synth: Synth) -> None:
    target = tuned_synth.resource("aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (2, 3)
    policies = tuned_synth.resources("aws_appautoscaling_policy")
    assert policies["autoscaling_cpu"]["target_tracking_scaling_policy_configuration"]["target_value"] == 45
    requests = policies["autoscaling_requests"]["target_tracking_scaling_policy_configuration"]
    assert requests["target_value"] == 250
