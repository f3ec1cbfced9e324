"""What the OAuth test modules share: moto's DynamoDB with the server's table, and a hostile client's steps.

`dynamodb_on_moto` starts `tests/server/moto_dynamodb.py` (moto with DynamoDB's per-item write
atomicity restored: see that file) and creates the table the stack creates. The step helpers speak
plain HTTP the way any client can, with no SDK in between, so the tests can send what a hostile
client sends: appended queries, someone else's client id, a code twice at once.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import httpx

from tests.server.conftest import REPO_ROOT, free_port
from tests.server.oauth_client import REDIRECT_URI, SignIn

TABLE = "mcp-weather-oauth-state"
REGION = "us-east-1"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": REGION}


@dataclass
class MotoDynamo:
    """moto's server with the OAuth table; `stop()` takes it away (an outage)."""

    url: str
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def items(self, collection: str) -> list[dict[str, Any]]:
        """Every item of one of the server's collections."""
        items = self.client().scan(TableName=TABLE)["Items"]
        return [item for item in items if item["collection"]["S"] == collection]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a loaded machine: seen taking over 10 s to exit
                self.process.kill()
                self.process.wait(timeout=30)


@contextmanager
def dynamodb_on_moto(log_dir: Path) -> Iterator[MotoDynamo]:
    """moto on loopback with the table the stack creates (same keys and TTL attribute)."""
    port = free_port()
    log = (log_dir / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "tests/server/moto_dynamodb.py"), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    moto = MotoDynamo(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{moto.url}/moto-api/", timeout=1)
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto did not start:\n{(log_dir / 'moto.log').read_text()}") from None
            time.sleep(0.2)
    dynamodb = moto.client()
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "collection", "KeyType": "HASH"},
            {"AttributeName": "key", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "collection", "AttributeType": "S"},
            {"AttributeName": "key", "AttributeType": "S"},
        ],
    )
    dynamodb.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    try:
        yield moto
    finally:
        moto.stop()
        log.close()


# --- a client's steps, in plain HTTP --------------------------------------------------------------
def pkce() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def register(
    base_url: str, redirect_uris: list[str], *, headers: dict[str, str] | None = None
) -> httpx.Response:
    """POST /register for a public client with these redirect URIs."""
    return httpx.post(
        base_url + "/register",
        json={
            "redirect_uris": redirect_uris,
            "client_name": "hostile tests",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        },
        headers=headers or {},
        timeout=30,
    )


def authorize_url(base_url: str, client_id: str, redirect_uri: str, challenge: str, state: str = "s1") -> str:
    """The /authorize URL a client would open in the person's browser."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
    }
    return f"{base_url}/authorize?{urlencode(query)}"


@dataclass
class Authorization:
    """What one sign-in gave: the client, the browser that walked it, and the PKCE verifier."""

    client_id: str
    redirect_uri: str
    verifier: str
    browser: SignIn

    @property
    def code(self) -> str:
        if self.browser.result is None:
            raise AssertionError(f"no code reached the client (stopped at {self.browser.final_status})")
        return self.browser.result.code


async def sign_in(
    base_url: str,
    *,
    redirect_uri: str = REDIRECT_URI,
    registered: list[str] | None = None,
    approve: bool = True,
    state: str = "s1",
) -> Authorization:
    """Register, then walk a browser from /authorize to the client's redirect URI (or an error page)."""
    response = register(base_url, registered or [redirect_uri])
    assert response.status_code == 201, response.text
    client_id = response.json()["client_id"]
    verifier, challenge = pkce()
    browser = SignIn(redirect_uri=redirect_uri, approve=approve)
    await browser.open(authorize_url(base_url, client_id, redirect_uri, challenge, state))
    return Authorization(client_id, redirect_uri, verifier, browser)


def redeem(base_url: str, authorization: Authorization) -> httpx.Response:
    """POST /token with the authorization's code."""
    return httpx.post(base_url + "/token", data=code_exchange(authorization), timeout=30)


def code_exchange(authorization: Authorization) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": authorization.code,
        "redirect_uri": authorization.redirect_uri,
        "client_id": authorization.client_id,
        "code_verifier": authorization.verifier,
    }


def refresh(base_url: str, client_id: str, refresh_token: str) -> httpx.Response:
    """POST /token with a refresh token."""
    return httpx.post(
        base_url + "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id},
        timeout=30,
    )


def landed_query(browser: SignIn) -> dict[str, str]:
    """The query the browser brought to the client's redirect URI."""
    assert browser.landed is not None, (
        f"the browser never reached the client (stopped at {browser.final_status})"
    )
    return {name: values[0] for name, values in parse_qs(urlsplit(browser.landed).query).items()}
