"""Small helpers for IAM documents, so every role states its trust and permissions the same way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from constructs import Construct


@dataclass(frozen=True)
class Allow:
    """One Allow statement: a readable Sid, the actions, and the resources they apply to."""

    sid: str
    actions: Sequence[str]
    resources: Sequence[str]
    conditions: Sequence[DataAwsIamPolicyDocumentStatementCondition] = field(default_factory=tuple)


def policy_document(scope: Construct, id_: str, statements: Sequence[Allow]) -> DataAwsIamPolicyDocument:
    return DataAwsIamPolicyDocument(
        scope,
        id_,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                sid=s.sid,
                effect="Allow",
                actions=list(s.actions),
                resources=list(s.resources),
                condition=list(s.conditions) or None,
            )
            for s in statements
        ],
    )


def service_trust_policy(
    scope: Construct,
    id_: str,
    service: str,
    conditions: Sequence[DataAwsIamPolicyDocumentStatementCondition] = (),
) -> DataAwsIamPolicyDocument:
    """Trust policy letting one AWS service principal assume the role."""
    return DataAwsIamPolicyDocument(
        scope,
        id_,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                effect="Allow",
                actions=["sts:AssumeRole"],
                principals=[
                    DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])
                ],
                condition=list(conditions) or None,
            )
        ],
    )
