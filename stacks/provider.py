"""What every stack of the app shares: the AWS provider with default tags, and the state backend."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from .base import local_state_path
from .config import InfraConfig


def provider_for(stack: TerraformStack, config: InfraConfig) -> AwsProvider:
    """The AWS provider with the project's default tags on every resource."""
    return AwsProvider(
        stack,
        "aws",
        region=config.region,
        default_tags=[
            AwsProviderDefaultTags(
                tags={
                    "project": "mcp-server-amazon-ecs",
                    "stack": stack.node.id,
                    "managed-by": "cdktf",
                    **config.tags,
                }
            )
        ],
    )


def configure_backend(stack: TerraformStack, config: InfraConfig) -> None:
    """S3 state (encrypted, S3-native locking) when a state bucket is configured, else local."""
    name = stack.node.id
    if config.state_bucket is None:
        LocalBackend(stack, path=local_state_path(name))
        return
    S3Backend(
        stack,
        bucket=config.state_bucket,
        key=f"{name}/terraform.tfstate",
        region=config.state_bucket_region or config.region,
        encrypt=True,
    )
    # cdktf 0.21's S3Backend predates these arguments of Terraform >= 1.10's S3 backend.
    stack.add_override("terraform.backend.s3.use_lockfile", True)
    if config.state_bucket_path_style:
        stack.add_override("terraform.backend.s3.use_path_style", True)
