"""AWS WAF in front of the load balancer: managed rule groups, a per-IP rate limit, logs.

The rate-based rule is the limit that holds across every task (each server process only sees its
own traffic). It runs first, so a flood is answered with 429 before the managed rules are paid
for; the managed groups then block known-bad requests (common exploits, known bad inputs such as
Log4Shell probes, addresses on Amazon's IP reputation list). Logs go to CloudWatch Logs with the
Authorization and Cookie headers redacted: bearer tokens never reach a log.

With OAuth sign-in (`sign_in_rate_limit_per_5_minutes` set):

- a second, lower rate limit counts only the sign-in paths (SIGN_IN_PATHS), so registration and
  token floods stop at the edge long before the general limit;
- the common rule set's GenericRFI_QUERYARGUMENTS and GenericRFI_BODY rules block any query or body
  value that is a URL with an IPv4 host, which is exactly what loopback clients send as their
  redirect URI (`redirect_uri=http://127.0.0.1:33418/` at /authorize, in the /token form and in the
  /register JSON). Those two rules are set to count inside the group, and RFI_OUTSIDE_SIGN_IN blocks
  what they matched (by their labels) on every path except /authorize, /token and /register, where
  the server itself admits only redirect URIs from its allow-list. Everything else the rule set
  does stays as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclCustomResponseBody,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleActionBlock,
    Wafv2WebAclRuleActionBlockCustomResponse,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleOverrideActionNone,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

#: Metric name (the CloudWatch "Rule" dimension) of the rate-based rule.
RATE_LIMIT_RULE = "rate-limit-per-ip"
#: AWS managed rule groups, in evaluation order after the rate limit.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
)
#: Metric name of the rate-based rule on the sign-in paths.
SIGN_IN_RATE_LIMIT_RULE = "rate-limit-sign-in-per-ip"
#: Paths of the sign-in (the OAuth server's endpoints and pages).
SIGN_IN_PATHS = ("/register", "/authorize", "/token", "/consent", "/auth/callback")
#: Where a client's own redirect URI legitimately travels as a URL with an IPv4 host.
REDIRECT_URI_PATHS = ("/authorize", "/token", "/register")
#: The common rule set's RFI rules that would block those redirect URIs, and their labels.
RFI_RULES = {
    "GenericRFI_QUERYARGUMENTS": "awswaf:managed:aws:core-rule-set:GenericRFI_QueryArguments",
    "GenericRFI_BODY": "awswaf:managed:aws:core-rule-set:GenericRFI_Body",
}
#: Metric name of the rule that keeps the RFI rules' blocks everywhere but REDIRECT_URI_PATHS.
RFI_OUTSIDE_SIGN_IN_RULE = "generic-rfi-outside-sign-in"
#: Headers whose values never reach the WAF logs.
REDACTED_HEADERS = ("authorization", "cookie")
_TOO_MANY_REQUESTS = "too-many-requests"
_TOO_MANY_REQUESTS_MESSAGE = "Too many requests from this address. Try again in a few minutes."


def waf_log_group_name(name: str) -> str:
    # WAF delivers to CloudWatch Logs only into groups whose name starts with aws-waf-logs-.
    return f"aws-waf-logs-{name}"


@dataclass(frozen=True)
class WafProps:
    name: str
    alb_arn: str
    rate_limit_per_5_minutes: int
    log_retention_days: int
    #: Customer-managed key for the log group (None: CloudWatch Logs' own encryption).
    kms_key_arn: str | None = None
    #: With OAuth sign-in: the per-IP limit on SIGN_IN_PATHS (None: no sign-in, no such rule).
    sign_in_rate_limit_per_5_minutes: int | None = None


def _any_path(paths: tuple[str, ...]) -> dict[str, object]:
    """A statement matching a request whose path is exactly one of `paths`."""
    matches = [
        {
            "byte_match_statement": {
                "search_string": path,
                "field_to_match": {"uri_path": {}},
                "positional_constraint": "EXACTLY",
                "text_transformation": [{"priority": 0, "type": "NONE"}],
            }
        }
        for path in paths
    ]
    return matches[0] if len(matches) == 1 else {"or_statement": {"statement": matches}}


def _block_429() -> Wafv2WebAclRuleAction:
    return Wafv2WebAclRuleAction(
        block=Wafv2WebAclRuleActionBlock(
            custom_response=Wafv2WebAclRuleActionBlockCustomResponse(
                response_code=429, custom_response_body_key=_TOO_MANY_REQUESTS
            )
        )
    )


def _visibility(metric_name: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


class Waf(Construct):
    """Exposes ``web_acl`` (its ``name`` is the CloudWatch ``WebACL`` dimension) and ``log_group``."""

    def __init__(self, scope: Construct, id_: str, props: WafProps) -> None:
        super().__init__(scope, id_)
        sign_in = props.sign_in_rate_limit_per_5_minutes is not None
        rules = [
            Wafv2WebAclRule(
                name=RATE_LIMIT_RULE,
                priority=0,
                action=_block_429(),
                statement={
                    "rate_based_statement": {
                        "limit": props.rate_limit_per_5_minutes,
                        "aggregate_key_type": "IP",
                    }
                },
                visibility_config=_visibility(RATE_LIMIT_RULE),
            )
        ]
        if sign_in:
            rules.append(
                Wafv2WebAclRule(
                    name=SIGN_IN_RATE_LIMIT_RULE,
                    priority=1,
                    action=_block_429(),
                    statement={
                        "rate_based_statement": {
                            "limit": props.sign_in_rate_limit_per_5_minutes,
                            "aggregate_key_type": "IP",
                            "scope_down_statement": _any_path(SIGN_IN_PATHS),
                        }
                    },
                    visibility_config=_visibility(SIGN_IN_RATE_LIMIT_RULE),
                )
            )
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=len(rules)):
            statement: dict[str, object] = {"name": group, "vendor_name": "AWS"}
            if sign_in and group == "AWSManagedRulesCommonRuleSet":
                statement["rule_action_override"] = [
                    {"name": rule, "action_to_use": {"count": {}}} for rule in RFI_RULES
                ]
            rules.append(
                Wafv2WebAclRule(
                    name=group,
                    priority=priority,
                    override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
                    statement={"managed_rule_group_statement": statement},
                    visibility_config=_visibility(group),
                )
            )
        if sign_in:
            rfi_matched = {
                "or_statement": {
                    "statement": [
                        {"label_match_statement": {"scope": "LABEL", "key": label}}
                        for label in RFI_RULES.values()
                    ]
                }
            }
            rules.append(
                Wafv2WebAclRule(
                    name=RFI_OUTSIDE_SIGN_IN_RULE,
                    priority=len(rules),
                    action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
                    statement={
                        "and_statement": {
                            "statement": [
                                rfi_matched,
                                {"not_statement": {"statement": [_any_path(REDIRECT_URI_PATHS)]}},
                            ]
                        }
                    },
                    visibility_config=_visibility(RFI_OUTSIDE_SIGN_IN_RULE),
                )
            )

        self.web_acl = Wafv2WebAcl(
            self,
            "web_acl",
            name=props.name,
            description="MCP server load balancer: per-IP rate limit and AWS managed rules",
            scope="REGIONAL",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            custom_response_body=[
                Wafv2WebAclCustomResponseBody(
                    key=_TOO_MANY_REQUESTS,
                    content_type="APPLICATION_JSON",
                    # Compact, as Terraform's jsonencode writes it (the HCL export turns it into one).
                    content=json.dumps({"error": _TOO_MANY_REQUESTS_MESSAGE}, separators=(",", ":")),
                )
            ],
            rule=rules,
            visibility_config=Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True, metric_name=props.name, sampled_requests_enabled=True
            ),
        )
        Wafv2WebAclAssociation(self, "association", resource_arn=props.alb_arn, web_acl_arn=self.web_acl.arn)

        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=waf_log_group_name(props.name),
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in REDACTED_HEADERS
            ],
        )
