"""Alarms, optional SNS email, dashboard, ALB access logs."""

from __future__ import annotations

import json

from tests.infra.conftest import Synth

ALARMS = {
    "alarms_errors_5xx",
    "alarms_unhealthy_hosts",
    "alarms_response_time",
    "alarms_cpu_high",
    "alarms_memory_high",
    "alarms_tasks_below_desired",
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
    assert titles == ["Requests", "Response time (s)", "Errors", "Targets", "CPU and memory (%)", "Tasks"]
    latency = body["widgets"][1]["properties"]["metrics"]
    assert [m[-1]["stat"] for m in latency] == ["p50", "p90", "p99"]
    assert (
        "#dashboards:name=${aws_cloudwatch_dashboard.dashboard_dashboard.dashboard_name}"
        in (default_synth.document()["output"]["dashboard_url"]["value"])
    )


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
