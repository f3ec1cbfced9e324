"""The server's container image: an ECR repository and a build-and-push step keyed by content.

The tag is a hash of the image inputs (server/, Pipfile, Pipfile.lock, .dockerignore), so a source
change gives a new tag, a new task definition revision and a rolling deploy, and no change gives
an empty plan. The build runs in Terraform's built-in ``terraform_data`` resource, replaced (and
so re-run) only when the tag or the repository changes. With a prebuilt image none of this exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf import LocalExecProvisioner, TerraformResource
from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from constructs import Construct

from .base import STACK_DIR_TO_PROJECT_ROOT

PUSH_SCRIPT = "stacks/scripts/push_image.sh"
IMAGE_PLATFORM = "linux/arm64"


@dataclass(frozen=True)
class ContainerImageProps:
    name: str
    #: Content hash of the image inputs; becomes the image tag.
    source_hash: str
    retention_count: int
    force_delete: bool
    #: A prebuilt image to run instead of building one.
    prebuilt_uri: str | None = None
    #: Customer-managed key for the repository (None: the AWS managed key for ECR).
    kms_key_arn: str | None = None


class ContainerImage(Construct):
    """Exposes ``image_uri`` for the task definition and ``build`` for it to depend on."""

    def __init__(self, scope: Construct, id_: str, props: ContainerImageProps) -> None:
        super().__init__(scope, id_)
        self.repository: EcrRepository | None = None
        self.build: TerraformResource | None = None
        if props.prebuilt_uri is not None:
            self.image_uri: str = props.prebuilt_uri
            return

        self.repository = EcrRepository(
            self,
            "repository",
            name=props.name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
            encryption_configuration=[
                EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=props.kms_key_arn)
            ],
            force_delete=props.force_delete,
        )
        EcrLifecyclePolicy(
            self,
            "lifecycle",
            repository=self.repository.name,
            policy=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "description": f"Keep the last {props.retention_count} images",
                            "selection": {
                                "tagStatus": "any",
                                "countType": "imageCountMoreThan",
                                "countNumber": props.retention_count,
                            },
                            "action": {"type": "expire"},
                        }
                    ]
                },
                sort_keys=True,
            ),
        )

        tag = props.source_hash
        self.build = TerraformResource(
            self,
            "build",
            terraform_resource_type="terraform_data",
            provisioners=[
                LocalExecProvisioner(
                    type="local-exec",
                    command=f"bash {PUSH_SCRIPT}",
                    working_dir=f"${{path.module}}/{STACK_DIR_TO_PROJECT_ROOT}",
                    environment={
                        "REPOSITORY_URL": self.repository.repository_url,
                        "IMAGE_TAG": tag,
                        "IMAGE_PLATFORM": IMAGE_PLATFORM,
                    },
                )
            ],
        )
        # cdktf 0.21 has no typed terraform_data; its one argument is set by override.
        self.build.add_override("triggers_replace", [tag, self.repository.repository_url])
        self.image_uri = f"{self.repository.repository_url}:{tag}"
