"""ALB access logs: a private bucket the regional ELB log delivery may write to, with expiry."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from constructs import Construct

from .aws_context import AwsContext
from .secure_bucket import SecureBucket, SecureBucketProps

#: Key prefix of the ALB's log objects: the bucket policy lets log delivery write only below it.
LOG_PREFIX = "alb"


@dataclass(frozen=True)
class AccessLogDestination:
    """Where a load balancer writes its access logs, and what must exist before it may."""

    bucket: str
    prefix: str
    ready: ITerraformDependable


@dataclass(frozen=True)
class AccessLogsProps:
    name: str
    aws: AwsContext
    retention_days: int
    force_destroy: bool


class AccessLogs(Construct):
    """Exposes ``destination`` for the ALB (bucket, prefix, and the policy it must wait for)."""

    def __init__(self, scope: Construct, id_: str, props: AccessLogsProps) -> None:
        super().__init__(scope, id_)
        aws = props.aws
        bucket_name = f"{props.name}-alb-logs-{aws.account_id}-{aws.region}"
        log_objects = f"arn:{aws.partition}:s3:::{bucket_name}/{LOG_PREFIX}/AWSLogs/{aws.account_id}/*"
        # Regions older than August 2022 deliver as the regional ELB account, newer ones as the
        # log delivery service: allow both, for exactly the log prefix.
        elb_account = DataAwsElbServiceAccount(self, "elb_account")
        deliver = [
            DataAwsIamPolicyDocumentStatement(
                sid="ElbAccountDelivers",
                effect="Allow",
                actions=["s3:PutObject"],
                resources=[log_objects],
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[elb_account.arn])
                ],
            ),
            DataAwsIamPolicyDocumentStatement(
                sid="LogDeliveryServiceDelivers",
                effect="Allow",
                actions=["s3:PutObject"],
                resources=[log_objects],
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(
                        type="Service", identifiers=["logdelivery.elasticloadbalancing.amazonaws.com"]
                    )
                ],
            ),
        ]
        storage = SecureBucket(
            self,
            "logs",
            SecureBucketProps(
                bucket_name=bucket_name,
                # ALB log delivery writes only to SSE-S3 buckets.
                encryption="AES256",
                noncurrent_version_days=1,
                expiration_days=props.retention_days,
                force_destroy=props.force_destroy,
                extra_statements=deliver,
            ),
        )
        self.destination = AccessLogDestination(
            bucket=storage.bucket.bucket, prefix=LOG_PREFIX, ready=storage.policy
        )
