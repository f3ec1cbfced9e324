"""Service autoscaling: target tracking on CPU and on ALB requests per task.

ECS changes the service's desired count; the capacity provider's managed scaling then grows or
shrinks the Auto Scaling group to fit the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from constructs import Construct

from .metric_dimensions import MetricDimensions


@dataclass(frozen=True)
class ServiceAutoscalingProps:
    #: The service (its scalable resource id) and the ALB target group its request count comes from.
    dimensions: MetricDimensions
    min_tasks: int
    max_tasks: int
    cpu_target_percent: int
    requests_per_target: int


class ServiceAutoscaling(Construct):
    def __init__(self, scope: Construct, id_: str, props: ServiceAutoscalingProps) -> None:
        super().__init__(scope, id_)
        self.target = AppautoscalingTarget(
            self,
            "target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=props.dimensions.scalable_resource_id,
            min_capacity=props.min_tasks,
            max_capacity=props.max_tasks,
        )
        for policy_id, metric, target, label in (
            ("cpu", "ECSServiceAverageCPUUtilization", props.cpu_target_percent, None),
            (
                "requests",
                "ALBRequestCountPerTarget",
                props.requests_per_target,
                props.dimensions.request_count_resource_label,
            ),
        ):
            AppautoscalingPolicy(
                self,
                policy_id,
                name=f"{props.dimensions.service_name}-{policy_id}",
                policy_type="TargetTrackingScaling",
                service_namespace=self.target.service_namespace,
                scalable_dimension=self.target.scalable_dimension,
                resource_id=self.target.resource_id,
                target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=target,
                    predefined_metric_specification=(
                        AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                            predefined_metric_type=metric, resource_label=label
                        )
                    ),
                    # Out fast when load arrives, in slowly so a burst does not flap the fleet.
                    scale_out_cooldown=60,
                    scale_in_cooldown=300,
                ),
            )
