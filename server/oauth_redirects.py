"""Which redirect URIs an MCP client may register, and which it may then use.

Two rules, each enforced where it applies:

- Registration: the server's allow-list (MCP_OAUTH_REDIRECT_URIS) limits what may be registered. An
  entry without `*` admits exactly that URI: scheme, host, port, path and query. `*` stands for a
  port or a path part (`http://127.0.0.1:*` = loopback, any port, any path); never for the host.
  URIs with a fragment or user info are never admitted (RFC 6749 §3.1.2).
- Authorization: the redirect URI must be one the client registered (or listed in its Client ID
  Metadata Document), exactly; a loopback URI (127.0.0.1, [::1], localhost) may differ in its port
  only (RFC 8252 §7.3: native clients pick a free port at run time). The registered URI it matches
  must still be on the allow-list, which may have shrunk since the client registered.

FastMCP's own checks compare only scheme, host, port and path against the allow-list, and once an
allow-list is set they stop comparing with what the client registered; `ExactRedirectClient` replaces
them at the seam the MCP SDK calls (`validate_redirect_uri` on the client object).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastmcp.server.auth.oauth_proxy.models import ProxyDCRClient
from fastmcp.server.auth.redirect_validation import is_loopback_host, matches_allowed_pattern
from mcp.shared.auth import InvalidRedirectUriError
from pydantic import AnyUrl, ValidationError


def _canonical(uri: str) -> str | None:
    """The URI as browsers and the SDK read it (host lower-cased, default port dropped, `/` path)."""
    try:
        return str(AnyUrl(uri))
    except ValidationError:
        return None


def _plain(uri: str) -> bool:
    """An http(s) URI without fragment or user info."""
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and not parts.fragment and "@" not in parts.netloc


@dataclass(frozen=True)
class RedirectAllowList:
    """The server's allow-list of redirect URI patterns (MCP_OAUTH_REDIRECT_URIS)."""

    patterns: tuple[str, ...]

    def allows(self, uri: str) -> bool:
        """Whether a client may register `uri`."""
        canonical = _canonical(uri)
        if canonical is None or not _plain(canonical):
            return False
        return any(self._allowed_by(uri, canonical, pattern) for pattern in self.patterns)

    @staticmethod
    def _allowed_by(uri: str, canonical: str, pattern: str) -> bool:
        # FastMCP's matcher does the careful part (scheme, host, wildcard port and path, userinfo and
        # backslash tricks, dot segments); an entry without a wildcard must also match exactly.
        if not matches_allowed_pattern(uri, pattern):
            return False
        return "*" in pattern or canonical == _canonical(pattern)


def matches_registered(requested: str, registered: str) -> bool:
    """Whether `requested` is the registered URI, allowing only a loopback port to differ."""
    asked, known = _canonical(requested), _canonical(registered)
    if asked is None or known is None or not _plain(asked):
        return False
    a, b = urlsplit(asked), urlsplit(known)
    if (a.scheme, a.hostname, a.path, a.query) != (b.scheme, b.hostname, b.path, b.query):
        return False
    if a.scheme == "http" and is_loopback_host(b.hostname):
        return True  # RFC 8252 §7.3: any port on the loopback interface
    return a.port == b.port


def first_registered_match(requested: str, registered: Iterable[str]) -> str | None:
    """The registered URI that `requested` matches, if any."""
    return next((uri for uri in registered if matches_registered(requested, uri)), None)


class ExactRedirectClient(ProxyDCRClient):
    """A registered or CIMD client whose redirect URI is checked by the rules of this module."""

    @classmethod
    def of(cls, client: ProxyDCRClient) -> ExactRedirectClient:
        """The same client, checked by these rules."""
        return cls.model_validate(client.model_dump())

    def _registered(self) -> Sequence[str]:
        if self.cimd_document is not None:
            return list(self.cimd_document.redirect_uris)
        return [str(uri) for uri in self.redirect_uris or ()]

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        """The redirect URI for this request, or InvalidRedirectUriError (answered 400, no redirect)."""
        registered = self._registered()
        if redirect_uri is None:
            if len(registered) != 1:
                raise InvalidRedirectUriError("redirect_uri is required: this client registered several")
            requested = registered[0]
        else:
            requested = str(redirect_uri)
        match = first_registered_match(requested, registered)
        if match is None:
            raise InvalidRedirectUriError(f"Redirect URI '{requested}' is not one this client registered.")
        if not RedirectAllowList(tuple(self.allowed_redirect_uri_patterns or ())).allows(match):
            raise InvalidRedirectUriError(f"Redirect URI '{match}' is no longer allowed by this server.")
        resolved = AnyUrl(requested)
        self._enforce_application_type(resolved)
        return resolved
