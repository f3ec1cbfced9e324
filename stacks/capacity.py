"""EC2 capacity for ECS: cluster, Graviton launch template, Auto Scaling group, capacity provider.

Scale-in and teardown: managed termination protection is off, so `terraform destroy` can empty
and delete the Auto Scaling group instead of hanging on protected instances; ECS *managed
draining* moves tasks off an instance before the group terminates it, which is what termination
protection was protecting in the first place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import Fn
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupInstanceRefresh,
    AutoscalingGroupInstanceRefreshPreferences,
    AutoscalingGroupLaunchTemplate,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.ecs_capacity_provider import (
    EcsCapacityProvider,
    EcsCapacityProviderAutoScalingGroupProvider,
    EcsCapacityProviderAutoScalingGroupProviderManagedScaling,
)
from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster, EcsClusterSetting
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateIamInstanceProfile,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateNetworkInterfaces,
    LaunchTemplateTagSpecifications,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from .aws_context import AwsContext
from .iam import service_trust_policy


@dataclass(frozen=True)
class EcsCapacityProps:
    name: str
    aws: AwsContext
    vpc_id: str
    subnet_ids: Sequence[str]
    instance_type: str
    ami_ssm_parameter: str
    root_volume_size_gib: int
    min_size: int
    max_size: int


class EcsCapacity(Construct):
    """The cluster and the instances it places tasks on."""

    def __init__(self, scope: Construct, id_: str, props: EcsCapacityProps) -> None:
        super().__init__(scope, id_)
        name = props.name

        self.cluster = EcsCluster(
            self,
            "cluster",
            name=name,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled")],
        )

        self.instance_role = IamRole(
            self,
            "instance_role",
            name=f"{name}-ecs-instance",
            description="ECS container instances: join the cluster, pull images, Session Manager.",
            assume_role_policy=service_trust_policy(self, "instance_trust", "ec2.amazonaws.com").json,
        )
        for policy_id, policy in (
            ("ecs_for_ec2", "service-role/AmazonEC2ContainerServiceforEC2Role"),
            ("ssm_core", "AmazonSSMManagedInstanceCore"),
        ):
            IamRolePolicyAttachment(
                self,
                f"instance_{policy_id}",
                role=self.instance_role.name,
                policy_arn=f"arn:{props.aws.partition}:iam::aws:policy/{policy}",
            )
        profile = IamInstanceProfile(
            self, "instance_profile", name=f"{name}-ecs-instance", role=self.instance_role.name
        )

        # Instances take no inbound traffic (tasks have their own interfaces and security group);
        # outbound HTTPS reaches ECS, ECR, CloudWatch and SSM through the NAT gateway.
        self.instance_security_group = SecurityGroup(
            self,
            "instance_sg",
            name=f"{name}-ecs-instances",
            description="ECS container instances: no inbound, HTTPS out to AWS APIs",
            vpc_id=props.vpc_id,
            tags={"Name": f"{name}-ecs-instances"},
        )
        VpcSecurityGroupEgressRule(
            self,
            "instance_https_out",
            security_group_id=self.instance_security_group.id,
            description="HTTPS to AWS service endpoints",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
        )

        agent_config = "\n".join(
            (
                f"ECS_CLUSTER={self.cluster.name}",
                # Tasks must not borrow the instance role through the metadata service.
                "ECS_AWSVPC_BLOCK_IMDS=true",
                "ECS_ENABLE_CONTAINER_METADATA=true",
            )
        )
        user_data = f"#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'EOF'\n{agent_config}\nEOF\n"

        self.launch_template = LaunchTemplate(
            self,
            "launch_template",
            name=f"{name}-ecs",
            description="ECS-optimized Amazon Linux 2023 (arm64) container instances",
            # EC2 resolves the public SSM parameter at each launch: no AMI drift in plans, and every
            # new instance boots the currently recommended AMI.
            image_id=f"resolve:ssm:{props.ami_ssm_parameter}",
            instance_type=props.instance_type,
            iam_instance_profile=LaunchTemplateIamInstanceProfile(arn=profile.arn),
            user_data=Fn.base64encode(user_data),
            update_default_version=True,
            ebs_optimized="true",
            monitoring=LaunchTemplateMonitoring(enabled=True),
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            network_interfaces=[
                LaunchTemplateNetworkInterfaces(
                    associate_public_ip_address="false",
                    delete_on_termination="true",
                    security_groups=[self.instance_security_group.id],
                )
            ],
            block_device_mappings=[
                LaunchTemplateBlockDeviceMappings(
                    device_name="/dev/xvda",
                    ebs=LaunchTemplateBlockDeviceMappingsEbs(
                        volume_size=props.root_volume_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                LaunchTemplateTagSpecifications(resource_type=kind, tags={"Name": f"{name}-ecs"})
                for kind in ("instance", "volume")
            ],
        )

        # desired_capacity is deliberately unset: ECS managed scaling owns it, and Terraform setting
        # it would fight the capacity provider on every apply.
        self.auto_scaling_group = AutoscalingGroup(
            self,
            "asg",
            name=f"{name}-ecs",
            min_size=props.min_size,
            max_size=props.max_size,
            vpc_zone_identifier=list(props.subnet_ids),
            launch_template=AutoscalingGroupLaunchTemplate(
                id=self.launch_template.id, version=Fn.tostring(self.launch_template.latest_version)
            ),
            health_check_type="EC2",
            health_check_grace_period=60,
            protect_from_scale_in=False,
            # A launch template change (instance type, volume) rolls the fleet one instance at a time;
            # managed draining moves tasks off each instance first.
            instance_refresh=AutoscalingGroupInstanceRefresh(
                strategy="Rolling",
                preferences=AutoscalingGroupInstanceRefreshPreferences(
                    min_healthy_percentage=100, max_healthy_percentage=200
                ),
            ),
            tag=[
                AutoscalingGroupTag(key="Name", value=f"{name}-ecs", propagate_at_launch=True),
                # Required for ECS managed scaling to manage this group.
                AutoscalingGroupTag(key="AmazonECSManaged", value="true", propagate_at_launch=True),
            ],
        )

        self.capacity_provider = EcsCapacityProvider(
            self,
            "capacity_provider",
            name=f"{name}-ec2",
            auto_scaling_group_provider=EcsCapacityProviderAutoScalingGroupProvider(
                auto_scaling_group_arn=self.auto_scaling_group.arn,
                managed_termination_protection="DISABLED",
                managed_draining="ENABLED",
                managed_scaling=EcsCapacityProviderAutoScalingGroupProviderManagedScaling(
                    status="ENABLED",
                    target_capacity=100,
                    minimum_scaling_step_size=1,
                    maximum_scaling_step_size=max(1, props.max_size),
                    instance_warmup_period=120,
                ),
            ),
        )
        self.cluster_capacity_providers = EcsClusterCapacityProviders(
            self,
            "cluster_capacity_providers",
            cluster_name=self.cluster.name,
            capacity_providers=[self.capacity_provider.name],
            default_capacity_provider_strategy=[
                EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(
                    capacity_provider=self.capacity_provider.name, weight=1, base=0
                )
            ],
        )
