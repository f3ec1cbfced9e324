"""One customer-managed KMS key for the stack's data at rest: log groups, the token secret, ECR, the
fleet cache.

The key policy is the whole authorization story of a KMS key, so it names each use:

- the account (IAM) may *administer* the key (describe, rotate, change the policy, schedule
  deletion) but gets no cryptographic operation from the key policy itself;
- CloudWatch Logs may use it only for the stack's own log groups (the encryption context carries
  the log group ARN);
- Secrets Manager, ECR and ElastiCache may use it on behalf of principals of this account only
  (``kms:ViaService`` plus ``kms:CallerAccount``), which is how AWS's own managed keys for those
  services are scoped.

The policy is an inline JSON document rather than an ``aws_iam_policy_document``: in a key policy
``"Resource": "*"`` means "this key", which generic IAM policy checks cannot know.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from .aws_context import AwsContext

#: Key administration: everything a key administrator needs, and no Encrypt/Decrypt/GenerateDataKey.
ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
#: What CloudWatch Logs does with a log group's key.
LOGS_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")
#: What Secrets Manager and ECR do with a customer key (ECR holds a grant for the repository's life).
VIA_SERVICE_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
    "kms:CreateGrant",
    "kms:RetireGrant",
)


@dataclass(frozen=True)
class EncryptionKeyProps:
    name: str
    aws: AwsContext
    #: Log groups CloudWatch Logs may encrypt with the key (exact names).
    log_group_names: Sequence[str]
    #: Services (endpoint prefixes, e.g. "secretsmanager", "ecr") that use the key for this account.
    via_services: Sequence[str]


class EncryptionKey(Construct):
    """Exposes ``key`` (its ``arn`` goes into ``kms_key_id`` / ``kms_key`` arguments)."""

    def __init__(self, scope: Construct, id_: str, props: EncryptionKeyProps) -> None:
        super().__init__(scope, id_)
        self.key = KmsKey(
            self,
            "key",
            description=f"{props.name}: log groups, token secret and image repository",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30,
            policy=json.dumps(key_policy(props), sort_keys=True),
        )
        KmsAlias(self, "alias", name=f"alias/{props.name}", target_key_id=self.key.key_id)


def key_policy(props: EncryptionKeyProps) -> dict[str, object]:
    aws = props.aws
    account = f"arn:{aws.partition}:iam::{aws.account_id}:root"
    log_group_arns = [
        f"arn:{aws.partition}:logs:{aws.region}:{aws.account_id}:log-group:{name}"
        for name in props.log_group_names
    ]
    statements: list[dict[str, object]] = [
        {
            "Sid": "AccountAdministersTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": account},
            "Action": list(ADMIN_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsForTheStackLogGroups",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{aws.region}.{aws.dns_suffix}"},
            "Action": list(LOGS_ACTIONS),
            "Resource": "*",
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arns}},
        },
    ]
    for service in props.via_services:
        statements.append(
            {
                "Sid": f"{service.capitalize()}ForThisAccount",
                "Effect": "Allow",
                "Principal": {"AWS": account},
                "Action": list(VIA_SERVICE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"{service}.{aws.region}.{aws.dns_suffix}",
                        "kms:CallerAccount": aws.account_id,
                    }
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
