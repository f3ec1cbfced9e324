"""The fake OpenID provider's sign-in page (fakes/oidc.py), as a person meets it in the browser:
a form like Cognito's hosted page, which sends the browser back to the client with a code only
for the right user name and password."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from fakes.oidc import CLIENT_ID, TEST_PASSWORD, TEST_USERNAME, FakeCognito
from tests.browser.client_app import ClientApp, authorization_request

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def provider(client_app: ClientApp) -> Iterator[FakeCognito]:
    """A provider whose app client calls back to the loopback client app itself."""
    with FakeCognito(callback_urls=[client_app.redirect_uri]) as fake:
        yield fake


def _open_sign_in(page: Page, provider: FakeCognito, client_app: ClientApp) -> tuple[str, str]:
    request = authorization_request(
        f"{provider.base_url}/oauth2/authorize", CLIENT_ID, client_app.redirect_uri, scope="openid email"
    )
    page.goto(request.url)
    page.wait_for_url(f"{provider.base_url}/login?*")
    expect(page.get_by_label("Username")).to_be_editable()
    expect(page.get_by_label("Password")).to_have_attribute("type", "password")
    return request.state, request.verifier


def test_the_right_password_sends_the_browser_back_to_the_client_with_a_code(
    page: Page, provider: FakeCognito, client_app: ClientApp
) -> None:
    state, verifier = _open_sign_in(page, provider, client_app)
    page.get_by_label("Username").fill(TEST_USERNAME)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{client_app.redirect_uri}?*")
    expect(page.get_by_role("heading", name="Callback received")).to_be_visible()
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == [state]
    # A real code: the client exchanges it for the person's tokens.
    tokens = httpx.post(
        f"{provider.base_url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": client_app.redirect_uri,
            "client_id": CLIENT_ID,
            "code_verifier": verifier,
        },
        timeout=30,
    )
    assert tokens.status_code == 200
    assert {"access_token", "id_token", "refresh_token"} <= tokens.json().keys()


def test_a_wrong_password_shows_an_error_and_sends_nothing_to_the_client(
    page: Page, provider: FakeCognito, client_app: ClientApp
) -> None:
    state, _verifier = _open_sign_in(page, provider, client_app)
    failures = provider.requests["sign_in_failed"]
    page.get_by_label("Username").fill(TEST_USERNAME)
    page.get_by_label("Password").fill(TEST_PASSWORD + "x")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("Incorrect username or password.")
    assert urlsplit(page.url).path == "/login"
    assert provider.requests["sign_in_failed"] == failures + 1
    assert all(callback.get("state") != state for callback in client_app.callbacks)
    # The form is there again, empty, and the right password still works.
    expect(page.get_by_label("Password")).to_have_value("")
    page.get_by_label("Username").fill(TEST_USERNAME)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{client_app.redirect_uri}?*")
    assert parse_qs(urlsplit(page.url).query)["state"] == [state]
