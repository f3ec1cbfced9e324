"""Observability: the service's CloudWatch log group (alarms and dashboard join it later)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct


@dataclass(frozen=True)
class ObservabilityProps:
    log_group_name: str
    log_retention_days: int
    #: Customer-managed key for the log group (None: CloudWatch Logs' own encryption).
    kms_key_arn: str | None = None


class Observability(Construct):
    def __init__(self, scope: Construct, id_: str, props: ObservabilityProps) -> None:
        super().__init__(scope, id_)
        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=props.log_group_name,
            retention_in_days=props.log_retention_days,
            kms_key_id=props.kms_key_arn,
        )
