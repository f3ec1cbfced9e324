"""CloudWatch alarms for the service, optionally notifying an email address through SNS."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from server import metrics

from .metric_dimensions import (
    ALB_NAMESPACE,
    CONTAINER_INSIGHTS_NAMESPACE,
    ECS_NAMESPACE,
    ELASTICACHE_NAMESPACE,
    MetricDimensions,
)


@dataclass(frozen=True)
class AlarmsProps:
    name: str
    dimensions: MetricDimensions
    response_time_p95_seconds: float
    errors_5xx_per_minute: int
    cpu_percent: int
    memory_percent: int
    #: Share of failing NWS requests, or of failing Open-Meteo requests (server's embedded metrics),
    #: that raises an alarm.
    nws_error_rate_percent: int = 20
    email: str | None = None
    #: With OAuth sign-in: client registrations per minute (all addresses) that raise an alarm.
    oauth_registrations_per_minute: int | None = None


def _metric(
    query_id: str,
    namespace: str,
    name: str,
    stat: str,
    dimensions: dict[str, str] | None,
    period: int = 60,
) -> CloudwatchMetricAlarmMetricQuery:
    return CloudwatchMetricAlarmMetricQuery(
        id=query_id,
        metric=CloudwatchMetricAlarmMetricQueryMetric(
            namespace=namespace, metric_name=name, stat=stat, period=period, dimensions=dimensions
        ),
    )


#: Fewer upstream requests than this in the window do not make a rate (one failure of two is not 50%).
NWS_ERROR_RATE_MIN_REQUESTS = 10


class Alarms(Construct):
    """Exposes ``alarms`` (by short name) and ``topic`` (None without an email)."""

    def __init__(self, scope: Construct, id_: str, props: AlarmsProps) -> None:
        super().__init__(scope, id_)
        self.topic: SnsTopic | None = None
        if props.email is not None:
            self.topic = SnsTopic(
                self, "topic", name=f"{props.name}-alarms", kms_master_key_id="alias/aws/sns"
            )
            # Email subscriptions stay pending until the recipient confirms the AWS message.
            SnsTopicSubscription(
                self, "email", topic_arn=self.topic.arn, protocol="email", endpoint=props.email
            )
        actions = [self.topic.arn] if self.topic else None

        alb, target, service = (
            props.dimensions.load_balancer,
            props.dimensions.target_group,
            props.dimensions.service,
        )
        common = {"alarm_actions": actions, "ok_actions": actions}
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}

        self.alarms["5xx"] = CloudwatchMetricAlarm(
            self,
            "errors_5xx",
            alarm_name=f"{props.name}-5xx",
            alarm_description="The load balancer or the tasks answer 5xx: clients see failures.",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=props.errors_5xx_per_minute,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data="notBreaching",
            metric_query=[
                _metric("elb", ALB_NAMESPACE, "HTTPCode_ELB_5XX_Count", "Sum", alb),
                _metric("target", ALB_NAMESPACE, "HTTPCode_Target_5XX_Count", "Sum", target),
                CloudwatchMetricAlarmMetricQuery(
                    id="errors",
                    expression="FILL(elb, 0) + FILL(target, 0)",
                    label="5xx per minute",
                    return_data=True,
                ),
            ],
            **common,
        )
        self.alarms["unhealthy"] = CloudwatchMetricAlarm(
            self,
            "unhealthy_hosts",
            alarm_name=f"{props.name}-unhealthy-targets",
            alarm_description="At least one task fails the /health check behind the load balancer.",
            namespace=ALB_NAMESPACE,
            metric_name="UnHealthyHostCount",
            dimensions=target,
            statistic="Maximum",
            period=60,
            evaluation_periods=2,
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            treat_missing_data="notBreaching",
            **common,
        )
        self.alarms["latency"] = CloudwatchMetricAlarm(
            self,
            "response_time",
            alarm_name=f"{props.name}-p95-response-time",
            alarm_description="p95 response time is above the threshold (NWS slow, or tasks saturated).",
            namespace=ALB_NAMESPACE,
            metric_name="TargetResponseTime",
            dimensions=target,
            extended_statistic="p95",
            period=60,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            comparison_operator="GreaterThanThreshold",
            threshold=props.response_time_p95_seconds,
            treat_missing_data="notBreaching",
            **common,
        )
        for key, metric, limit in (
            ("cpu", "CPUUtilization", props.cpu_percent),
            ("memory", "MemoryUtilization", props.memory_percent),
        ):
            self.alarms[key] = CloudwatchMetricAlarm(
                self,
                f"{key}_high",
                alarm_name=f"{props.name}-{key}-high",
                alarm_description=f"Service {key} utilization is above {limit}% (scale out or size up).",
                namespace=ECS_NAMESPACE,
                metric_name=metric,
                dimensions=service,
                statistic="Average",
                period=60,
                evaluation_periods=5,
                comparison_operator="GreaterThanThreshold",
                threshold=limit,
                treat_missing_data="notBreaching",
                **common,
            )
        self.alarms["tasks"] = CloudwatchMetricAlarm(
            self,
            "tasks_below_desired",
            alarm_name=f"{props.name}-tasks-below-desired",
            alarm_description="Fewer tasks run than desired (crash loop, no capacity, failed pulls).",
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=5,
            # No Container Insights data means no tasks reported at all: that is the failure.
            treat_missing_data="breaching",
            metric_query=[
                _metric("desired", CONTAINER_INSIGHTS_NAMESPACE, "DesiredTaskCount", "Average", service),
                _metric("running", CONTAINER_INSIGHTS_NAMESPACE, "RunningTaskCount", "Average", service),
                CloudwatchMetricAlarmMetricQuery(
                    id="missing", expression="desired - running", label="tasks missing", return_data=True
                ),
            ],
            **common,
        )
        # From the embedded metrics of the server's tool call lines (server/metrics.py). One alarm for
        # both upstreams (NWS and Open-Meteo): the worse of their two error rates. Its id and name
        # keep "nws" from before Open-Meteo, so the alarm is updated in place, not replaced.
        self.alarms["nws_errors"] = CloudwatchMetricAlarm(
            self,
            "nws_error_rate",
            alarm_name=f"{props.name}-nws-error-rate",
            alarm_description=(
                f"More than {props.nws_error_rate_percent}% of NWS or of Open-Meteo requests failed (429, "
                "5xx, timeouts) over 5 minutes: answers come from the stale cache or fail. Check the "
                "dashboard's two error rates, then api.weather.gov's or open-meteo.com's status."
            ),
            comparison_operator="GreaterThanThreshold",
            threshold=props.nws_error_rate_percent,
            evaluation_periods=1,
            # No tool calls, no upstream requests: nothing is failing.
            treat_missing_data="notBreaching",
            metric_query=[
                _metric("requests", metrics.NAMESPACE, metrics.NWS_REQUESTS, "Sum", None, period=300),
                _metric("failed", metrics.NAMESPACE, metrics.NWS_ERRORS, "Sum", None, period=300),
                _metric(
                    "om_requests", metrics.NAMESPACE, metrics.OPEN_METEO_REQUESTS, "Sum", None, period=300
                ),
                _metric("om_failed", metrics.NAMESPACE, metrics.OPEN_METEO_ERRORS, "Sum", None, period=300),
                CloudwatchMetricAlarmMetricQuery(
                    id="nws_rate",
                    expression=_error_rate("requests", "failed"),
                    label="NWS error rate (%)",
                    return_data=False,
                ),
                CloudwatchMetricAlarmMetricQuery(
                    id="om_rate",
                    expression=_error_rate("om_requests", "om_failed"),
                    label="Open-Meteo error rate (%)",
                    return_data=False,
                ),
                CloudwatchMetricAlarmMetricQuery(
                    id="error_rate",
                    expression="MAX([FILL(nws_rate, 0), FILL(om_rate, 0)])",
                    label="Upstream error rate (%), the worse of NWS and Open-Meteo",
                    return_data=True,
                ),
            ],
            **common,
        )
        if props.oauth_registrations_per_minute is not None:
            # From the registration lines' embedded metrics (server/oauth_registration.py).
            self.alarms["oauth_registrations"] = CloudwatchMetricAlarm(
                self,
                "oauth_registrations",
                alarm_name=f"{props.name}-oauth-registrations",
                alarm_description=(
                    f"More than {props.oauth_registrations_per_minute} OAuth client registrations a minute: "
                    "many addresses registering at once (each registration is kept 30 days). Check the "
                    "registration log lines' client_address; WAF can block the sources."
                ),
                namespace=metrics.NAMESPACE,
                metric_name=metrics.OAUTH_REGISTRATIONS,
                statistic="Sum",
                period=60,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                comparison_operator="GreaterThanThreshold",
                threshold=props.oauth_registrations_per_minute,
                # No registrations: nothing is flooding.
                treat_missing_data="notBreaching",
                **common,
            )

        if props.dimensions.shared_cache_nodes:
            self._shared_cache_alarms(props, common)

    def _shared_cache_alarms(self, props: AlarmsProps, common: dict[str, object]) -> None:
        """The fleet cache's nodes, the busiest one counts: CPU, memory and evictions."""
        nodes = props.dimensions.shared_cache_nodes
        for key, metric, stat, threshold, description in (
            (
                "shared_cache_cpu",
                "CPUUtilization",
                "Average",
                props.cpu_percent,
                f"A fleet cache node's CPU is above {props.cpu_percent}% (size up shared_cache_node_type).",
            ),
            (
                "shared_cache_memory",
                "DatabaseMemoryUsagePercentage",
                "Average",
                props.memory_percent,
                f"A fleet cache node uses more than {props.memory_percent}% of its memory for data "
                "(evictions follow: size up shared_cache_node_type).",
            ),
            (
                "shared_cache_evictions",
                "Evictions",
                "Sum",
                0,
                "The fleet cache evicted entries before their time: stale answers during an NWS "
                "outage may be missing (size up shared_cache_node_type).",
            ),
        ):
            queries = [
                _metric(
                    f"node{index}",
                    ELASTICACHE_NAMESPACE,
                    metric,
                    stat,
                    props.dimensions.shared_cache_node(node),
                )
                for index, node in enumerate(nodes)
            ]
            ids = ", ".join(query.id for query in queries)
            self.alarms[key] = CloudwatchMetricAlarm(
                self,
                key,
                alarm_name=f"{props.name}-{key.replace('_', '-')}",
                alarm_description=description,
                comparison_operator="GreaterThanThreshold",
                threshold=threshold,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                treat_missing_data="notBreaching",
                metric_query=[
                    *queries,
                    CloudwatchMetricAlarmMetricQuery(
                        id="busiest",
                        expression=f"MAX([{ids}])",
                        label=f"{metric} (busiest node)",
                        return_data=True,
                    ),
                ],
                **common,
            )


def _error_rate(requests: str, failed: str) -> str:
    """Percent of failed requests; below the minimum number of requests in the window, 0."""
    return f"IF({requests} >= {NWS_ERROR_RATE_MIN_REQUESTS}, 100 * FILL({failed}, 0) / {requests}, 0)"
