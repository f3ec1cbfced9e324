"""Fixtures of the browser tests: one Chromium per test module, a fresh context (cookies, storage)
per test, real `python -m server` processes against the fake NWS, the fake OpenID provider, the MCP
Inspector's web UI and a loopback client app.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from fakes.nws import FakeNws
from fakes.oidc import CLIENT_ID, FakeCognito
from server.contract import EnvVar
from tests.browser.chromium import LAUNCH_ARGS, OutsideRequests, chromium_executable
from tests.browser.client_app import ClientApp
from tests.browser.inspector import InspectorProcess, start_inspector
from tests.server.conftest import MCP_HEADERS, TEST_TOKEN, ServerProcess, free_port, jsonrpc, start_server

#: Upper bounds of single waits (page conditions, navigations): a loaded CI machine is slow, a
#: broken flow never gets there. They are deadlines, not performance assertions.
EXPECT_TIMEOUT_MS = 20_000
ACTION_TIMEOUT_MS = 30_000

SIGNING_KEY = "browser-test-signing-key-" + "b" * 40

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, checked once per session (a failure naming the set-up if it is missing)."""
    return chromium_executable()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """Chromium, headless, offline; one per test module.

    Not one per session: Playwright's sync API marks its event loop as running in this thread for as
    long as it is started, so every asyncio test after it in the same process (tests/server, which
    shares xdist workers with these files) would fail with "another loop is running". A module
    fixture ends with the module; a launch costs about half a second.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def outside_requests() -> OutsideRequests:
    """What this test's pages tried to fetch from anywhere but loopback (all refused)."""
    return OutsideRequests()


@pytest.fixture
def context(browser: Browser, outside_requests: OutsideRequests) -> Iterator[BrowserContext]:
    """A fresh browser profile for one test: no cookies or storage from any other test."""
    context = browser.new_context()
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
    outside_requests.guard(context)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    # Kept for a failure's report: what the page logged, and what it asked of its own origin's API.
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"[:500]))
    page.on(
        "requestfinished",
        lambda req: console.append(f"request: {req.method} {req.url[:200]}") if "/api/" in req.url else None,
    )
    yield page
    report = request.node.stash.get(_CALL_REPORT, None)
    if report is not None and report.failed and not page.is_closed():
        # What the person would have been looking at when the test gave up.
        print(f"\npage at failure: {page.url}\n{page.locator('body').inner_text(timeout=2_000)[:3000]}")
        print("page's console and API requests:\n" + "\n".join(console[-80:]))


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


# --- the MCP server in each authorization mode ----------------------------------------------------
@pytest.fixture(scope="session")
def open_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    """`python -m server` without authorization (MCP_AUTH_MODE=none)."""
    server = start_server(
        tmp_path_factory.mktemp("open"), fake_nws_server.base_url, **{EnvVar.AUTH_MODE: "none"}
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    """`python -m server` with the shared bearer token (MCP_AUTH_MODE=token)."""
    server = start_server(
        tmp_path_factory.mktemp("token"),
        fake_nws_server.base_url,
        **{EnvVar.AUTH_MODE: "token", EnvVar.AUTH_TOKEN: TEST_TOKEN},
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oauth_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def idp(oauth_port: int) -> Iterator[FakeCognito]:
    """The fake Cognito user pool, whose app client's callback is the OAuth server's."""
    with FakeCognito(callback_urls=[f"http://127.0.0.1:{oauth_port}/auth/callback"]) as fake:
        yield fake


@pytest.fixture(scope="session")
def oauth_server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws, idp: FakeCognito, oauth_port: int
) -> Iterator[ServerProcess]:
    """`python -m server` in MCP_AUTH_MODE=oauth, signing people in at the fake provider."""
    server = start_oauth_server(tmp_path_factory.mktemp("oauth"), fake_nws_server, idp, oauth_port)
    yield server
    server.stop()


def start_oauth_server(workdir: Path, nws: FakeNws, idp: FakeCognito, port: int, **env: str) -> ServerProcess:
    """`python -m server` in oauth mode on `port` (the provider's callback), with `env` on top."""
    return start_server(
        workdir,
        nws.base_url,
        port=port,
        startup_timeout=90,
        **{
            EnvVar.AUTH_MODE: "oauth",
            EnvVar.PUBLIC_URL: f"http://127.0.0.1:{port}",
            EnvVar.OIDC_CONFIG_URL: idp.discovery_url,
            EnvVar.OIDC_CLIENT_ID: CLIENT_ID,
            EnvVar.OAUTH_JWT_SIGNING_KEY: SIGNING_KEY,
            **env,
        },
    )


def tool_names(server: ServerProcess, headers: dict[str, str] | None = None) -> list[str]:
    """What the server itself lists (what the Inspector must show), over plain HTTP."""
    response = httpx.post(
        server.mcp_url, headers={**MCP_HEADERS, **(headers or {})}, json=jsonrpc("tools/list"), timeout=30
    )
    response.raise_for_status()
    return [tool["name"] for tool in response.json()["result"]["tools"]]


# --- clients --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InspectorProcess]:
    """The Inspector's web UI and backend with an empty catalog; tests add servers of their own ids."""
    inspector = start_inspector(tmp_path_factory.mktemp("inspector"))
    yield inspector
    inspector.stop()


@pytest.fixture(scope="session")
def client_app() -> Iterator[ClientApp]:
    with ClientApp() as app:
        yield app
