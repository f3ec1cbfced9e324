"""An OAuth client's web side and a hostile site's pages, one real HTTP server on loopback.

Reached as `http://127.0.0.1:<port>` it is the client: its `/callback` is the redirect URI the
client registers, and shows what arrived. Reached as `http://attacker.test:<port>` (mapped to
loopback in the test browser) or from another loopback origin, its other pages are what a hostile
site would serve: one frames a page, one posts a form to another site.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from fakes.loopback import LoopbackServer

#: What the frame test's control frame shows: a frame that is allowed to render does.
FRAMEABLE_TEXT = "An ordinary page that may be framed"


@dataclass
class ClientApp:
    """Serve with `with ClientApp() as app: app.redirect_uri ...`."""

    callbacks: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/callback", self._callback),
                Route("/frame", self._frame),
                Route("/frameable", self._frameable),
                Route("/forge", self._forge),
            ]
        )
        self._serving = LoopbackServer(self.app, name="client-app")

    @property
    def port(self) -> int:
        return int(self._serving.base_url.rsplit(":", 1)[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    def origin(self, host: str) -> str:
        """This server under another host name (another origin to the browser)."""
        return f"http://{host}:{self.port}"

    async def _callback(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.callbacks.append(params)
        rows = "".join(f"<li>{html.escape(k)}={html.escape(v)}</li>" for k, v in params.items())
        return HTMLResponse(
            f"<!doctype html><title>Callback</title><h1>Callback received</h1><ul>{rows}</ul>"
        )

    async def _frame(self, request: Request) -> Response:
        """Frames `src` and a frameable page; each frame marks itself loaded (data-loaded) when the
        browser has finished with it, whatever it then shows."""
        src = html.escape(request.query_params["src"], quote=True)
        loaded = "this.dataset.loaded = 'yes'"
        return HTMLResponse(
            "<!doctype html><title>Framing</title>"
            f'<iframe id="target" name="target" src="{src}" onload="{loaded}" width="800" height="600">'
            "</iframe>"
            f'<iframe id="control" name="control" src="/frameable" onload="{loaded}"></iframe>'
        )

    async def _frameable(self, request: Request) -> Response:
        return HTMLResponse(f"<!doctype html><title>Frameable</title><p>{FRAMEABLE_TEXT}</p>")

    async def _forge(self, request: Request) -> Response:
        """A form that posts the given fields to `target` when the visitor clicks its button."""
        query = request.query_params
        target = html.escape(query["target"], quote=True)
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k, quote=True)}" value="{html.escape(v, quote=True)}">'
            for k, v in query.items()
            if k != "target"
        )
        return HTMLResponse(
            "<!doctype html><title>Win a prize</title>"
            f'<form method="post" action="{target}">{inputs}'
            '<button type="submit">Claim your prize</button></form>'
        )

    def start(self) -> ClientApp:
        self._serving.start()
        return self

    def stop(self) -> None:
        self._serving.stop()

    def __enter__(self) -> ClientApp:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def register_client(server_url: str, redirect_uri: str, client_name: str) -> str:
    """Dynamic client registration, as an MCP client does it; returns the client id."""
    registration = httpx.post(
        f"{server_url}/register",
        json={
            "client_name": client_name,
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        },
        timeout=30,
    )
    registration.raise_for_status()
    return str(registration.json()["client_id"])


@dataclass
class AuthorizationRequest:
    """One authorization request of a registered client (PKCE S256), for the browser to open."""

    url: str
    state: str
    verifier: str


def authorization_request(
    authorize_endpoint: str, client_id: str, redirect_uri: str, **extra: str
) -> AuthorizationRequest:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        **extra,
    }
    return AuthorizationRequest(f"{authorize_endpoint}?{urlencode(query)}", state, verifier)
