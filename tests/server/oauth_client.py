"""The official MCP SDK's OAuth client, driven the way a person's browser would drive it.

`SignIn` is the browser: it opens the authorization URL the SDK hands it, follows redirects with a
cookie jar (the consent form and the provider's sign-in form use double-submit CSRF cookies),
approves the consent screen, types the test person's user name and password into the identity
provider's sign-in form, and stops at the client's own redirect URI, whose `code` and `state` it
gives back to the SDK, as a loopback callback server would. (tests/browser/ does the same in a real
browser.)
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from fakes.oidc import TEST_PASSWORD, TEST_USERNAME

#: A loopback redirect URI, as Claude Code, the MCP Inspector or mcp-remote register.
REDIRECT_URI = "http://127.0.0.1:33418/callback"


class MemoryTokens:
    """The SDK's TokenStorage in memory (what a client keeps between runs)."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def _form_action(html: str) -> str:
    found = re.search(r'<form[^>]*action="([^"]*)"', html)
    return unescape(found.group(1)) if found else ""


def _form_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[unescape(name.group(1))] = unescape(value.group(1)) if value else ""
    return fields


@dataclass
class SignIn:
    """The person's browser. `hops` lists every URL it requested (for the flow figures)."""

    redirect_uri: str = REDIRECT_URI
    approve: bool = True
    username: str = TEST_USERNAME
    password: str = TEST_PASSWORD
    hops: list[str] = field(default_factory=list)
    result: AuthorizationCodeResult | None = None
    final_status: int | None = None
    #: Where the browser was sent at the client's redirect URI (query included: code or error).
    landed: str | None = None
    #: The last page the browser stopped at, when it never reached the redirect URI.
    final_response: httpx2.Response | None = None

    async def open(self, url: str) -> None:
        """redirect_handler: browse from the authorization URL to the client's redirect URI."""
        async with httpx2.AsyncClient(timeout=30, follow_redirects=False) as browser:
            response = await self._get(browser, url)
            signed_in = False
            for _ in range(12):
                if response.status_code in (301, 302, 303, 307, 308):
                    target = urljoin(str(response.url), response.headers["location"])
                    if target.startswith(self.redirect_uri):
                        self.landed = target
                        query = parse_qs(urlsplit(target).query)
                        if "code" in query:
                            self.result = AuthorizationCodeResult(
                                code=query["code"][0],
                                state=query.get("state", [None])[0],
                                iss=query.get("iss", [None])[0],
                            )
                        return
                    response = await self._get(browser, target)
                    continue
                self.final_status = response.status_code
                self.final_response = response
                if response.status_code == 200 and 'name="csrf_token"' in response.text:
                    fields = _form_fields(response.text)
                    fields["action"] = "approve" if self.approve else "deny"
                    self.hops.append(f"POST {response.url}")
                    response = await browser.post(str(response.url).split("?")[0], data=fields)
                    continue
                if response.status_code == 200 and 'name="password"' in response.text and not signed_in:
                    # The provider's sign-in form, submitted once: a refused password ends the flow.
                    signed_in = True
                    fields = {
                        **_form_fields(response.text),
                        "username": self.username,
                        "password": self.password,
                    }
                    target = urljoin(str(response.url), _form_action(response.text))
                    self.hops.append(f"POST {target}")
                    response = await browser.post(target, data=fields)
                    continue
                return

    async def _get(self, browser: httpx2.AsyncClient, url: str) -> httpx2.Response:
        self.hops.append(f"GET {url}")
        return await browser.get(url)

    async def callback(self) -> AuthorizationCodeResult:
        """callback_handler: what arrived at the client's redirect URI."""
        if self.result is None:
            raise RuntimeError(f"no authorization code reached the client (last status {self.final_status})")
        return self.result


@dataclass
class CountingTransport:
    """Counts the MCP client's own HTTP requests (discovery, registration, token, MCP)."""

    requests: list[str] = field(default_factory=list)

    async def hook(self, request: httpx2.Request) -> None:
        self.requests.append(f"{request.method} {request.url.path}")


@dataclass
class FlowFigures:
    client_requests: int
    browser_requests: int
    seconds_to_first_tool_call: float


def client_metadata(redirect_uri: str = REDIRECT_URI, scope: str | None = None) -> OAuthClientMetadata:
    return OAuthClientMetadata(
        client_name="weather tests",
        redirect_uris=[redirect_uri],  # type: ignore[list-item]
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
        scope=scope,
    )


@asynccontextmanager
async def oauth_session(
    mcp_url: str,
    browser: SignIn,
    storage: MemoryTokens | None = None,
    *,
    client_metadata_url: str | None = None,
    counter: CountingTransport | None = None,
) -> AsyncIterator[ClientSession]:
    """An initialized SDK session that signs in through OAuth when the server asks for it."""
    auth = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=client_metadata(browser.redirect_uri),
        storage=storage or MemoryTokens(),
        redirect_handler=browser.open,
        callback_handler=browser.callback,
        client_metadata_url=client_metadata_url,
    )
    hooks: dict[str, Any] = {"request": [counter.hook]} if counter else {}
    async with (
        httpx2.AsyncClient(auth=auth, timeout=30, event_hooks=hooks) as http,
        streamable_http_client(mcp_url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def first_tool_call(mcp_url: str, **call: Any) -> tuple[Any, FlowFigures, MemoryTokens]:
    """Sign in from nothing and call one tool; returns the result and the measured flow."""
    browser, counter, storage = SignIn(), CountingTransport(), MemoryTokens()
    started = time.perf_counter()
    async with oauth_session(mcp_url, browser, storage, counter=counter) as session:
        result = await session.call_tool(call.pop("name"), call)
    elapsed = time.perf_counter() - started
    return result, FlowFigures(len(counter.requests), len(browser.hops), elapsed), storage
