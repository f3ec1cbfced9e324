"""A CloudWatch dashboard for the service: traffic, latency, errors, health, CPU/memory, tasks."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from constructs import Construct


@dataclass(frozen=True)
class DashboardProps:
    name: str
    region: str
    alb_arn_suffix: str
    target_group_arn_suffix: str
    cluster_name: str
    service_name: str


def _widget(
    title: str, metrics: list[list[object]], x: int, y: int, region: str, stat: str = "Sum"
) -> dict[str, object]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "metrics": metrics,
            "region": region,
            "stat": stat,
            "period": 60,
            "view": "timeSeries",
        },
    }


class Dashboard(Construct):
    """Exposes ``url`` (the console link)."""

    def __init__(self, scope: Construct, id_: str, props: DashboardProps) -> None:
        super().__init__(scope, id_)
        elb = "AWS/ApplicationELB"
        lb = ["LoadBalancer", props.alb_arn_suffix]
        tg = ["TargetGroup", props.target_group_arn_suffix, *lb]
        svc = ["ClusterName", props.cluster_name, "ServiceName", props.service_name]
        region = props.region
        widgets = [
            _widget("Requests", [[elb, "RequestCount", *lb]], 0, 0, region),
            _widget(
                "Response time (s)",
                [[elb, "TargetResponseTime", *tg, {"stat": p, "label": p}] for p in ("p50", "p90", "p99")],
                12,
                0,
                region,
                stat="p50",
            ),
            _widget(
                "Errors",
                [
                    [elb, "HTTPCode_Target_4XX_Count", *tg],
                    [elb, "HTTPCode_Target_5XX_Count", *tg],
                    [elb, "HTTPCode_ELB_5XX_Count", *lb],
                ],
                0,
                6,
                region,
            ),
            _widget(
                "Targets",
                [[elb, "HealthyHostCount", *tg], [elb, "UnHealthyHostCount", *tg]],
                12,
                6,
                region,
                stat="Minimum",
            ),
            _widget(
                "CPU and memory (%)",
                [["AWS/ECS", "CPUUtilization", *svc], ["AWS/ECS", "MemoryUtilization", *svc]],
                0,
                12,
                region,
                stat="Average",
            ),
            _widget(
                "Tasks",
                [
                    ["ECS/ContainerInsights", "RunningTaskCount", *svc],
                    ["ECS/ContainerInsights", "DesiredTaskCount", *svc],
                ],
                12,
                12,
                region,
                stat="Average",
            ),
        ]
        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=props.name,
            dashboard_body=json.dumps({"widgets": widgets}, sort_keys=True),
        )
        self.url = (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards:name={self.dashboard.dashboard_name}"
        )
