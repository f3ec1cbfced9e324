"""ServiceLogs: the CloudWatch log group the service's containers write to.

Its construct id stays ``observability`` (the address ``aws_cloudwatch_log_group.observability_log_group``
predates the name): ids are Terraform addresses, class names are not.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct


@dataclass(frozen=True)
class ServiceLogsProps:
    log_group_name: str
    log_retention_days: int
    #: Customer-managed key for the log group (None: CloudWatch Logs' own encryption).
    kms_key_arn: str | None = None


class ServiceLogs(Construct):
    """Exposes ``log_group``."""

    def __init__(self, scope: Construct, id_: str, props: ServiceLogsProps) -> None:
        super().__init__(scope, id_)
        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=props.log_group_name,
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
