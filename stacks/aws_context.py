"""Account, partition and region of the deployment, read at plan time (never hard-coded)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from constructs import Construct


@dataclass(frozen=True)
class AwsContext:
    account_id: str
    partition: str
    region: str
    #: DNS suffix of the partition (amazonaws.com, amazonaws.com.cn, ...).
    dns_suffix: str

    @classmethod
    def lookup(cls, scope: Construct) -> AwsContext:
        identity = DataAwsCallerIdentity(scope, "caller")
        partition = DataAwsPartition(scope, "partition")
        region = DataAwsRegion(scope, "region")
        return cls(
            account_id=identity.account_id,
            partition=partition.partition,
            region=region.name,
            dns_suffix=partition.dns_suffix,
        )
