"""What a person's browser gets from the sign-in pages: their security headers and this server's own pages.

The consent page (FastMCP's) and every page at /authorize and the sign-in callback are served with
a Content-Security-Policy that allows nothing from anywhere but inline styles and `data:` images,
and that no site may frame them (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older
browsers). The consent page shows this server's icon from a `data:` URI (`server.branding`), so
showing it makes no request to anyone; FastMCP's own logo is a third-party image, which the policy
blocks in the browser before any request leaves it.

The pages for a person who cannot go on, with the status that says why: 403 outside the allowed
groups, 503 while the identity provider or the sign-in store is unavailable. FastMCP's own error
pages at the sign-in callback get this server's icon in place of FastMCP's third-party logo
(`with_own_icon`), so they too show everything they show from this server.
"""

from __future__ import annotations

import html
import json
from typing import Final

from fastmcp.utilities.ui import FASTMCP_LOGO_URL
from starlette.responses import HTMLResponse, JSONResponse, Response

from server.branding import ICON_DATA_URI
from server.oauth_faults import Fault

#: The consent page's own <meta> policy (FastMCP renders it): no sources but inline styles and
#: data: images. `form-action` is left out on purpose: Chrome applies it to the redirects after the
#: form (to the identity provider, or back to the client), which are other origins.
CONSENT_META_CSP: Final = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'"
#: The HTTP header policy of every sign-in page: the same, plus no framing (a <meta> policy cannot
#: say that).
PAGE_CSP: Final = f"{CONSENT_META_CSP}; frame-ancestors 'none'"
#: Headers of every sign-in page (consent, authorization, callback), this module's pages included.
PAGE_SECURITY_HEADERS: Final = {
    "content-security-policy": PAGE_CSP,
    "x-frame-options": "DENY",
    # same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with the
    # consent form's own POST, which the Origin guard must refuse. Other sites still get no Referer.
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}
#: Seconds a client or person is asked to wait when a dependency is unavailable.
RETRY_AFTER_SECONDS: Final = 30

_STYLE = (
    "body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#1f2937;margin:0}"
    "main{max-width:32rem;margin:10vh auto;background:#fff;border-radius:12px;padding:2rem;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}h1{font-size:1.3rem;margin-top:0}p{line-height:1.5}"
)

#: What each fault tells a person (title, sentence) and a client (status, OAuth error code).
_FAULTS: Final[dict[Fault, tuple[int, str, str, str]]] = {
    Fault.NOT_IN_ALLOWED_GROUP: (
        403,
        "access_denied",
        "No access to this server",
        "You signed in, but your account is not in a group that may use this MCP server. Ask its"
        " administrator to add you, then connect your client again.",
    ),
    Fault.PROVIDER_UNAVAILABLE: (
        503,
        "temporarily_unavailable",
        "Sign-in is unavailable for a moment",
        "The identity provider did not answer this server. Nothing was changed: try again in a minute.",
    ),
    Fault.PROVIDER_REFUSED: (
        502,
        "server_error",
        "Sign-in is misconfigured",
        "The identity provider refused this server's own credentials, so no one can sign in. Please"
        " tell the server's administrator (the server log names the setting to check).",
    ),
    Fault.STORE_UNAVAILABLE: (
        503,
        "temporarily_unavailable",
        "Sign-in is unavailable for a moment",
        "This server could not reach its sign-in records. Nothing was changed: try again in a minute.",
    ),
}


def page(status: int, title: str, message: str) -> HTMLResponse:
    """A self-contained HTML page (nothing loaded from anywhere) with the sign-in page headers."""
    title, message = html.escape(title, quote=False), html.escape(message, quote=False)
    body = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{title}</h1><p>{message}</p></main></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=PAGE_SECURITY_HEADERS)


def with_own_icon(response: Response) -> Response:
    """`response` with FastMCP's third-party logo replaced by this server's inline icon, if it has one."""
    body = getattr(response, "body", b"")
    logo = FASTMCP_LOGO_URL.encode()
    if not isinstance(response, HTMLResponse) or logo not in body:
        return response
    replaced = HTMLResponse(body.replace(logo, ICON_DATA_URI.encode()), status_code=response.status_code)
    # The original headers (cookies included), with the new length.
    kept = [(name, value) for name, value in response.raw_headers if name != b"content-length"]
    replaced.raw_headers = [*kept, (b"content-length", str(len(replaced.body)).encode())]
    return replaced


def fault_answer(fault: Fault, *, browser: bool) -> Response:
    """The answer to a request that `fault` stopped: a page for a browser, OAuth JSON for a client."""
    status, error, title, message = _FAULTS[fault]
    retry = {"retry-after": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    if browser:
        response = page(status, title, message)
        response.headers.update(retry)
        return response
    return JSONResponse(
        {"error": error, "error_description": message},
        status_code=status,
        headers={"cache-control": "no-store", **retry},
    )


def json_error(status: int, error: str, description: str, **headers: str) -> Response:
    """An OAuth-style JSON error (`error`, `error_description`), never cached."""
    return Response(
        json.dumps({"error": error, "error_description": description}),
        status_code=status,
        media_type="application/json",
        headers={"cache-control": "no-store", **headers},
    )
