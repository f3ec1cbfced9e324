"""McpServerStateBackend: the bootstrap stack that creates the S3 bucket holding Terraform state.

It keeps its own state locally (it cannot store state in the bucket it creates). Apply it once
per account and region, then set `state_bucket` to its output and migrate the main stack.
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput
from constructs import Construct

from .aws_context import AwsContext
from .base import ReadableStack, local_state_path
from .config import InfraConfig
from .provider import provider_for
from .secure_bucket import SecureBucket, SecureBucketProps

#: Days a superseded state version is kept (the rollback window for a bad apply).
NONCURRENT_STATE_RETENTION_DAYS = 90


class StateBackendStack(ReadableStack):
    def __init__(self, scope: Construct, id_: str, config: InfraConfig) -> None:
        super().__init__(scope, id_)
        provider_for(self, config)
        LocalBackend(self, path=local_state_path(id_))
        aws = AwsContext.lookup(self)

        state = SecureBucket(
            self,
            "state",
            SecureBucketProps(
                # Deterministic per account and region, so a re-run finds the same bucket.
                bucket_name=f"{config.name}-tfstate-{aws.account_id}-{aws.region}",
                encryption="aws:kms",
                noncurrent_version_days=NONCURRENT_STATE_RETENTION_DAYS,
                # State is the one thing destroy must not take with it: emptying it is a deliberate act.
                force_destroy=False,
            ),
        )

        TerraformOutput(
            self, "state_bucket_name", value=state.bucket.bucket, description="Set `state_bucket` to this"
        )
        TerraformOutput(
            self, "state_bucket_region", value=aws.region, description="Region of the state bucket"
        )
