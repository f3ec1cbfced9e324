"""SecureBucket: an S3 bucket with the protections every bucket of ours gets.

Private (public access block, owner-enforced objects), versioned, encrypted by default, TLS-only
by policy, and with lifecycle rules. Users add policy statements (e.g. log delivery) through the
props, not by editing the bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

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
    S3BucketLifecycleConfigurationRuleExpiration,
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


@dataclass(frozen=True)
class SecureBucketProps:
    bucket_name: str
    #: "aws:kms" (AWS-managed key) where the writer supports it; ALB log delivery needs "AES256".
    encryption: Literal["aws:kms", "AES256"]
    #: Days before a superseded object version is deleted.
    noncurrent_version_days: int
    #: Days before current objects expire (None: kept).
    expiration_days: int | None = None
    force_destroy: bool = False
    #: Statements added to the bucket policy next to the TLS-only deny.
    extra_statements: Sequence[DataAwsIamPolicyDocumentStatement] = field(default_factory=tuple)


class SecureBucket(Construct):
    def __init__(self, scope: Construct, id_: str, props: SecureBucketProps) -> None:
        super().__init__(scope, id_)
        self.bucket = S3Bucket(self, "bucket", bucket=props.bucket_name, force_destroy=props.force_destroy)
        bucket = self.bucket

        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        self.public_access_block = S3BucketPublicAccessBlock(
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
                            sse_algorithm=props.encryption
                        )
                    ),
                    bucket_key_enabled=props.encryption == "aws:kms",
                )
            ],
        )
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=(
                        [S3BucketLifecycleConfigurationRuleExpiration(days=props.expiration_days)]
                        if props.expiration_days is not None
                        else None
                    ),
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_version_days
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
        deny_plain_http = DataAwsIamPolicyDocumentStatement(
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
        document = DataAwsIamPolicyDocument(
            self, "policy_document", statement=[deny_plain_http, *props.extra_statements]
        )
        # The public access block must exist first, or S3 may judge the policy before it applies.
        self.policy = S3BucketPolicy(
            self, "policy", bucket=bucket.id, policy=document.json, depends_on=[self.public_access_block]
        )
