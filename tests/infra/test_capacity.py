"""EC2 capacity: cluster, Graviton launch template, Auto Scaling group, capacity provider."""

from __future__ import annotations

from tests.infra.conftest import Synth


def test_cluster_has_container_insights(default_synth: Synth) -> None:
    cluster = default_synth.resource("aws_ecs_cluster")
    assert cluster["name"] == "mcp-server"
    assert {"name": "containerInsights", "value": "enabled"} in cluster["setting"]


def test_launch_template_boots_the_al2023_arm64_ecs_ami(default_synth: Synth) -> None:
    template = default_synth.resource("aws_launch_template")
    # EC2 resolves the public parameter at each launch: the current ECS-optimized AL2023 arm64 AMI.
    assert template["image_id"] == (
        "resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    )
    assert template["instance_type"] == "c6g.xlarge"


# IMDSv2 and volume encryption hold in every configuration: tests/infra/test_security.py.
def test_root_volume_is_gp3_of_the_size_the_ami_needs(default_synth: Synth) -> None:
    (mapping,) = default_synth.resource("aws_launch_template")["block_device_mappings"]
    assert mapping["ebs"]["volume_type"] == "gp3"
    assert mapping["ebs"]["volume_size"] == 30


def test_root_volume_size_follows_the_configuration(tuned_synth: Synth) -> None:
    (mapping,) = tuned_synth.resource("aws_launch_template")["block_device_mappings"]
    assert mapping["ebs"]["volume_size"] == 64


def test_instances_get_no_public_ip_and_no_inbound_rules(default_synth: Synth) -> None:
    (interface,) = default_synth.resource("aws_launch_template")["network_interfaces"]
    assert interface["associate_public_ip_address"] == "false"
    assert interface["security_groups"] == ["${aws_security_group.capacity_instance_sg.id}"]
    ingress = default_synth.resources("aws_vpc_security_group_ingress_rule")
    assert not [
        r
        for r in ingress.values()
        if r["security_group_id"] == "${aws_security_group.capacity_instance_sg.id}"
    ]


def test_user_data_joins_the_cluster_and_keeps_tasks_off_instance_metadata(default_synth: Synth) -> None:
    user_data = default_synth.resource("aws_launch_template")["user_data"]
    assert user_data.startswith("${base64encode(")
    assert "ECS_CLUSTER=${aws_ecs_cluster.capacity_cluster.name}" in user_data
    assert "ECS_AWSVPC_BLOCK_IMDS=true" in user_data


def test_instance_role_has_ecs_and_session_manager_policies(default_synth: Synth) -> None:
    attachments = default_synth.resources("aws_iam_role_policy_attachment")
    arns = sorted(
        a["policy_arn"]
        for a in attachments.values()
        if a["role"] == "${aws_iam_role.capacity_instance_role.name}"
    )
    assert arns == [
        "arn:${data.aws_partition.partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "arn:${data.aws_partition.partition.partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    ]


def test_auto_scaling_group_spans_private_subnets_and_leaves_desired_to_ecs(default_synth: Synth) -> None:
    group = default_synth.resource("aws_autoscaling_group")
    assert group["vpc_zone_identifier"] == [
        "${aws_subnet.network_private_0.id}",
        "${aws_subnet.network_private_1.id}",
    ]
    assert (group["min_size"], group["max_size"]) == (1, 2)
    assert "desired_capacity" not in group  # owned by ECS managed scaling
    assert group["protect_from_scale_in"] is False
    assert {"key": "AmazonECSManaged", "value": "true", "propagate_at_launch": True} in group["tag"]


def test_capacity_provider_scales_the_group_and_drains_instead_of_protecting(default_synth: Synth) -> None:
    provider = default_synth.resource("aws_ecs_capacity_provider")["auto_scaling_group_provider"]
    assert provider["auto_scaling_group_arn"] == "${aws_autoscaling_group.capacity_asg.arn}"
    # Termination protection needs scale-in protection, which makes `terraform destroy` hang.
    assert provider["managed_termination_protection"] == "DISABLED"
    assert provider["managed_draining"] == "ENABLED"
    assert provider["managed_scaling"]["status"] == "ENABLED"
    assert provider["managed_scaling"]["target_capacity"] == 100


def test_cluster_default_strategy_is_the_capacity_provider(default_synth: Synth) -> None:
    association = default_synth.resource("aws_ecs_cluster_capacity_providers")
    assert association["capacity_providers"] == [
        "${aws_ecs_capacity_provider.capacity_capacity_provider.name}"
    ]
    (strategy,) = association["default_capacity_provider_strategy"]
    assert strategy["capacity_provider"] == "${aws_ecs_capacity_provider.capacity_capacity_provider.name}"


def test_variant_instance_type_and_sizes_flow_through(variant_synth: Synth) -> None:
    assert variant_synth.resource("aws_launch_template")["instance_type"] == "m7g.2xlarge"
    assert variant_synth.resource("aws_autoscaling_group")["max_size"] == 3
