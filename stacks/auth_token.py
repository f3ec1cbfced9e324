"""The MCP bearer token in Secrets Manager, generated at deploy and never stored in Terraform state.

The value comes from the ephemeral ``aws_secretsmanager_random_password`` and is written through
the write-only ``secret_string_wo``: it exists only in Secrets Manager and in the running tasks
(ECS injects it as MCP_AUTH_TOKEN). Bumping the version writes a new random token.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct

#: Alphanumeric only, so the token fits the server's token alphabet and any client config verbatim.
TOKEN_LENGTH = 48


@dataclass(frozen=True)
class AuthTokenProps:
    name: str
    #: An existing secret to use instead of generating one.
    existing_secret_arn: str | None
    #: Monotonic version of the generated token; a new value is generated when it changes.
    version: int
    #: Customer-managed key for the secret (None: the AWS managed key for Secrets Manager).
    kms_key_arn: str | None = None


class AuthToken(Construct):
    """Exposes ``secret_arn`` for the task definition and the execution role."""

    def __init__(self, scope: Construct, id_: str, props: AuthTokenProps) -> None:
        super().__init__(scope, id_)
        if props.existing_secret_arn is not None:
            self.secret_arn: str = props.existing_secret_arn
            return

        secret = SecretsmanagerSecret(
            self,
            "secret",
            name=f"{props.name}/mcp-auth-token",
            description="Bearer token clients send to the MCP server (Authorization: Bearer ...)",
            # Deleted at once on destroy, so a redeploy can recreate the same name; a lost token is
            # replaced by deploying again, and clients need the new value anyway.
            recovery_window_in_days=0,
            kms_key_id=props.kms_key_arn,
        )
        self.secret_arn = secret.arn

        # cdktf 0.21 predates ephemeral resources; the block is added to the stack by override.
        password_id = f"{id_}_password"
        TerraformStack.of(self).add_override(
            f"ephemeral.aws_secretsmanager_random_password.{password_id}",
            {"password_length": TOKEN_LENGTH, "exclude_punctuation": True, "include_space": False},
        )
        SecretsmanagerSecretVersion(
            self,
            "value",
            secret_id=secret.id,
            secret_string_wo=f"${{ephemeral.aws_secretsmanager_random_password.{password_id}.random_password}}",
            secret_string_wo_version=props.version,
        )
