"""McpServerStateBackend: the bootstrap stack that creates the S3 bucket holding Terraform state.

It keeps its own state locally (it cannot store state in the bucket it creates). Apply it once
per account and region, then set `state_bucket` to its output and migrate the main stack.
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from .aws_context import AwsContext
from .base import ReadableStack, local_state_path
from .config import InfraConfig
from .mcp_server_stack import provider_for

#: Days a superseded state version is kept (the rollback window for a bad apply).
NONCURRENT_STATE_RETENTION_DAYS = 90


class StateBackendStack(ReadableStack):
    def __init__(self, scope: Construct, id_: str, config: InfraConfig) -> None:
        super().__init__(scope, id_)
        provider_for(self, config)
        LocalBackend(self, path=local_state_path(id_))
        aws = AwsContext.lookup(self)

        # Deterministic per account and region, so a re-run finds the same bucket.
        bucket = S3Bucket(
            self,
            "state_bucket",
            bucket=f"{config.name}-tfstate-{aws.account_id}-{aws.region}",
            # State is the one thing destroy must not take with it: emptying it is a deliberate act.
            force_destroy=False,
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketVersioningA(
            self,
            "versioning",
            bucket=bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=(
                        S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                            sse_algorithm="aws:kms"
                        )
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-state-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=NONCURRENT_STATE_RETENTION_DAYS
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7
                        )
                    ],
                )
            ],
        )
        deny_plain_http = DataAwsIamPolicyDocument(
            self,
            "tls_only",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyNonTlsAccess",
                    effect="Deny",
                    actions=["s3:*"],
                    resources=[bucket.arn, f"{bucket.arn}/*"],
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="Bool", variable="aws:SecureTransport", values=["false"]
                        )
                    ],
                )
            ],
        )
        S3BucketPolicy(self, "policy", bucket=bucket.id, policy=deny_plain_http.json)

        TerraformOutput(
            self, "state_bucket_name", value=bucket.bucket, description="Set `state_bucket` to this"
        )
        TerraformOutput(
            self, "state_bucket_region", value=aws.region, description="Region of the state bucket"
        )
