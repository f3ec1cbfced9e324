"""What the stack adds around OAuth sign-in against hostile clients: the Cognito app client's auth flows,
access by group, the registration limit, its alarm and dashboard widget, and WAF on the sign-in paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server import metrics
from server.contract import EnvVar
from stacks.config import InfraConfigError
from stacks.waf import REDIRECT_URI_PATHS, RFI_RULES, SIGN_IN_PATHS, SIGN_IN_RATE_LIMIT_RULE
from tests.infra.conftest import Synth, load_test_config
from tests.infra.test_oauth_stack import OAUTH_EXAMPLE, environment
from tests.terraform_cli import terraform, terraform_env


@pytest.fixture(scope="module")
def oauth_synth(synthesize: Callable[..., Synth]) -> Synth:
    return synthesize(OAUTH_EXAMPLE)


@pytest.fixture(scope="module")
def guarded_synth(synthesize: Callable[..., Synth]) -> Synth:
    """OAuth with WAF, two allowed groups and non-default limits."""
    return synthesize(
        OAUTH_EXAMPLE,
        waf_enabled=True,
        waf_oauth_rate_limit_per_5_minutes=120,
        oauth_allowed_groups=["weather-users", "admins"],
        oauth_registrations_per_minute=4,
        alarm_oauth_registrations_per_minute=12,
    )


def test_the_app_client_allows_the_hosted_sign_in_and_refresh_only(oauth_synth: Synth) -> None:
    # Left empty, Cognito adds its defaults (SRP among them): passwords could be tried against its API.
    client = oauth_synth.resource("aws_cognito_user_pool_client")
    assert client["explicit_auth_flows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]


def test_allowed_groups_are_created_and_reach_the_server(oauth_synth: Synth, guarded_synth: Synth) -> None:
    assert oauth_synth.resources("aws_cognito_user_group") == {}
    assert EnvVar.OAUTH_ALLOWED_GROUPS not in environment(oauth_synth)
    groups = guarded_synth.resources("aws_cognito_user_group")
    assert set(groups) == {"oauth_group_weather-users", "oauth_group_admins"}
    assert {group["name"] for group in groups.values()} == {"weather-users", "admins"}
    assert {group["user_pool_id"] for group in groups.values()} == {
        "${aws_cognito_user_pool.oauth_user_pool.id}"
    }
    assert environment(guarded_synth)[EnvVar.OAUTH_ALLOWED_GROUPS] == "weather-users,admins"


def test_the_registration_limit_reaches_the_server(oauth_synth: Synth, guarded_synth: Synth) -> None:
    assert environment(oauth_synth)[EnvVar.OAUTH_REGISTRATIONS_PER_MINUTE] == "10"
    assert environment(guarded_synth)[EnvVar.OAUTH_REGISTRATIONS_PER_MINUTE] == "4"


def test_the_task_may_count_registrations_in_the_table_and_nothing_more(oauth_synth: Synth) -> None:
    (statement,) = oauth_synth.data("aws_iam_policy_document", "service_server_permissions")["statement"]
    assert sorted(statement["actions"]) == [
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]


def test_registrations_per_minute_raise_an_alarm(
    default_synth: Synth, oauth_synth: Synth, guarded_synth: Synth
) -> None:
    assert "alarms_oauth_registrations" not in default_synth.resources("aws_cloudwatch_metric_alarm")
    for synth, threshold in ((oauth_synth, 30), (guarded_synth, 12)):
        alarm = synth.resources("aws_cloudwatch_metric_alarm")["alarms_oauth_registrations"]
        assert (alarm["namespace"], alarm["metric_name"]) == (metrics.NAMESPACE, metrics.OAUTH_REGISTRATIONS)
        assert (alarm["statistic"], alarm["period"]) == ("Sum", 60)
        assert alarm["threshold"] == threshold
        assert alarm["comparison_operator"] == "GreaterThanThreshold"
        assert alarm["treat_missing_data"] == "notBreaching"


def test_the_dashboard_shows_registrations_with_oauth_only(default_synth: Synth, oauth_synth: Synth) -> None:
    def metric_names(synth: Synth) -> set[str]:
        body = json.loads(synth.resource("aws_cloudwatch_dashboard")["dashboard_body"])
        return {
            part
            for widget in body["widgets"]
            for line in widget["properties"]["metrics"]
            for part in line
            if isinstance(part, str)
        }

    assert metrics.OAUTH_REGISTRATIONS not in metric_names(default_synth)
    assert {metrics.OAUTH_REGISTRATIONS, metrics.OAUTH_REGISTRATIONS_REFUSED} <= metric_names(oauth_synth)


def _rules(synth: Synth) -> dict[str, dict[str, Any]]:
    return {rule["name"]: rule for rule in synth.resource("aws_wafv2_web_acl")["rule"]}


def _paths(statement: dict[str, Any]) -> list[str]:
    matches = statement["or_statement"]["statement"] if "or_statement" in statement else [statement]
    for match in matches:
        byte_match = match["byte_match_statement"]
        assert byte_match["positional_constraint"] == "EXACTLY"
        assert byte_match["field_to_match"] == {"uri_path": {}}
    return [match["byte_match_statement"]["search_string"] for match in matches]


def test_waf_rate_limits_the_sign_in_paths_on_their_own(guarded_synth: Synth) -> None:
    rules = _rules(guarded_synth)
    rule = rules[SIGN_IN_RATE_LIMIT_RULE]
    rate = rule["statement"]["rate_based_statement"]
    assert rate["limit"] == 120
    assert rate["aggregate_key_type"] == "IP"
    assert _paths(rate["scope_down_statement"]) == list(SIGN_IN_PATHS)
    assert rule["action"]["block"]["custom_response"]["response_code"] == 429
    managed = [r for r in rules.values() if "managed_rule_group_statement" in r["statement"]]
    assert rule["priority"] < min(r["priority"] for r in managed)  # counted before the managed rules run


def test_waf_lets_loopback_redirect_uris_through_the_sign_in_paths_only(guarded_synth: Synth) -> None:
    rules = _rules(guarded_synth)
    common = rules["AWSManagedRulesCommonRuleSet"]["statement"]["managed_rule_group_statement"]
    # The two RFI rules count inside the group instead of blocking...
    assert common["rule_action_override"] == [
        {"name": name, "action_to_use": {"count": {}}} for name in RFI_RULES
    ]
    # ...and a rule after the group blocks what they matched everywhere but where redirect URIs travel.
    keeper = rules["generic-rfi-outside-sign-in"]
    assert keeper["priority"] > rules["AWSManagedRulesCommonRuleSet"]["priority"]
    assert keeper["action"] == {"block": {}}
    matched, outside = keeper["statement"]["and_statement"]["statement"]
    labels = [s["label_match_statement"]["key"] for s in matched["or_statement"]["statement"]]
    assert labels == list(RFI_RULES.values())
    assert _paths(outside["not_statement"]["statement"][0]) == list(REDIRECT_URI_PATHS)
    assert len({rule["priority"] for rule in rules.values()}) == len(rules)


def test_waf_without_oauth_keeps_the_common_rule_set_whole(full_synth: Synth) -> None:
    rules = _rules(full_synth)
    assert SIGN_IN_RATE_LIMIT_RULE not in rules
    assert "generic-rfi-outside-sign-in" not in rules
    common = rules["AWSManagedRulesCommonRuleSet"]["statement"]["managed_rule_group_statement"]
    assert "rule_action_override" not in common


def test_the_guarded_configuration_passes_terraform_validate(
    guarded_synth: Synth, terraform_cli_config: Path
) -> None:
    # The provider's schema checks the nested WAF statements and the group resources.
    env = terraform_env(terraform_cli_config)
    directory = guarded_synth.stack_dir()
    terraform(["init", "-backend=false", "-input=false"], directory, env)
    assert "The configuration is valid" in terraform(["validate"], directory, env).stdout


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"oauth_allowed_groups": ["weather users"]}, "oauth_allowed_groups"),
        ({"oauth_allowed_groups": ["a", "a"]}, "oauth_allowed_groups"),
        ({"oauth_registrations_per_minute": 0}, "oauth_registrations_per_minute"),
        ({"waf_oauth_rate_limit_per_5_minutes": 5}, "waf_oauth_rate_limit_per_5_minutes"),
        ({"alarm_oauth_registrations_per_minute": 0}, "alarm_oauth_registrations_per_minute"),
    ],
)
def test_a_refused_value_names_its_key(overrides: dict[str, Any], named: str) -> None:
    with pytest.raises(InfraConfigError, match=named):
        load_test_config(OAUTH_EXAMPLE, **overrides)
