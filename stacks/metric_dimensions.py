"""The CloudWatch identity of the service's metrics: namespaces and dimensions, built once.

The stack makes one `MetricDimensions` from the load balancer and the ECS service; alarms, the
dashboard and autoscaling all read their dimensions from it, so a metric cannot be watched under
one name and scaled on under another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: Namespaces of the AWS-published metrics the stack reads (the server's own: server/metrics.py).
ALB_NAMESPACE: Final = "AWS/ApplicationELB"
ECS_NAMESPACE: Final = "AWS/ECS"
CONTAINER_INSIGHTS_NAMESPACE: Final = "ECS/ContainerInsights"
ELASTICACHE_NAMESPACE: Final = "AWS/ElastiCache"


@dataclass(frozen=True)
class MetricDimensions:
    alb_arn_suffix: str
    target_group_arn_suffix: str
    cluster_name: str
    service_name: str
    #: The fleet cache's nodes (ElastiCache cache cluster IDs), when there is one.
    shared_cache_nodes: tuple[str, ...] = ()

    def shared_cache_node(self, node: str) -> dict[str, str]:
        """Dimensions of one fleet cache node's ElastiCache metrics (CPU, memory, evictions)."""
        return {"CacheClusterId": node}

    @property
    def load_balancer(self) -> dict[str, str]:
        """Dimensions of the load balancer's own metrics (its 5xx, request count)."""
        return {"LoadBalancer": self.alb_arn_suffix}

    @property
    def target_group(self) -> dict[str, str]:
        """Dimensions of the tasks' metrics as the load balancer sees them (latency, health)."""
        return {"TargetGroup": self.target_group_arn_suffix, "LoadBalancer": self.alb_arn_suffix}

    @property
    def service(self) -> dict[str, str]:
        """Dimensions of the ECS service's metrics (CPU, memory, task counts)."""
        return {"ClusterName": self.cluster_name, "ServiceName": self.service_name}

    @property
    def request_count_resource_label(self) -> str:
        """The ALBRequestCountPerTarget resource label of target-tracking autoscaling."""
        return f"{self.alb_arn_suffix}/{self.target_group_arn_suffix}"

    @property
    def scalable_resource_id(self) -> str:
        """The service as Application Auto Scaling names it."""
        return f"service/{self.cluster_name}/{self.service_name}"


def flat(dimensions: dict[str, str]) -> list[str]:
    """Dimensions as a dashboard metric row spells them: name, value, name, value."""
    return [part for pair in dimensions.items() for part in pair]
