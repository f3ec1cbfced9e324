"""Debian's Chromium, driven by Playwright, kept on this machine.

Playwright's own browser download cannot work offline, so the tests launch the `chromium` the
project's set-up installs (`apt-get install chromium`) through `executable_path`. Every request a
page tries to send anywhere but loopback is refused and recorded: the tests never reach the
internet, and a test can assert that a page asked for nothing from another site.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Route

#: A host name that is not loopback by name but resolves to it inside the test browser: a page
#: served from it is "another site" to the browser (own origin, own cookies, cross-site requests)
#: while everything stays on this machine.
HOSTILE_HOST = "attacker.test"
#: A browser-side client's own site (listed in its server's MCP_ALLOWED_ORIGINS), on loopback too.
APP_HOST = "app.test"

#: Quiet, offline Chromium: no background fetches (updates, sync, safe browsing lists), no QUIC
#: probing, no GPU process on a machine without one; HOSTILE_HOST and APP_HOST mapped to loopback.
LAUNCH_ARGS = [
    "--no-sandbox",  # the tests run as root in a container; Chromium's sandbox needs user namespaces
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
    f"--host-resolver-rules=MAP {HOSTILE_HOST} 127.0.0.1, MAP {APP_HOST} 127.0.0.1",
]

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", HOSTILE_HOST, APP_HOST})


def chromium_executable() -> str:
    """The installed Chromium, or a test failure that says how to install it (never a skip)."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "the browser tests need Debian's Chromium (`chromium` on PATH); install it with "
            "`bash scripts/setup.sh` (it runs `apt-get install chromium` where it is missing)",
            pytrace=False,
        )
    return path


def is_local(url: str) -> bool:
    """Whether a URL stays on this machine (loopback, or the loopback-mapped hostile host)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in _LOCAL_HOSTS


@dataclass
class OutsideRequests:
    """Requests a context's pages tried to send off the machine; each was refused before leaving."""

    urls: list[str] = field(default_factory=list)

    def guard(self, context: BrowserContext) -> None:
        """Refuse and record every request of `context` that would leave loopback."""
        context.route(lambda url: not is_local(url), self._refuse)

    def _refuse(self, route: Route) -> None:
        self.urls.append(route.request.url)
        route.abort("internetdisconnected")
