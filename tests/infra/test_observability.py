"""Alarms, optional SNS email, dashboard, ALB access logs."""

from __future__ import annotations

import json

from server import metrics
from tests.infra.conftest import Synth

ALARMS = {
    "alarms_errors_5xx",
    "alarms_unhealthy_hosts",
    "alarms_response_time",
    "alarms_cpu_high",
    "alarms_memory_high",
    "alarms_tasks_below_desired",
    "alarms_nws_error_rate",
}


def test_default_alarms_cover_errors_health_latency_resources_and_tasks(default_synth: Synth) -> None:
    alarms = default_synth.resources("aws_cloudwatch_metric_alarm")
    assert set(alarms) == ALARMS
    assert alarms["alarms_unhealthy_hosts"]["metric_name"] == "UnHealthyHostCount"
    assert alarms["alarms_unhealthy_hosts"]["threshold"] == 0
    assert alarms["alarms_response_time"]["extended_statistic"] == "p95"
    assert alarms["alarms_cpu_high"]["namespace"] == "AWS/ECS"
    assert alarms["alarms_memory_high"]["metric_name"] == "MemoryUtilization"
    expressions = {q.get("expression") for q in alarms["alarms_errors_5xx"]["metric_query"]}
    assert "FILL(elb, 0) + FILL(target, 0)" in expressions
    tasks = {q["id"]: q for q in alarms["alarms_tasks_below_desired"]["metric_query"]}
    assert tasks["missing"]["expression"] == "desired - running"
    assert tasks["running"]["metric"]["metric_name"] == "RunningTaskCount"
    # Without an email, alarms only change state; nothing is notified.
    assert default_synth.resources("aws_sns_topic") == {}
    assert "alarm_actions" not in alarms["alarms_cpu_high"]


def test_alarm_email_gets_an_encrypted_topic_every_alarm_notifies(full_synth: Synth) -> None:
    topic = full_synth.resource("aws_sns_topic")
    assert topic["kms_master_key_id"] == "alias/aws/sns"
    subscription = full_synth.resource("aws_sns_topic_subscription")
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "ops@example.com")
    for name, alarm in full_synth.resources("aws_cloudwatch_metric_alarm").items():
        assert alarm["alarm_actions"] == ["${aws_sns_topic.alarms_topic.arn}"], name
        assert alarm["ok_actions"] == ["${aws_sns_topic.alarms_topic.arn}"], name


def test_dashboard_shows_traffic_latency_errors_health_resources_and_tasks(default_synth: Synth) -> None:
    dashboard = default_synth.resource("aws_cloudwatch_dashboard")
    body = json.loads(dashboard["dashboard_body"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert titles == [
        "Requests",
        "Response time (s)",
        "Errors",
        "Targets",
        "CPU and memory (%)",
        "Tasks",
        "Cache hit ratio (%)",
        "NWS error rate (%)",
        "Tool latency p90 by tool (ms)",
        "Open-Meteo error rate (%)",
    ]
    latency = body["widgets"][1]["properties"]["metrics"]
    assert [m[-1]["stat"] for m in latency] == ["p50", "p90", "p99"]
    assert (
        "#dashboards:name=${aws_cloudwatch_dashboard.dashboard_dashboard.dashboard_name}"
        in (default_synth.document()["output"]["dashboard_url"]["value"])
    )


#: The one load balancer, target group and service of the stack, as CloudWatch dimension values.
WATCHED = {
    "LoadBalancer": "${aws_lb.load_balancer_alb.arn_suffix}",
    "TargetGroup": "${aws_lb_target_group.load_balancer_target_group.arn_suffix}",
    "ClusterName": "${aws_ecs_cluster.capacity_cluster.name}",
    "ServiceName": "${aws_ecs_service.service_service.name}",
}


def test_alarms_dashboard_and_autoscaling_watch_the_same_load_balancer_and_service(
    full_synth: Synth,
) -> None:
    seen: list[dict[str, str]] = []
    for alarm in full_synth.resources("aws_cloudwatch_metric_alarm").values():
        seen.append(alarm.get("dimensions") or {})
        seen += [
            query["metric"].get("dimensions") or {}
            for query in alarm.get("metric_query", [])
            if "metric" in query
        ]
    body = json.loads(full_synth.resource("aws_cloudwatch_dashboard")["dashboard_body"])
    for widget in body["widgets"]:
        for row in widget["properties"]["metrics"]:
            names_and_values = [part for part in row[2:] if isinstance(part, str)]
            seen.append(dict(zip(names_and_values[::2], names_and_values[1::2], strict=True)))
    watched = {name: value for dimensions in seen for name, value in dimensions.items() if name in WATCHED}
    assert watched == WATCHED
    # Each name has one value everywhere: no alarm or widget watches another resource.
    for name in WATCHED:
        assert {d[name] for d in seen if name in d} == {WATCHED[name]}, name

    requests = full_synth.resources("aws_appautoscaling_policy")["autoscaling_requests"]
    label = requests["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"]
    assert label["resource_label"] == f"{WATCHED['LoadBalancer']}/{WATCHED['TargetGroup']}"
    target = full_synth.resource("aws_appautoscaling_target")
    assert target["resource_id"] == f"service/{WATCHED['ClusterName']}/{WATCHED['ServiceName']}"


def test_alarms_and_dashboard_can_be_turned_off(synthesize) -> None:
    synth = synthesize(alarms_enabled=False, dashboard_enabled=False)
    assert synth.resources("aws_cloudwatch_metric_alarm") == {}
    assert synth.resources("aws_cloudwatch_dashboard") == {}
    assert "dashboard_url" not in synth.document()["output"]


def test_access_logs_go_to_a_private_expiring_bucket(full_synth: Synth) -> None:
    alb = full_synth.resource("aws_lb")
    assert alb["access_logs"] == {
        "bucket": "${aws_s3_bucket.access_logs_logs_bucket.bucket}",
        "prefix": "alb",
        "enabled": True,
    }
    assert alb["depends_on"] == ["aws_s3_bucket_policy.access_logs_logs_policy"]
    encryption = full_synth.resource("aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert encryption["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"
    (rule,) = full_synth.resource("aws_s3_bucket_lifecycle_configuration")["rule"]
    assert rule["expiration"] == [{"days": 90}]


def test_only_elb_log_delivery_may_write_and_only_under_the_prefix(full_synth: Synth) -> None:
    statements = {
        s["sid"]: s
        for s in full_synth.data("aws_iam_policy_document", "access_logs_logs_policy_document")["statement"]
    }
    assert set(statements) == {"DenyNonTlsAccess", "ElbAccountDelivers", "LogDeliveryServiceDelivers"}
    for sid in ("ElbAccountDelivers", "LogDeliveryServiceDelivers"):
        assert statements[sid]["actions"] == ["s3:PutObject"]
        (resource,) = statements[sid]["resources"]
        assert "/alb/AWSLogs/${data.aws_caller_identity.caller.account_id}/*" in resource


def test_upstream_error_rate_alarm_reads_the_servers_embedded_metrics_for_both_upstreams(
    default_synth: Synth,
) -> None:
    alarm = default_synth.resources("aws_cloudwatch_metric_alarm")["alarms_nws_error_rate"]
    assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 20)
    assert alarm["treat_missing_data"] == "notBreaching"
    queries = {q["id"]: q for q in alarm["metric_query"]}
    for query_id, name in (
        ("requests", metrics.NWS_REQUESTS),
        ("failed", metrics.NWS_ERRORS),
        ("om_requests", metrics.OPEN_METEO_REQUESTS),
        ("om_failed", metrics.OPEN_METEO_ERRORS),
    ):
        metric = queries[query_id]["metric"]
        assert (metric["namespace"], metric["metric_name"], metric["stat"]) == (
            metrics.NAMESPACE,
            name,
            "Sum",
        )
        assert metric["period"] == 300
    # A handful of requests is not a rate: below 10 requests in the window a rate is 0.
    assert queries["nws_rate"]["expression"] == "IF(requests >= 10, 100 * FILL(failed, 0) / requests, 0)"
    assert (
        queries["om_rate"]["expression"] == "IF(om_requests >= 10, 100 * FILL(om_failed, 0) / om_requests, 0)"
    )
    # The alarm watches the worse of the two: an outage of either upstream raises it.
    returned = [query for query in alarm["metric_query"] if query.get("return_data")]
    assert [query["id"] for query in returned] == ["error_rate"]
    assert returned[0]["expression"] == "MAX([FILL(nws_rate, 0), FILL(om_rate, 0)])"
    assert "Open-Meteo" in alarm["alarm_description"]


def test_alarm_thresholds_follow_the_configuration(default_synth: Synth, tuned_synth: Synth) -> None:
    def thresholds(synth: Synth) -> dict[str, float]:
        alarms = synth.resources("aws_cloudwatch_metric_alarm")
        return {name: alarms[f"alarms_{name}"]["threshold"] for name in THRESHOLDS}

    assert thresholds(default_synth) == {
        "response_time": 2.0,  # seconds, p95
        "errors_5xx": 5,  # per minute
        "cpu_high": 80,  # percent
        "memory_high": 80,
        "nws_error_rate": 20,
    }
    assert thresholds(tuned_synth) == {
        "response_time": 1.5,
        "errors_5xx": 12,
        "cpu_high": 70,
        "memory_high": 85,
        "nws_error_rate": 5,
    }


#: The alarms whose threshold is a configuration key.
THRESHOLDS = ("response_time", "errors_5xx", "cpu_high", "memory_high", "nws_error_rate")


def test_access_logs_are_kept_for_the_configured_days(tuned_synth: Synth) -> None:
    (rule,) = tuned_synth.resource("aws_s3_bucket_lifecycle_configuration")["rule"]
    assert rule["expiration"] == [{"days": 30}]


def _widgets(synth: Synth) -> dict[str, dict]:
    body = json.loads(synth.resource("aws_cloudwatch_dashboard")["dashboard_body"])
    return {w["properties"]["title"]: w["properties"] for w in body["widgets"]}


def test_dashboard_shows_cache_hit_ratio_nws_error_rate_and_latency_by_tool(default_synth: Synth) -> None:
    widgets = _widgets(default_synth)
    ratio, *hidden = widgets["Cache hit ratio (%)"]["metrics"]
    assert ratio[0]["expression"] == "100 * FILL(m0, 0) / (FILL(m0, 0) + FILL(m1, 0) + FILL(m2, 0))"
    assert [m[:2] for m in hidden] == [
        [metrics.NAMESPACE, name] for name in ("CacheHits", "CacheMisses", "CacheStale")
    ]
    assert all(m[2]["visible"] is False and m[2]["stat"] == "Sum" for m in hidden)
    errors, *hidden = widgets["NWS error rate (%)"]["metrics"]
    assert errors[0]["expression"] == "100 * FILL(m0, 0) / (FILL(m1, 0))"
    assert [m[1] for m in hidden] == ["NwsErrors", "NwsRequests"]
    errors, *hidden = widgets["Open-Meteo error rate (%)"]["metrics"]
    assert errors[0]["expression"] == "100 * FILL(m0, 0) / (FILL(m1, 0))"
    assert [m[1] for m in hidden] == ["OpenMeteoErrors", "OpenMeteoRequests"]
    latency = widgets["Tool latency p90 by tool (ms)"]["metrics"][1:]
    assert [(m[1], m[2]["label"]) for m in latency] == [
        ("NwsLatency", "NWS (per call)"),
        ("OpenMeteoLatency", "Open-Meteo (per call)"),
    ]
    by_tool = widgets["Tool latency p90 by tool (ms)"]["metrics"][0][0]["expression"]
    # The {namespace,tool} schema leaves out NwsLatency; the unquoted name matches ToolLatency's tokens.
    assert by_tool == "SEARCH('{MCPWeatherServer,tool} MetricName=ToolLatency', 'p90', 60)"
    assert "WAF requests" not in widgets


def test_dashboard_shows_waf_allowed_blocked_and_rate_limited_requests(full_synth: Synth) -> None:
    waf = _widgets(full_synth)["WAF requests"]["metrics"]
    acl = ["WebACL", "${aws_wafv2_web_acl.waf_web_acl.name}", "Region", "${data.aws_region.region.name}"]
    assert [m[:-1] for m in waf] == [
        ["AWS/WAFV2", "AllowedRequests", *acl, "Rule", "ALL"],
        ["AWS/WAFV2", "BlockedRequests", *acl, "Rule", "ALL"],
        ["AWS/WAFV2", "BlockedRequests", *acl, "Rule", "rate-limit-per-ip"],
    ]
    assert waf[2][-1]["label"] == "rate-limited (429)"
