"""A fake Cognito user pool as an OpenID provider: a real HTTP server on loopback for tests.

Written from the OpenID Connect Core/Discovery documents and Cognito's user pool endpoint reference:
- `GET /<pool>/.well-known/openid-configuration` (issuer `<base>/<pool>`, like
  `https://cognito-idp.<region>.amazonaws.com/<pool>`), `GET /<pool>/.well-known/jwks.json`;
- `GET /oauth2/authorize`: exact `redirect_uri` match against the app client's callback URLs
  (Cognito answers `redirect_mismatch` otherwise), PKCE with S256 only, scopes the client allows;
  then, as Cognito's hosted UI does, a redirect to `/login` with the same query;
- `GET /login`: a sign-in page, a real HTML form (username, password, a double-submit `_csrf`
  token); `POST /login` with the test person's credentials redirects the browser back with `code`
  and `state`; wrong credentials re-render the form with an error, and nothing reaches the client;
- `POST /oauth2/token`: `authorization_code` (one-time code, PKCE verifier, same redirect URI) and
  `refresh_token` grants for a public client (no secret). Access tokens are RS256 JWTs shaped like
  Cognito's: `client_id`, `token_use: access`, `scope`, `username`, no `aud`. ID tokens carry
  `aud: <client id>` and `token_use: id`. Refresh tokens are opaque; refresh returns no new one.

Keys rotate: `rotate_key()` signs new tokens with a new key while the old one stays published;
`retire_key(kid)` stops publishing a key. Misbehaviour for refusal tests: `issue_tokens_with(...)`
changes the next tokens' issuer, client id, lifetime, signing key, groups or scope claim.
Faults: `fail_discovery(status)`, `fail_token_endpoint(status)`, `decline_sign_in()`; `behave()`
ends them all. `groups=` puts Cognito groups in every token; `client_secret=` makes the app client
confidential (token requests then need HTTP Basic with the secret, as Cognito's do).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from fakes.loopback import LoopbackServer, ServedFake

POOL_ID = "us-east-1_FakePool1"
CLIENT_ID = "fakeclient0123456789abcdef"
TEST_PERSON = {"sub": "5f1c2a9e-0d3b-4c71-9a6e-1b2c3d4e5f60", "email": "ada@example.com"}
#: What the test person types on the sign-in page (the user name is their email, as in the pool).
TEST_USERNAME = TEST_PERSON["email"]
TEST_PASSWORD = "Correct-Horse-Battery-9"  # noqa: S105 - a fake provider's fixed test credential
ALLOWED_SCOPES = ("openid", "email", "profile")


def _new_key() -> RSAKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return RSAKey.import_key(private, {"kid": uuid.uuid4().hex, "use": "sig", "alg": "RS256"})


@dataclass
class _Misbehaviour:
    issuer: str | None = None
    client_id: str | None = None
    lifetime_seconds: int = 3600
    unpublished_key: bool = False
    # Fault injection (server/oauth.py's failure paths): groups in the tokens' `cognito:groups`
    # claim (None: the provider's default), the access token's `scope` claim, and the provider
    # failing or the person declining.
    groups: list[str] | None = None
    scope: str | None = None
    discovery_status: int | None = None
    token_status: int | None = None
    decline: bool = False


@dataclass
class _Code:
    redirect_uri: str
    scope: str
    challenge: str | None
    nonce: str | None


@dataclass
class FakeCognito(ServedFake):
    """Serve with `with FakeCognito(callback_urls=[...]) as idp: idp.discovery_url ...`."""

    callback_urls: list[str] = field(default_factory=list)
    client_id: str = CLIENT_ID
    requests: Counter[str] = field(default_factory=Counter)
    #: Groups every token carries in `cognito:groups` unless `issue_tokens_with(groups=...)` says otherwise.
    groups: list[str] = field(default_factory=list)
    #: A confidential app client: token requests must authenticate with this secret (HTTP Basic).
    client_secret: str | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._keys = [_new_key()]
        self._published = {self._keys[0].kid}
        self._rogue_key = _new_key()
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, str] = {}
        self.misbehave = _Misbehaviour()
        pool = f"/{POOL_ID}"
        self.app = Starlette(
            routes=[
                Route(f"{pool}/.well-known/openid-configuration", self._discovery),
                Route(f"{pool}/.well-known/jwks.json", self._jwks),
                Route("/oauth2/authorize", self._authorize),
                Route("/login", self._login, methods=["GET", "POST"]),
                Route("/oauth2/token", self._token, methods=["POST"]),
            ]
        )
        self._serving = LoopbackServer(self.app, name="fake-cognito")

    # --- test controls -------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{POOL_ID}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def signing_kid(self) -> str:
        return str(self._keys[-1].kid)

    def rotate_key(self) -> str:
        """Sign from now on with a new key; the previous keys stay published. Returns the new kid."""
        with self._lock:
            key = _new_key()
            self._keys.append(key)
            self._published.add(str(key.kid))
            return str(key.kid)

    def retire_key(self, kid: str) -> None:
        """Stop publishing a key in the JWKS (tokens it signed can no longer be verified)."""
        with self._lock:
            self._published.discard(kid)

    def issue_tokens_with(self, **changes: Any) -> None:
        """Change the next tokens: issuer=, client_id=, lifetime_seconds=, unpublished_key=True."""
        self.misbehave = _Misbehaviour(**changes)

    def behave(self) -> None:
        self.misbehave = _Misbehaviour()

    # --- fault injection -----------------------------------------------------------------------
    def fail_discovery(self, status: int = 503) -> None:
        """Answer the discovery document with `status` until `behave()`."""
        self.misbehave.discovery_status = status

    def fail_token_endpoint(self, status: int = 503) -> None:
        """Answer every token request with `status` until `behave()`."""
        self.misbehave.token_status = status

    def decline_sign_in(self) -> None:
        """The person declines at the sign-in page: back to the callback with error=access_denied."""
        self.misbehave.decline = True

    # --- endpoints -----------------------------------------------------------------------------
    async def _discovery(self, request: Request) -> Response:
        self.requests["discovery"] += 1
        if self.misbehave.discovery_status is not None:
            return JSONResponse({"message": "unavailable"}, self.misbehave.discovery_status)
        base = self.base_url
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{base}/oauth2/authorize",
                "token_endpoint": f"{base}/oauth2/token",
                "userinfo_endpoint": f"{base}/oauth2/userInfo",
                "revocation_endpoint": f"{base}/oauth2/revoke",
                "end_session_endpoint": f"{base}/logout",
                "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
                "response_types_supported": ["code", "token"],
                "scopes_supported": ["openid", "email", "phone", "profile"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    async def _jwks(self, request: Request) -> Response:
        self.requests["jwks"] += 1
        with self._lock:
            keys = [key.as_dict(private=False) for key in self._keys if key.kid in self._published]
        return JSONResponse({"keys": keys})

    async def _authorize(self, request: Request) -> Response:
        self.requests["authorize"] += 1
        refused = self._refusal(request.query_params)
        if refused is not None:
            return refused
        # Cognito's hosted UI: the authorization endpoint hands the browser to the sign-in page.
        return RedirectResponse(f"/login?{request.url.query}", status_code=302)

    def _refusal(self, query: QueryParams) -> Response | None:
        """The error answer to an authorization request, or None when it may proceed to sign-in."""
        if query.get("client_id") != self.client_id:
            return JSONResponse({"error": "invalid_request", "error_description": "unknown client"}, 400)
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in self.callback_urls:
            # Cognito shows an error page and never redirects to an unregistered URI.
            return Response("redirect_mismatch", status_code=400)
        if query.get("response_type") != "code":
            return _redirect_error(redirect_uri, "unsupported_response_type", query.get("state"))
        scopes = query.get("scope", "openid").split()
        if not set(scopes) <= set(ALLOWED_SCOPES):
            return _redirect_error(redirect_uri, "invalid_scope", query.get("state"))
        challenge = query.get("code_challenge")
        if challenge is not None and query.get("code_challenge_method") != "S256":
            return _redirect_error(redirect_uri, "invalid_request", query.get("state"))
        return None

    # --- the hosted sign-in page ---------------------------------------------------------------
    async def _login(self, request: Request) -> Response:
        """The sign-in form (GET) and its submission (POST); the query is the authorization request."""
        query = request.query_params
        refused = self._refusal(query)  # the query travels through the browser: check it again
        if refused is not None:
            return refused
        if request.method == "GET":
            return _sign_in_page(str(request.url.query))
        form = await request.form()
        csrf = str(form.get("_csrf", ""))
        if not csrf or not _same(csrf, request.cookies.get(_CSRF_COOKIE, "")):
            return Response("Invalid or missing sign-in form token", status_code=403)
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        if not (_same(username, TEST_USERNAME) and _same(password, TEST_PASSWORD)):
            self.requests["sign_in_failed"] += 1
            return _sign_in_page(str(request.url.query), error="Incorrect username or password.")
        self.requests["sign_in"] += 1
        if self.misbehave.decline:  # the person signed in, then declined to share their account
            return _redirect_error(query["redirect_uri"], "access_denied", query.get("state"))
        code = secrets.token_urlsafe(24)
        scope = " ".join(query.get("scope", "openid").split())
        challenge, nonce = query.get("code_challenge"), query.get("nonce")
        self._codes[code] = _Code(query["redirect_uri"], scope, challenge, nonce)
        params = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return RedirectResponse(f"{query['redirect_uri']}?{urlencode(params)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        self.requests["token"] += 1
        if self.misbehave.token_status is not None:
            return JSONResponse({"message": "unavailable"}, self.misbehave.token_status)
        form = await request.form()
        if self.client_secret is not None:
            # Cognito: a client with a secret authenticates with HTTP Basic (client_secret_basic).
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, 400)
            self.requests["token_with_secret"] += 1
        elif form.get("client_id") != self.client_id:
            return JSONResponse({"error": "invalid_client"}, 400)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            code = self._codes.pop(str(form.get("code", "")), None)
            if code is None or form.get("redirect_uri") != code.redirect_uri:
                return JSONResponse({"error": "invalid_grant"}, 400)
            if code.challenge is not None:
                verifier = str(form.get("code_verifier", ""))
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                if digest.decode() != code.challenge:
                    return JSONResponse({"error": "invalid_grant"}, 400)
            refresh = secrets.token_urlsafe(48)
            self._refresh[refresh] = code.scope
            return JSONResponse({**self._tokens(code.scope, code.nonce), "refresh_token": refresh})
        if grant == "refresh_token":
            self.requests["refresh"] += 1
            scope = self._refresh.get(str(form.get("refresh_token", "")))
            if scope is None:
                return JSONResponse({"error": "invalid_grant"}, 400)
            return JSONResponse(self._tokens(scope, None))
        return JSONResponse({"error": "unsupported_grant_type"}, 400)

    def _tokens(self, scope: str, nonce: str | None) -> dict[str, Any]:
        now = int(time.time())
        bad = self.misbehave
        issuer = bad.issuer or self.issuer
        key = self._rogue_key if bad.unpublished_key else self._keys[-1]
        common = {
            "sub": TEST_PERSON["sub"],
            "iss": issuer,
            "iat": now,
            "auth_time": now,
            "exp": now + bad.lifetime_seconds,
            "jti": str(uuid.uuid4()),
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
        }
        groups = self.groups if bad.groups is None else bad.groups
        access = {
            **common,
            "client_id": bad.client_id or self.client_id,
            "token_use": "access",
            "scope": scope if bad.scope is None else bad.scope,
            "username": TEST_PERSON["sub"],
            "version": 2,
            **({"cognito:groups": groups} if groups else {}),
        }
        identity = {
            **common,
            "aud": self.client_id,
            "token_use": "id",
            "email": TEST_PERSON["email"],
            "email_verified": True,
            "cognito:username": TEST_PERSON["sub"],
            **({"nonce": nonce} if nonce else {}),
            **({"cognito:groups": groups} if groups else {}),
        }
        header = {"alg": "RS256", "kid": str(key.kid)}
        return {
            "access_token": jwt.encode(header, access, key),
            "id_token": jwt.encode(header, identity, key),
            "token_type": "Bearer",
            "expires_in": max(bad.lifetime_seconds, 1),
        }


#: The double-submit cookie of the sign-in form (Cognito's hosted UI uses the same name).
_CSRF_COOKIE = "XSRF-TOKEN"


def _same(typed: str, expected: str) -> bool:
    """Constant-time comparison of what was typed (any characters) with what is expected."""
    return secrets.compare_digest(typed.encode(), expected.encode())


def _sign_in_page(query: str, *, error: str | None = None) -> Response:
    """The sign-in form, posting back to /login with the authorization request's query."""
    csrf = secrets.token_urlsafe(24)
    action = html.escape(f"/login?{query}", quote=True)
    alert = f'<p role="alert" class="error">{html.escape(error)}</p>' if error else ""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><main>
<h1>Sign in with your email and password</h1>
{alert}
<form method="post" action="{action}">
<input type="hidden" name="_csrf" value="{csrf}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" name="signInSubmitButton">Sign in</button>
</form>
</main></body></html>"""
    response = HTMLResponse(page, headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})
    response.set_cookie(_CSRF_COOKIE, csrf, httponly=True, samesite="lax", path="/")
    return response


def _redirect_error(redirect_uri: str, error: str, state: str | None) -> Response:
    params = {"error": error, **({"state": state} if state else {})}
    return RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=302)
