"""VPC flow logs of rejected traffic to CloudWatch Logs, through a role that may write only there."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatementCondition
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from .aws_context import AwsContext
from .iam import Allow, policy_document, service_trust_policy

#: Rejected connections are what an investigation needs (probes, misrouted traffic) and the
#: cheapest slice: accepted traffic through the ALB is already in its access logs.
TRAFFIC_TYPE = "REJECT"


def flow_log_group_name(name: str) -> str:
    return f"/aws/vpc/{name}/flow-logs"


@dataclass(frozen=True)
class FlowLogsProps:
    name: str
    aws: AwsContext
    vpc_id: str
    retention_days: int
    #: Customer-managed key for the log group (None: CloudWatch Logs' own encryption).
    kms_key_arn: str | None = None


class FlowLogs(Construct):
    """Exposes ``log_group`` and ``flow_log``."""

    def __init__(self, scope: Construct, id_: str, props: FlowLogsProps) -> None:
        super().__init__(scope, id_)
        aws = props.aws
        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=flow_log_group_name(props.name),
            retention_in_days=props.retention_days,
            kms_key_id=props.kms_key_arn,
        )
        # Confused-deputy guard: only this account's flow logs may assume the role.
        trust = service_trust_policy(
            self,
            "trust",
            "vpc-flow-logs.amazonaws.com",
            [
                DataAwsIamPolicyDocumentStatementCondition(
                    test="StringEquals", variable="aws:SourceAccount", values=[aws.account_id]
                ),
                DataAwsIamPolicyDocumentStatementCondition(
                    test="ArnLike",
                    variable="aws:SourceArn",
                    values=[f"arn:{aws.partition}:ec2:{aws.region}:{aws.account_id}:vpc-flow-log/*"],
                ),
            ],
        )
        self.role = IamRole(
            self,
            "role",
            name=f"{props.name}-flow-logs",
            description="VPC flow logs delivery: write to the flow log group only.",
            assume_role_policy=trust.json,
        )
        IamRolePolicy(
            self,
            "policy",
            name="write-flow-logs",
            role=self.role.id,
            policy=policy_document(
                self,
                "permissions",
                [
                    Allow(
                        "WriteFlowLogs",
                        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                        [self.log_group.arn, f"{self.log_group.arn}:log-stream:*"],
                    ),
                    # Delivery checks that its group exists; listing is authorized per account.
                    Allow(
                        "FindLogGroup",
                        ["logs:DescribeLogGroups"],
                        [f"arn:{aws.partition}:logs:{aws.region}:{aws.account_id}:log-group:*"],
                    ),
                ],
            ).json,
        )
        self.flow_log = FlowLog(
            self,
            "flow_log",
            vpc_id=props.vpc_id,
            traffic_type=TRAFFIC_TYPE,
            log_destination_type="cloud-watch-logs",
            log_destination=self.log_group.arn,
            iam_role_arn=self.role.arn,
            max_aggregation_interval=600,
            tags={"Name": f"{props.name}-rejected"},
        )
