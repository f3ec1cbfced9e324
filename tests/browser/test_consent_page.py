"""The server's consent page (`/consent`, MCP_AUTH_MODE=oauth) in a real browser: what it shows,
where Deny leads, and how it holds against another site that frames it or posts its form.

The client is a registered MCP client whose redirect URI is the loopback client app's /callback.
The hostile site is the same app reached as http://attacker.test:<port> (mapped to loopback in
the test browser: another site to the browser, still on this machine), or another loopback origin.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from fakes.oidc import FakeCognito
from tests.browser.chromium import HOSTILE_HOST, OutsideRequests
from tests.browser.client_app import FRAMEABLE_TEXT, ClientApp, authorization_request, register_client
from tests.server.conftest import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CLIENT_NAME = "Weather Browser Test Client"
APPROVE = re.compile(r"^(Allow|Approve)\b")


@pytest.fixture(scope="module")
def client_id(oauth_server: ServerProcess, client_app: ClientApp) -> str:
    """One registration for the module (registrations are rate-limited per address)."""
    return register_client(oauth_server.base_url, client_app.redirect_uri, CLIENT_NAME)


def _authorize_url(server: ServerProcess, client_id: str, client_app: ClientApp) -> tuple[str, str]:
    request = authorization_request(
        f"{server.base_url}/authorize", client_id, client_app.redirect_uri, resource=server.mcp_url
    )
    return request.url, request.state


def _open_consent(page: Page, server: ServerProcess, client_id: str, client_app: ClientApp) -> str:
    """Open a new authorization request; returns its state once the consent page shows."""
    url, state = _authorize_url(server, client_id, client_app)
    page.goto(url)
    page.wait_for_url(f"{server.base_url}/consent?*")
    expect(page.get_by_role("button", name=APPROVE)).to_be_visible()
    return state


def test_the_consent_page_names_the_client_and_where_the_code_would_go(
    page: Page, oauth_server: ServerProcess, client_id: str, client_app: ClientApp
) -> None:
    _open_consent(page, oauth_server, client_id, client_app)
    expect(page.get_by_text(CLIENT_NAME).first).to_be_visible()
    expect(page.get_by_text(client_app.redirect_uri).first).to_be_visible()
    expect(page.get_by_role("button", name=APPROVE)).to_be_enabled()
    expect(page.get_by_role("button", name="Deny")).to_be_enabled()


def test_deny_sends_access_denied_back_to_the_client_and_no_sign_in_starts(
    page: Page, oauth_server: ServerProcess, idp: FakeCognito, client_id: str, client_app: ClientApp
) -> None:
    state = _open_consent(page, oauth_server, client_id, client_app)
    authorizations = idp.requests["authorize"]
    page.get_by_role("button", name="Deny").click()

    page.wait_for_url(f"{client_app.redirect_uri}?*")
    expect(page.get_by_role("heading", name="Callback received")).to_be_visible()
    query = parse_qs(urlsplit(page.url).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == [state]
    assert "code" not in query
    assert idp.requests["authorize"] == authorizations  # the person was never sent to sign in


def _refuses_framing(response: Response) -> bool:
    headers = response.headers
    policy = headers.get("content-security-policy", "")
    ancestors = re.search(r"frame-ancestors\s+([^;]*)", policy)
    return headers.get("x-frame-options", "").upper() == "DENY" or (
        ancestors is not None and ancestors.group(1).strip() == "'none'"
    )


def test_another_site_that_frames_the_consent_page_gets_nothing_rendered(
    page: Page, oauth_server: ServerProcess, client_id: str, client_app: ClientApp
) -> None:
    url, _state = _authorize_url(oauth_server, client_id, client_app)
    hostile = f"{client_app.origin(HOSTILE_HOST)}/frame?{urlencode({'src': url})}"
    with page.expect_response(lambda response: urlsplit(response.url).path == "/consent") as consent:
        page.goto(hostile)
    # The server did answer the framed request; the browser refused to show the answer.
    assert consent.value.status == 200
    assert _refuses_framing(consent.value)
    # Both frames finished loading; the control frame shows its page (frames render here at all).
    expect(page.locator("#control")).to_have_attribute("data-loaded", "yes")
    expect(page.locator("#target")).to_have_attribute("data-loaded", "yes")
    expect(page.frame_locator("#control").get_by_text(FRAMEABLE_TEXT)).to_be_visible()
    # The framed consent page did not: no client name, no button to trick the person into clicking.
    target = page.frame("target")
    assert target is not None
    assert urlsplit(target.url).path != "/consent"  # Chromium put its own error page in its place
    expect(page.frame_locator("#target").get_by_role("button", name=APPROVE)).to_have_count(0)
    expect(page.frame_locator("#target").get_by_text(CLIENT_NAME)).to_have_count(0)


@pytest.mark.parametrize(
    "hostile_host",
    [HOSTILE_HOST, "localhost", "127.0.0.1"],
    ids=["another-site", "localhost-origin", "same-host-other-port"],
)
def test_the_consent_form_posted_from_another_origin_is_refused(
    context: BrowserContext,
    page: Page,
    oauth_server: ServerProcess,
    idp: FakeCognito,
    client_id: str,
    client_app: ClientApp,
    hostile_host: str,
) -> None:
    """The worst case: the hostile page knows everything the form sends (the pending sign-in, the
    CSRF token) and the person's browser holds the consent cookies; only the origin gives it away."""
    _open_consent(page, oauth_server, client_id, client_app)
    form = page.locator("form").filter(has=page.get_by_role("button", name=APPROVE))
    fields: dict[str, str] = form.evaluate(
        "form => Object.fromEntries([...form.querySelectorAll('input[type=hidden]')]"
        ".map(input => [input.name, input.value]))"
    )
    approve = form.get_by_role("button", name=APPROVE)
    if approve.get_attribute("name"):
        fields[approve.get_attribute("name") or ""] = approve.get_attribute("value") or ""
    # (Not form.action: a control named "action" shadows that property.)
    target: str = form.evaluate("form => new URL(form.getAttribute('action') || '', document.baseURI).href")
    authorizations = idp.requests["authorize"]

    hostile = context.new_page()
    hostile.goto(f"{client_app.origin(hostile_host)}/forge?{urlencode({'target': target, **fields})}")
    with hostile.expect_response(
        lambda response: response.url == target and response.request.method == "POST"
    ) as posted:
        hostile.get_by_role("button", name="Claim your prize").click()
    assert posted.value.status in (400, 403)
    assert idp.requests["authorize"] == authorizations  # no sign-in was started on the person's behalf

    # The person's own consent page still works: Allow leads to the provider's sign-in.
    page.get_by_role("button", name=APPROVE).click()
    page.wait_for_url(f"{idp.base_url}/login?*")


def test_the_consent_page_loads_nothing_from_other_sites(
    page: Page,
    oauth_server: ServerProcess,
    client_id: str,
    client_app: ClientApp,
    outside_requests: OutsideRequests,
) -> None:
    """No request to a third party when someone signs in (it would tell that site who signs in
    where), nothing broken where the internet is out of reach, and a policy that says so."""
    with page.expect_response(lambda response: urlsplit(response.url).path == "/consent") as consent:
        _open_consent(page, oauth_server, client_id, client_app)
    page.wait_for_load_state("load")
    assert outside_requests.urls == []
    # Every image the page shows arrived (no broken logo).
    broken = page.eval_on_selector_all(
        "img", "images => images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert broken == []
    assert _allows_only_this_server(_content_security_policy(page, consent.value))


def _content_security_policy(page: Page, response: Response) -> str:
    header = response.headers.get("content-security-policy")
    if header:
        return header
    meta = page.locator('meta[http-equiv="Content-Security-Policy"]')
    return (meta.first.get_attribute("content") or "") if meta.count() else ""


#: Sources that name this server only (or nothing at all, or inline content of the page itself).
_OWN_SOURCES = {"'self'", "'none'", "'unsafe-inline'", "data:"}
_FETCH_DIRECTIVES = ("default-src", "img-src", "style-src", "script-src", "font-src", "connect-src")


def _allows_only_this_server(policy: str) -> bool:
    directives = {
        parts[0].lower(): parts[1:]
        for parts in (directive.split() for directive in policy.split(";"))
        if parts
    }
    if "default-src" not in directives:
        return False  # without a default, anything not listed may come from anywhere
    return all(
        source in _OWN_SOURCES or source.startswith(("'nonce-", "'sha"))
        for name in _FETCH_DIRECTIVES
        for source in directives.get(name, [])
    )
