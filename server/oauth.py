"""OAuth 2.1 resource server for `MCP_AUTH_MODE=oauth`, built from FastMCP's own OIDC proxy.

FastMCP's `OIDCProxy` serves everything an MCP client needs (protected resource metadata,
authorization server metadata, dynamic registration, Client ID Metadata Documents, the consent
screen, PKCE, token and refresh endpoints) and signs people in at the upstream identity provider,
normally a Cognito user pool. Clients receive tokens FastMCP signs for this server (audience: the
MCP URL); each request's token is checked for signature, issuer, audience and expiry, then the
upstream token it refers to is checked against the provider's keys the way Cognito shapes access
tokens (a `client_id` claim instead of `aud`), as `AWSCognitoProvider` does.

All OAuth state lives in one py-key-value store: in memory for one local process, or a DynamoDB
table shared by every worker of every task. Values are encrypted with MCP_OAUTH_STORAGE_KEY before
they are stored.
"""

from __future__ import annotations

import os
from typing import Any

from fastmcp.server.auth.oidc_proxy import OIDCProxy
from fastmcp.server.auth.providers.aws import AWSCognitoTokenVerifier
from key_value.aio.protocols import AsyncKeyValue
from key_value.aio.stores.memory import MemoryStore
from key_value.aio.wrappers.encryption import FernetEncryptionWrapper

from server.contract import OAUTH_CALLBACK_PATH, EnvVar
from server.problems import required
from server.settings import ServerSettings

#: Salt of the storage encryption key derivation (a fixed, public label; the key is the secret).
STORAGE_KEY_SALT = "mcp-weather-oauth-store"
#: Seconds the server waits for the identity provider's discovery document at start.
DISCOVERY_TIMEOUT_SECONDS = 10


class CognitoOIDCProxy(OIDCProxy):
    """FastMCP's OIDC proxy, checking upstream access tokens the Cognito way.

    Any OpenID provider works through its discovery URL (tests use a fake one on loopback);
    `AWSCognitoProvider` itself always builds the public Cognito URL, so it cannot.
    """

    def __init__(self, *, client_id: str, **kwargs: Any) -> None:
        # get_token_verifier runs inside the base __init__: the client id must exist before it.
        self._cognito_client_id = client_id
        super().__init__(client_id=client_id, algorithm="RS256", **kwargs)

    def get_token_verifier(
        self,
        *,
        algorithm: str | None = None,
        audience: str | None = None,
        required_scopes: list[str] | None = None,
        timeout_seconds: int | None = None,
    ) -> AWSCognitoTokenVerifier:
        """Cognito access tokens: issuer and keys from discovery, `client_id` claim as audience."""
        return AWSCognitoTokenVerifier(
            issuer=str(self.oidc_config.issuer),
            audience=audience or self._cognito_client_id,
            algorithm=algorithm,
            jwks_uri=str(self.oidc_config.jwks_uri),
            required_scopes=required_scopes,
        )


def oauth_store(settings: ServerSettings) -> AsyncKeyValue:
    """The key-value store for OAuth state: DynamoDB (shared) or memory, encrypted either way."""
    table = settings.dynamodb_table
    store: AsyncKeyValue
    if table is None:
        store = MemoryStore()
    else:
        from key_value.aio.stores.dynamodb import DynamoDBStore  # needs aiobotocore: only when used

        # Credentials and endpoint come from the standard AWS environment (the task role in ECS).
        # botocore itself reads only AWS_DEFAULT_REGION; AWS_REGION is the variable the stack sets
        # and most AWS tooling uses. The table belongs to Terraform: the server never creates it.
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        store = DynamoDBStore(table_name=table, region_name=region, auto_create=False)
    key = required(settings.oauth_storage_key or settings.oauth_jwt_signing_key, EnvVar.OAUTH_JWT_SIGNING_KEY)
    # A value that no longer decrypts (the storage key was rotated) reads as absent: the client
    # registers and signs in again instead of failing.
    return FernetEncryptionWrapper(
        store,
        source_material=key.get_secret_value(),
        salt=STORAGE_KEY_SALT,
        raise_on_decryption_error=False,
    )


def oauth_provider(settings: ServerSettings) -> CognitoOIDCProxy:
    """The auth provider FastMCP serves in oauth mode (reads the provider's discovery document)."""
    # ServerSettings requires all four in oauth mode.
    public_url = required(settings.public_url, EnvVar.PUBLIC_URL)
    config_url = required(settings.oidc_config_url, EnvVar.OIDC_CONFIG_URL)
    client_id = required(settings.oidc_client_id, EnvVar.OIDC_CLIENT_ID)
    signing_key = required(settings.oauth_jwt_signing_key, EnvVar.OAUTH_JWT_SIGNING_KEY)
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    scopes = list(settings.oauth_required_scopes)
    return CognitoOIDCProxy(
        config_url=config_url,
        client_id=client_id,
        client_secret=secret,
        timeout_seconds=DISCOVERY_TIMEOUT_SECONDS,
        required_scopes=scopes,
        valid_scopes=sorted({*scopes, "openid", "email", "profile"}),
        base_url=public_url,
        redirect_path=OAUTH_CALLBACK_PATH,
        allowed_client_redirect_uris=list(settings.oauth_redirect_uris),
        client_storage=oauth_store(settings),
        jwt_signing_key=signing_key.get_secret_value(),
        # The consent screen stays on: it is the confused-deputy defence of a proxy whose upstream
        # client is shared by every MCP client.
        require_authorization_consent=True,
        # The upstream token never leaves the server; the token clients get is bound to this
        # server's MCP URL. Cognito only accepts `resource` values naming its own resource servers.
        forward_resource=False,
        enable_cimd=True,
    )
