"""OAuth 2.1 resource server for `MCP_AUTH_MODE=oauth`, built from FastMCP's own OIDC proxy.

FastMCP's `OIDCProxy` serves everything an MCP client needs (protected resource metadata,
authorization server metadata, dynamic registration, Client ID Metadata Documents, the consent
screen, PKCE, token and refresh endpoints) and signs people in at the upstream identity provider,
normally a Cognito user pool. Clients receive tokens FastMCP signs for this server (audience: the
MCP URL); each request's token is checked for signature, issuer, audience and expiry, then the
upstream token it refers to is checked against the provider's keys the way Cognito shapes access
tokens (a `client_id` claim instead of `aud`), as `AWSCognitoProvider` does.

`CognitoOIDCProxy` adds what hostile clients need answered, each at a seam FastMCP's proxy offers
(a method the SDK or the proxy calls):

- `get_client`: only registered (or CIMD) clients exist; the upstream app client's id is not one.
  Their redirect URIs are checked exactly (`server.oauth_redirects`).
- `register_client`: redirect URIs outside the allow-list are dropped (RFC 7591 lets the server
  replace requested metadata), and a registration with none left is refused; the /register route
  is guarded against size and floods (`server.oauth_registration`).
- Authorization codes are read once, atomically, in the store (`server.oauth_store`).
- Refresh tokens are claimed atomically; one replayed after its rotation revokes its whole grant
  (RFC 9700 §4.14): the grant's upstream tokens are deleted, so its newer refresh token and access
  tokens stop working at once.
- A registration expires 30 days after its last use; each authorization or token request renews it.
- `_create_upstream_oauth_client`: the provider's token endpoint with a bounded timeout; its
  failures are noted for a clear answer (`server.oauth_faults`), and with MCP_OAUTH_ALLOWED_GROUPS a
  person outside those Cognito groups is refused at sign-in (403 page) and at refresh.
"""

from __future__ import annotations

import os
import time
from typing import Any, Final

import httpx2
from fastmcp.server.auth.oauth_proxy.models import ProxyDCRClient, _hash_token
from fastmcp.server.auth.oauth_proxy.upstream import AsyncOAuth2Client, OAuthError
from fastmcp.server.auth.oidc_proxy import OIDCProxy
from fastmcp.server.auth.providers.aws import AWSCognitoTokenVerifier
from mcp.server.auth.provider import (
    AuthorizationCode,
    AuthorizationParams,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.contract import OAUTH_CALLBACK_PATH, EnvVar
from server.logs import OAUTH_LOGGER, get_logger
from server.oauth_faults import Fault, note
from server.oauth_pages import CONSENT_META_CSP, with_own_icon
from server.oauth_redirects import ExactRedirectClient, RedirectAllowList
from server.oauth_registration import RegistrationGuard
from server.oauth_store import (
    REFRESH_TOKENS,
    REGISTRATION_TTL_SECONDS,
    REGISTRATIONS,
    ROTATED_REFRESH_TOKENS,
    OAuthState,
    encrypted,
    open_oauth_state,
)
from server.problems import required
from server.settings import ServerSettings

log = get_logger(OAUTH_LOGGER)

#: Seconds the server waits for the identity provider's discovery document at start.
DISCOVERY_TIMEOUT_SECONDS: Final = 10
#: Seconds the server waits for the provider's token endpoint (sign-in callback, refresh).
UPSTREAM_TIMEOUT_SECONDS: Final = 10
#: A registration used again within this long of its last renewal is not rewritten (one write a day).
RENEWAL_INTERVAL_SECONDS: Final = 86400
#: The Cognito claim listing the groups a person belongs to.
GROUPS_CLAIM: Final = "cognito:groups"


class CognitoTokenVerifier(AWSCognitoTokenVerifier):
    """Cognito's token checks; a key set the provider fails to serve is noted as its outage."""

    async def _fetch_jwks(self) -> dict[str, Any]:
        try:
            return await super()._fetch_jwks()
        except httpx2.HTTPError:
            note(Fault.PROVIDER_UNAVAILABLE)
            raise


class UpstreamTokenClient(AsyncOAuth2Client):
    """The provider's token endpoint: bounded in time, failures noted, groups checked (see module)."""

    def __init__(
        self, *, verifier: CognitoTokenVerifier, allowed_groups: frozenset[str], **kwargs: Any
    ) -> None:
        super().__init__(timeout=UPSTREAM_TIMEOUT_SECONDS, **kwargs)
        self._verifier = verifier
        self._allowed_groups = allowed_groups

    async def _request_token(self, url: str, data: dict[str, Any]) -> dict[str, Any]:
        try:
            token = await super()._request_token(url, data)
        except OAuthError as error:
            if error.error in ("invalid_client", "unauthorized_client"):
                note(Fault.PROVIDER_REFUSED)
                log.error(
                    "oauth_provider_refused_client",
                    error=error.error,
                    check=f"{EnvVar.OIDC_CLIENT_ID} and {EnvVar.OIDC_CLIENT_SECRET}",
                )
            raise
        except (httpx2.HTTPError, ValueError) as error:  # 5xx, no connection, timeout, not JSON
            note(Fault.PROVIDER_UNAVAILABLE)
            log.warning("oauth_provider_unavailable", endpoint="token", error=type(error).__name__)
            raise
        if self._allowed_groups:
            await self._require_group(token)
        return token

    async def _require_group(self, token: dict[str, Any]) -> None:
        verified = await self._verifier.verify_token(str(token.get("access_token", "")))
        claims = verified.claims if verified is not None else {}
        groups = claims.get(GROUPS_CLAIM) or []
        if verified is None or not self._allowed_groups.intersection(groups):
            note(Fault.NOT_IN_ALLOWED_GROUP)
            log.info("oauth_sign_in_refused", reason="not_in_allowed_group", subject=claims.get("sub"))
            # invalid_grant: at refresh the client is told to sign in again (and gets the 403 page).
            raise OAuthError(error="invalid_grant", description="not a member of an allowed group")


class CognitoOIDCProxy(OIDCProxy):
    """FastMCP's OIDC proxy, checking upstream tokens the Cognito way, hardened (see the module)."""

    def __init__(
        self,
        *,
        client_id: str,
        state: OAuthState,
        registrations_per_minute: int,
        allowed_groups: frozenset[str],
        **kwargs: Any,
    ) -> None:
        # get_token_verifier runs inside the base __init__: these must exist before it.
        self._cognito_client_id = client_id
        self._state = state
        self._registrations_per_minute = registrations_per_minute
        self._allowed_groups = allowed_groups
        super().__init__(client_id=client_id, algorithm="RS256", **kwargs)
        self._allow_list = RedirectAllowList(tuple(self._allowed_client_redirect_uris or ()))
        self._group_verifier = self.get_token_verifier(algorithm="RS256")

    # --- upstream --------------------------------------------------------------------------------
    def get_token_verifier(
        self,
        *,
        algorithm: str | None = None,
        audience: str | None = None,
        required_scopes: list[str] | None = None,
        timeout_seconds: int | None = None,
    ) -> CognitoTokenVerifier:
        """Cognito access tokens: issuer and keys from discovery, `client_id` claim as audience."""
        return CognitoTokenVerifier(
            issuer=str(self.oidc_config.issuer),
            audience=audience or self._cognito_client_id,
            algorithm=algorithm,
            jwks_uri=str(self.oidc_config.jwks_uri),
            required_scopes=required_scopes,
        )

    def _create_upstream_oauth_client(self) -> AsyncOAuth2Client:
        secret = self._upstream_client_secret
        return UpstreamTokenClient(
            # Groups are read from a token checked like every other (signature, issuer, client) but
            # without the scope requirement: a missing scope is refused at /mcp, not called a group.
            verifier=self._group_verifier,
            allowed_groups=self._allowed_groups,
            client_id=self._upstream_client_id,
            client_secret=secret.get_secret_value() if secret is not None else None,
            token_endpoint_auth_method=self._token_endpoint_auth_method,
        )

    # --- clients ---------------------------------------------------------------------------------
    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        """A registered or CIMD client, checked by `server.oauth_redirects`; nothing else."""
        if client_id == self._upstream_client_id:
            # FastMCP would make one up for the upstream app client's id (some clients skip
            # registration): that would let anyone authorize without registering.
            log.info("oauth_client_refused", reason="upstream_client_id")
            return None
        client = await super().get_client(client_id)
        if isinstance(client, ProxyDCRClient):
            return ExactRedirectClient.of(client)
        return client

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        """Keep the redirect URIs the allow-list admits (RFC 7591 §3.2.1: the server may replace
        requested values); refuse a registration left with none."""
        requested = [str(uri) for uri in client_info.redirect_uris or ()]
        kept = [uri for uri in requested if self._allow_list.allows(uri)]
        if not kept:
            log.info("oauth_registration_refused", reason="redirect_uris", redirect_uris=requested[:5])
            raise RegistrationError(
                "invalid_redirect_uri",
                "None of the redirect URIs is allowed by this server"
                if requested
                else "redirect_uris is required",
            )
        client_info.redirect_uris = [uri for uri in client_info.redirect_uris or () if str(uri) in kept]
        await super().register_client(client_info)

    async def _renew_registration(self, client_id: str | None) -> None:
        """Push a registration's expiry 30 days out from now (at most one write a day per client)."""
        if not client_id:
            return
        value, ttl = await self._client_storage.ttl(key=client_id, collection=REGISTRATIONS)
        if value is not None and (ttl is None or ttl < REGISTRATION_TTL_SECONDS - RENEWAL_INTERVAL_SECONDS):
            await self._client_storage.put(
                key=client_id, value=value, collection=REGISTRATIONS, ttl=REGISTRATION_TTL_SECONDS
            )

    # --- authorization and tokens ----------------------------------------------------------------
    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        """FastMCP's authorization (consent page next); the registration counts as used."""
        url = await super().authorize(client, params)
        await self._renew_registration(client.client_id)
        return url

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        """FastMCP's exchange of a code this request took from the store (read once)."""
        token = await super().exchange_authorization_code(client, authorization_code)
        await self._renew_registration(client.client_id)
        return token

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        """A current refresh token; a rotated one presented again revokes its whole grant."""
        found = await super().load_refresh_token(client, refresh_token)
        if found is None:
            rotated = await self._client_storage.get(
                key=_hash_token(refresh_token), collection=ROTATED_REFRESH_TOKENS
            )
            if rotated is not None:
                await self._upstream_token_store.delete(key=str(rotated["grant"]))
                log.warning("oauth_refresh_token_reused", client_id=client.client_id, action="grant_revoked")
        return found

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        """Claim the refresh token atomically, rotate it (FastMCP), and remember what it was."""
        token_hash = _hash_token(refresh_token.token)
        remaining = max(
            60, int((refresh_token.expires_at or time.time() + REGISTRATION_TTL_SECONDS) - time.time())
        )
        grant = await self._grant_of(refresh_token.token)
        claimed = await self._state.take(token_hash, collection=REFRESH_TOKENS)
        if claimed is None:
            # Another request (on any task) is redeeming this same token right now.
            raise TokenError("invalid_grant", "Refresh token was already used")
        try:
            token = await super().exchange_refresh_token(client, refresh_token, scopes)
        except TokenError:
            raise  # the grant itself is refused: nothing to give back
        except Exception:
            # The provider or the store failed: give the token back, so a retry can succeed.
            await self._state.put(token_hash, claimed, collection=REFRESH_TOKENS, ttl=remaining)
            raise
        if grant is not None:
            await self._client_storage.put(
                key=token_hash, value={"grant": grant}, collection=ROTATED_REFRESH_TOKENS, ttl=remaining
            )
        await self._renew_registration(client.client_id)
        return token

    async def _grant_of(self, refresh_token: str) -> str | None:
        """The upstream token set (grant) a refresh token of ours points at, if it is one."""
        try:
            jti = self.jwt_issuer.verify_token(refresh_token, expected_token_use="refresh")["jti"]  # noqa: S106
        except Exception:
            return None
        mapping = await self._jti_mapping_store.get(key=jti)
        return mapping.upstream_token_id if mapping is not None else None

    async def _handle_idp_callback(self, request: Request) -> Response:  # type: ignore[override]
        """FastMCP's sign-in callback; its error pages show this server's icon, not a third-party logo."""
        return with_own_icon(await super()._handle_idp_callback(request))

    # --- routes ----------------------------------------------------------------------------------
    def get_routes(self, mcp_path: str | None = None) -> list[Route]:
        """FastMCP's routes, with /register behind `RegistrationGuard`."""
        routes = super().get_routes(mcp_path)
        return [
            Route(
                route.path,
                endpoint=RegistrationGuard(route.app, self._state, limit=self._registrations_per_minute),
                methods=list(route.methods or ()),
                name=route.name,
            )
            if isinstance(route, Route) and route.path == "/register"
            else route
            for route in routes
        ]


def oauth_provider(settings: ServerSettings) -> CognitoOIDCProxy:
    """The auth provider FastMCP serves in oauth mode (reads the provider's discovery document)."""
    # ServerSettings requires all four in oauth mode.
    public_url = required(settings.public_url, EnvVar.PUBLIC_URL)
    config_url = required(settings.oidc_config_url, EnvVar.OIDC_CONFIG_URL)
    client_id = required(settings.oidc_client_id, EnvVar.OIDC_CLIENT_ID)
    signing_key = required(settings.oauth_jwt_signing_key, EnvVar.OAUTH_JWT_SIGNING_KEY)
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    scopes = list(settings.oauth_required_scopes)
    # Credentials and endpoint come from the standard AWS environment (the task role in ECS).
    # botocore itself reads only AWS_DEFAULT_REGION; AWS_REGION is the variable the stack sets
    # and most AWS tooling uses. The table belongs to Terraform: the server never creates it.
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    state = open_oauth_state(settings.dynamodb_table, region)
    storage_key = required(
        settings.oauth_storage_key or settings.oauth_jwt_signing_key, EnvVar.OAUTH_JWT_SIGNING_KEY
    )
    return CognitoOIDCProxy(
        config_url=config_url,
        client_id=client_id,
        client_secret=secret,
        state=state,
        registrations_per_minute=settings.oauth_registrations_per_minute,
        allowed_groups=frozenset(settings.oauth_allowed_groups),
        timeout_seconds=DISCOVERY_TIMEOUT_SECONDS,
        required_scopes=scopes,
        valid_scopes=sorted({*scopes, "openid", "email", "profile"}),
        base_url=public_url,
        redirect_path=OAUTH_CALLBACK_PATH,
        allowed_client_redirect_uris=list(settings.oauth_redirect_uris),
        client_storage=encrypted(state, storage_key.get_secret_value()),
        jwt_signing_key=signing_key.get_secret_value(),
        # The consent screen stays on: it is the confused-deputy defence of a proxy whose upstream
        # client is shared by every MCP client. Its page loads nothing from anywhere.
        require_authorization_consent=True,
        consent_csp_policy=CONSENT_META_CSP,
        # The upstream token never leaves the server; the token clients get is bound to this
        # server's MCP URL. Cognito only accepts `resource` values naming its own resource servers.
        forward_resource=False,
        enable_cimd=True,
    )
