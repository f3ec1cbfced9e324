"""Sign-in for `auth_mode: oauth`: a Cognito user pool, its hosted sign-in domain and app client,
the shared table of the server's OAuth state, and the server's two keys in Secrets Manager.

- The user pool takes email addresses as user names, a strong password policy, and by default only
  users an administrator creates. Deletion protection follows `teardown_deletes_data`.
- The sign-in domain is a Cognito prefix domain, `<name>-<account id>`: prefixes are unique per
  region across all AWS accounts, and an account id is unique, so two deployments never collide.
- The app client is public (no secret, so nothing Cognito generates sits in Terraform state): the
  authorization-code flow with PKCE, whose only callback is the server's own OAuth callback on the
  HTTPS domain. MCP clients never talk to it directly: the server's OAuth proxy does. Its only
  explicit auth flow is refresh: left empty, Cognito would add its defaults, SRP among them, and
  passwords could be tried against Cognito's API directly, past the hosted page and any WAF.
- `groups` (oauth_allowed_groups): the Cognito groups whose members may sign in; the server reads
  them from the `cognito:groups` claim.
- The table holds client registrations, pending authorizations and token mappings for every
  worker of every task: on demand, TTL attribute `ttl`, point-in-time recovery, encrypted.
- The token-signing and storage-encryption keys come from ephemeral random values written through
  write-only secret versions (as the bearer token in auth_token.py): never in state or plans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.cognito_user_group import CognitoUserGroup
from cdktf_cdktf_provider_aws.cognito_user_pool import (
    CognitoUserPool,
    CognitoUserPoolAccountRecoverySetting,
    CognitoUserPoolAccountRecoverySettingRecoveryMechanism,
    CognitoUserPoolAdminCreateUserConfig,
    CognitoUserPoolPasswordPolicy,
    CognitoUserPoolSoftwareTokenMfaConfiguration,
    CognitoUserPoolUsernameConfiguration,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_client import (
    CognitoUserPoolClient,
    CognitoUserPoolClientTokenValidityUnits,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_domain import CognitoUserPoolDomain
from cdktf_cdktf_provider_aws.dynamodb_table import (
    DynamodbTable,
    DynamodbTableAttribute,
    DynamodbTablePointInTimeRecovery,
    DynamodbTableServerSideEncryption,
    DynamodbTableTtl,
)
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct

from server.contract import OAUTH_CALLBACK_PATH

from .aws_context import AwsContext
from .iam import Allow

#: Length of the generated keys: letters and digits only (a subset of URL-safe base64).
KEY_LENGTH = 64
#: Refresh tokens let clients stay signed in this long without the sign-in page.
REFRESH_TOKEN_DAYS = 30
_MFA = {"off": "OFF", "optional": "OPTIONAL", "required": "ON"}


@dataclass(frozen=True)
class OAuthSignInProps:
    name: str
    aws: AwsContext
    #: Host name clients use (domain_name); the server's callback lives there.
    host_name: str
    mfa: str
    access_token_minutes: int
    #: Scopes the app client may grant (the required ones plus openid, email, profile).
    scopes: Sequence[str]
    self_signup: bool
    keys_version: int
    #: Refuse to delete the user pool and the table (teardown_deletes_data false).
    protect_data: bool
    #: Cognito groups whose members may sign in (empty: everyone in the pool).
    groups: Sequence[str] = ()


class OAuthSignIn(Construct):
    """Exposes the user pool, domain, app client, table, key secret ARNs and the task permissions."""

    def __init__(self, scope: Construct, id_: str, props: OAuthSignInProps) -> None:
        super().__init__(scope, id_)
        name = props.name
        self.user_pool = CognitoUserPool(
            self,
            "user_pool",
            name=f"{name}-users",
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            username_configuration=CognitoUserPoolUsernameConfiguration(case_sensitive=False),
            password_policy=CognitoUserPoolPasswordPolicy(
                minimum_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=True,
                temporary_password_validity_days=7,
            ),
            admin_create_user_config=CognitoUserPoolAdminCreateUserConfig(
                allow_admin_create_user_only=not props.self_signup
            ),
            mfa_configuration=_MFA[props.mfa],
            software_token_mfa_configuration=(
                CognitoUserPoolSoftwareTokenMfaConfiguration(enabled=True) if props.mfa != "off" else None
            ),
            account_recovery_setting=CognitoUserPoolAccountRecoverySetting(
                recovery_mechanism=[
                    CognitoUserPoolAccountRecoverySettingRecoveryMechanism(name="verified_email", priority=1)
                ]
            ),
            deletion_protection="ACTIVE" if props.protect_data else "INACTIVE",
        )
        self.domain = CognitoUserPoolDomain(
            self,
            "sign_in_domain",
            domain=f"{name}-{props.aws.account_id}",
            user_pool_id=self.user_pool.id,
        )
        self.app_client = CognitoUserPoolClient(
            self,
            "app_client",
            name=f"{name}-mcp-server",
            user_pool_id=self.user_pool.id,
            generate_secret=False,
            allowed_oauth_flows=["code"],
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_scopes=list(props.scopes),
            callback_urls=[f"https://{props.host_name}{OAUTH_CALLBACK_PATH}"],
            supported_identity_providers=["COGNITO"],
            # The hosted sign-in page and refresh only (see the module docstring).
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=props.access_token_minutes,
            id_token_validity=props.access_token_minutes,
            refresh_token_validity=REFRESH_TOKEN_DAYS,
            token_validity_units=[
                CognitoUserPoolClientTokenValidityUnits(  # units, not secrets
                    access_token="minutes",  # noqa: S106
                    id_token="minutes",  # noqa: S106
                    refresh_token="days",  # noqa: S106
                )
            ],
        )
        self.groups = {
            group: CognitoUserGroup(
                self,
                f"group_{group}",
                name=group,
                user_pool_id=self.user_pool.id,
                description="Members may sign in to the MCP server (oauth_allowed_groups).",
            )
            for group in props.groups
        }
        self.table = DynamodbTable(
            self,
            "state_table",
            name=f"{name}-oauth-state",
            billing_mode="PAY_PER_REQUEST",
            hash_key="collection",
            range_key="key",
            attribute=[
                DynamodbTableAttribute(name="collection", type="S"),
                DynamodbTableAttribute(name="key", type="S"),
            ],
            ttl=DynamodbTableTtl(attribute_name="ttl", enabled=True),
            point_in_time_recovery=DynamodbTablePointInTimeRecovery(enabled=True),
            server_side_encryption=DynamodbTableServerSideEncryption(enabled=True),
            deletion_protection_enabled=props.protect_data,
        )
        self.signing_key_secret_arn = self._generated_key(
            "signing_key", f"{name}/mcp-oauth-signing-key", "signs the tokens MCP clients receive", props
        )
        self.storage_key_secret_arn = self._generated_key(
            "storage_key", f"{name}/mcp-oauth-storage-key", "encrypts the OAuth state table's values", props
        )

    def _generated_key(self, id_: str, secret_name: str, purpose: str, props: OAuthSignInProps) -> str:
        secret = SecretsmanagerSecret(
            self,
            id_,
            name=secret_name,
            description=f"MCP server OAuth key: {purpose}",
            # Deleted at once on destroy, so a redeploy can recreate the name; a new key only means
            # every client signs in again.
            recovery_window_in_days=0,
        )
        # cdktf 0.21 predates ephemeral resources; the block is added to the stack by override.
        password_id = f"{self.node.id}_{id_}_random"
        TerraformStack.of(self).add_override(
            f"ephemeral.aws_secretsmanager_random_password.{password_id}",
            {"password_length": KEY_LENGTH, "exclude_punctuation": True, "include_space": False},
        )
        SecretsmanagerSecretVersion(
            self,
            f"{id_}_value",
            secret_id=secret.id,
            secret_string_wo=f"${{ephemeral.aws_secretsmanager_random_password.{password_id}.random_password}}",
            secret_string_wo_version=props.keys_version,
        )
        return secret.arn

    @property
    def config_url(self) -> str:
        """The user pool's OpenID discovery document (MCP_OIDC_CONFIG_URL)."""
        return f"https://{self.user_pool.endpoint}/.well-known/openid-configuration"

    def sign_in_url(self, aws: AwsContext) -> str:
        """The hosted sign-in domain's base URL."""
        return f"https://{self.domain.domain}.auth.{aws.region}.amazoncognito.com"

    def task_permissions(self) -> list[Allow]:
        """What the server's task role needs on the table, and nothing more (the table and its TTL exist)."""
        return [
            Allow(
                "OAuthStateTable",
                [
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:DeleteItem",
                    # The per-address registration counters (an atomic ADD).
                    "dynamodb:UpdateItem",
                ],
                [self.table.arn],
            )
        ]
