"""AWS WAF in front of the load balancer: managed rule groups, a per-IP rate limit, logs.

The rate-based rule is the limit that holds across every task (each server process only sees its
own traffic). It runs first, so a flood is answered with 429 before the managed rules are paid
for; the managed groups then block known-bad requests (common exploits, known bad inputs such as
Log4Shell probes, addresses on Amazon's IP reputation list). Logs go to CloudWatch Logs with the
Authorization and Cookie headers redacted: bearer tokens never reach a log.
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


def _visibility(metric_name: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


class Waf(Construct):
    """Exposes ``web_acl`` (its ``name`` is the CloudWatch ``WebACL`` dimension) and ``log_group``."""

    def __init__(self, scope: Construct, id_: str, props: WafProps) -> None:
        super().__init__(scope, id_)
        rules = [
            Wafv2WebAclRule(
                name=RATE_LIMIT_RULE,
                priority=0,
                action=Wafv2WebAclRuleAction(
                    block=Wafv2WebAclRuleActionBlock(
                        custom_response=Wafv2WebAclRuleActionBlockCustomResponse(
                            response_code=429, custom_response_body_key=_TOO_MANY_REQUESTS
                        )
                    )
                ),
                statement={
                    "rate_based_statement": {
                        "limit": props.rate_limit_per_5_minutes,
                        "aggregate_key_type": "IP",
                    }
                },
                visibility_config=_visibility(RATE_LIMIT_RULE),
            )
        ]
        for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1):
            rules.append(
                Wafv2WebAclRule(
                    name=group,
                    priority=priority,
                    override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
                    statement={"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
                    visibility_config=_visibility(group),
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
