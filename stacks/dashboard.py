"""A CloudWatch dashboard for the service: traffic, latency, errors, health, CPU/memory, tasks, the
server's own metrics (cache hit ratio, NWS and Open-Meteo error rates, latency by tool and upstream),
with WAF its verdicts, and with OAuth sign-in the client registrations per minute."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from constructs import Construct

from server import metrics

from .metric_dimensions import (
    ALB_NAMESPACE,
    CONTAINER_INSIGHTS_NAMESPACE,
    ECS_NAMESPACE,
    ELASTICACHE_NAMESPACE,
    MetricDimensions,
    flat,
)
from .waf import RATE_LIMIT_RULE


@dataclass(frozen=True)
class DashboardProps:
    name: str
    region: str
    dimensions: MetricDimensions
    #: The web ACL's name (its CloudWatch dimension), when WAF is on.
    waf_web_acl_name: str | None = None
    #: OAuth sign-in is on: show client registrations.
    oauth: bool = False


def _ratio(label: str, numerator: str, denominator: list[str], period: int = 300) -> list[list[object]]:
    """Percentage of `numerator` in the sum of `denominator` (server metrics, no dimension)."""
    ids = {name: f"m{index}" for index, name in enumerate(dict.fromkeys([numerator, *denominator]))}
    total = " + ".join(f"FILL({ids[name]}, 0)" for name in denominator)
    return [
        [{"expression": f"100 * FILL({ids[numerator]}, 0) / ({total})", "label": label, "id": "ratio"}],
        *[
            [metrics.NAMESPACE, name, {"id": metric_id, "visible": False, "stat": "Sum", "period": period}]
            for name, metric_id in ids.items()
        ],
    ]


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
        elb = ALB_NAMESPACE
        lb = flat(props.dimensions.load_balancer)
        tg = flat(props.dimensions.target_group)
        svc = flat(props.dimensions.service)
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
                [[ECS_NAMESPACE, "CPUUtilization", *svc], [ECS_NAMESPACE, "MemoryUtilization", *svc]],
                0,
                12,
                region,
                stat="Average",
            ),
            _widget(
                "Tasks",
                [
                    [CONTAINER_INSIGHTS_NAMESPACE, "RunningTaskCount", *svc],
                    [CONTAINER_INSIGHTS_NAMESPACE, "DesiredTaskCount", *svc],
                ],
                12,
                12,
                region,
                stat="Average",
            ),
            _widget(
                "Cache hit ratio (%)",
                _ratio(
                    "hits of all lookups",
                    metrics.CACHE_HITS,
                    [metrics.CACHE_HITS, metrics.CACHE_MISSES, metrics.CACHE_STALE],
                ),
                0,
                18,
                region,
            ),
            _widget(
                "NWS error rate (%)",
                _ratio("failed NWS requests", metrics.NWS_ERRORS, [metrics.NWS_REQUESTS]),
                12,
                18,
                region,
            ),
            _widget(
                "Tool latency p90 by tool (ms)",
                [
                    [
                        {
                            "expression": (
                                f"SEARCH('{{{metrics.NAMESPACE},{metrics.TOOL_DIMENSION}}} "
                                f"MetricName={metrics.TOOL_LATENCY}', 'p90', 60)"
                            ),
                            "label": "",
                            "id": "by_tool",
                        }
                    ],
                    [metrics.NAMESPACE, metrics.NWS_LATENCY, {"stat": "p90", "label": "NWS (per call)"}],
                    [
                        metrics.NAMESPACE,
                        metrics.OPEN_METEO_LATENCY,
                        {"stat": "p90", "label": "Open-Meteo (per call)"},
                    ],
                ],
                0,
                24,
                region,
                stat="p90",
            ),
            _widget(
                "Open-Meteo error rate (%)",
                _ratio(
                    "failed Open-Meteo requests", metrics.OPEN_METEO_ERRORS, [metrics.OPEN_METEO_REQUESTS]
                ),
                0,
                30,
                region,
            ),
        ]
        if props.waf_web_acl_name is not None:
            acl = ["WebACL", props.waf_web_acl_name, "Region", region]
            widgets.append(
                _widget(
                    "WAF requests",
                    [
                        ["AWS/WAFV2", "AllowedRequests", *acl, "Rule", "ALL", {"label": "allowed"}],
                        [
                            "AWS/WAFV2",
                            "BlockedRequests",
                            *acl,
                            "Rule",
                            "ALL",
                            {"label": "blocked (all rules)"},
                        ],
                        [
                            "AWS/WAFV2",
                            "BlockedRequests",
                            *acl,
                            "Rule",
                            RATE_LIMIT_RULE,
                            {"label": "rate-limited (429)"},
                        ],
                    ],
                    12,
                    24,
                    region,
                )
            )
        if props.oauth:
            widgets.append(
                _widget(
                    "OAuth client registrations per minute",
                    [
                        [metrics.NAMESPACE, metrics.OAUTH_REGISTRATIONS, {"label": "registered"}],
                        [
                            metrics.NAMESPACE,
                            metrics.OAUTH_REGISTRATIONS_REFUSED,
                            {"label": "refused (413, 429, 400)"},
                        ],
                    ],
                    0,
                    30,
                    region,
                )
            )
        widgets += _shared_cache_widgets(props.dimensions, region)
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


def _shared_cache_widgets(dimensions: MetricDimensions, region: str) -> list[dict[str, object]]:
    """The fleet cache, when there is one: its nodes' load, and what the tasks noticed of it."""
    nodes = [flat(dimensions.shared_cache_node(node)) for node in dimensions.shared_cache_nodes]
    if not nodes:
        return []
    cache = ELASTICACHE_NAMESPACE
    return [
        _widget(
            "Fleet cache: CPU and memory (%)",
            [
                *[[cache, "CPUUtilization", *node] for node in nodes],
                *[[cache, "DatabaseMemoryUsagePercentage", *node] for node in nodes],
            ],
            0,
            36,  # below the OAuth registrations (y 30)
            region,
            stat="Average",
        ),
        _widget(
            "Fleet cache: evictions, items, calls without it",
            [
                *[[cache, "Evictions", *node] for node in nodes],
                *[[cache, "CurrItems", *node, {"stat": "Average", "yAxis": "right"}] for node in nodes],
                [
                    metrics.NAMESPACE,
                    metrics.SHARED_CACHE_UNAVAILABLE,
                    {"label": "tool calls without the cache"},
                ],
            ],
            12,
            36,
            region,
        ),
    ]
