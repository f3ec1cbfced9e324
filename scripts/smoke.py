"""Smoke check for a deployed MCP weather server: health, auth, tool list, a forecast and an alerts call.

Run it after `cdktf deploy` with the `mcp_url` output::

    pipenv run smoke http://<alb-dns>/mcp                      # a server without a token
    MCP_AUTH_TOKEN=... pipenv run smoke http://<alb-dns>/mcp   # a server with a token
    pipenv run smoke https://<domain>/mcp                      # a server with OAuth sign-in

A server with OAuth sign-in (`auth_mode` `oauth`) is recognised by its 401 challenge: a script
cannot sign a person in, so it checks what a client does before that (the challenge, both metadata
documents, a registration accepted and one refused) and says what it did not check.

Prints one PASS/FAIL line per check and a final verdict. Exit codes: 0 every check passed,
1 a check failed, 2 bad arguments. The token is never printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import ssl
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp_types.version import LATEST_HANDSHAKE_VERSION

# `python scripts/smoke.py` puts scripts/ on sys.path, not the repository root; the paths and the
# token variable come from the project's contract module rather than being retyped here.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from server.contract import HEALTH_PATH, MCP_PATH, EnvVar

EXPECTED_TOOLS = (
    "find_location",
    "get_air_quality",
    "get_alerts",
    "get_alerts_for_point",
    "get_current_conditions",
    "get_forecast",
    "get_hourly_forecast",
)
DEFAULT_LATITUDE, DEFAULT_LONGITUDE = 38.8894, -77.0352  # the National Mall, Washington, DC
DEFAULT_STATE = "DC"
HTTP_TIMEOUT_SECONDS = 10.0  # one health poll or auth probe
CALL_TIMEOUT_SECONDS = 60.0  # one MCP request: a cold forecast may wait on NWS retries
MAX_POLL_INTERVAL_SECONDS = 10.0


class Report:
    """The checks planned for this run; prints each result as it is recorded."""

    def __init__(self, planned: list[str]) -> None:
        self.planned = planned
        self.results: dict[str, bool] = {}

    def record(self, name: str, ok: bool, detail: str) -> bool:
        self.results[name] = ok
        print(f"{'PASS' if ok else 'FAIL'}  {name:<13} {detail}", flush=True)
        return ok

    def next_check(self) -> str:
        """The first planned check without a result: the one an unexpected error interrupted."""
        return next(name for name in self.planned if name not in self.results)

    def verdict(self) -> int:
        failed = sum(not ok for ok in self.results.values())
        not_run = len(self.planned) - len(self.results)
        if failed == 0 and not_run == 0:
            print(f"RESULT: PASS, all {len(self.planned)} checks passed", flush=True)
            return 0
        skipped = f", {not_run} not run" if not_run else ""
        print(f"RESULT: FAIL, {failed} of {len(self.planned)} checks failed{skipped}", flush=True)
        return 1


def mcp_url_argument(value: str) -> str:
    """argparse type: an http(s) URL with a host; a bare host gets the MCP path."""
    parts = urlsplit(value)
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"{value!r} is not an http:// or https:// URL")
    if parts.path in ("", "/"):
        return f"{parts.scheme}://{parts.netloc}{MCP_PATH}"
    return value


def non_negative(value: str) -> float:
    seconds = float(value)
    if seconds < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return seconds


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="smoke",
        description="Check a deployed MCP weather server: /health, auth, tool list, two tool calls.",
        epilog="Exit codes: 0 every check passed, 1 a check failed, 2 bad arguments.",
    )
    parser.add_argument("mcp_url", type=mcp_url_argument, help="the deployment's mcp_url output")
    parser.add_argument(
        "--token",
        help=f"bearer token the server requires (default: ${EnvVar.AUTH_TOKEN}; the variable keeps it"
        " out of your shell history)",
    )
    parser.add_argument(
        "--wait",
        type=non_negative,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for /health to answer 200 (default 300: new tasks take minutes)",
    )
    parser.add_argument("--latitude", type=float, default=DEFAULT_LATITUDE, help="get_forecast latitude")
    parser.add_argument("--longitude", type=float, default=DEFAULT_LONGITUDE, help="get_forecast longitude")
    parser.add_argument("--state", default=DEFAULT_STATE, help="get_alerts state or area code")
    args = parser.parse_args(argv)
    # An empty token (e.g. `MCP_AUTH_TOKEN=`) means none.
    args.token = args.token or os.environ.get(EnvVar.AUTH_TOKEN) or None
    return args


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, the first leaf of any exception group, and their causes: where the real reason hides."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup) and current.exceptions:
            current = current.exceptions[0]
        else:
            current = current.__cause__ or current.__context__


def describe(error: BaseException, url: str) -> str:
    """One sentence a person can act on, instead of a traceback."""
    parts = urlsplit(url)
    host = parts.hostname or url
    where = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    chain = list(_chain(error))
    if any(isinstance(e, socket.gaierror) for e in chain):
        return f"cannot resolve {host} (DNS): check the URL; a new load balancer's name can take minutes"
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return f"TLS handshake with {where} failed: {next(e for e in chain if isinstance(e, ssl.SSLError))}"
    if any(isinstance(e, httpx.TimeoutException | httpx2.TimeoutException | TimeoutError) for e in chain):
        return f"no answer from {where} in time (timeout)"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection attempts failed" in str(
        chain[-1]
    ):
        return f"connection refused by {where}: nothing is listening there"
    leaf = next((e for e in chain if not isinstance(e, BaseExceptionGroup)), error)
    if isinstance(leaf, httpx.HTTPError | httpx2.HTTPError | OSError):
        return f"cannot talk to {where}: {leaf}"
    return f"{type(leaf).__name__}: {leaf}"


def health_url(mcp_url: str) -> str:
    parts = urlsplit(mcp_url)
    return f"{parts.scheme}://{parts.netloc}{HEALTH_PATH}"


def wait_for_health(report: Report, url: str, wait: float) -> bool:
    """Poll /health until 200 or `wait` seconds pass; the interval grows to a bounded maximum."""
    start = time.monotonic()
    deadline = start + wait
    interval = 1.0
    while True:
        try:
            response = httpx.get(url, timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=True)
            if response.status_code == 200:
                version = _json(response).get("version", "unknown")
                elapsed = time.monotonic() - start
                return report.record(
                    "health", True, f"{url} answered 200 (server version {version}) after {elapsed:.0f} s"
                )
            reason = f"HTTP {response.status_code}"
            if response.status_code in (502, 503, 504):
                reason += " (the load balancer has no healthy task yet)"
        except httpx.HTTPError as error:
            reason = describe(error, url)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            elapsed = time.monotonic() - start
            return report.record("health", False, f"{url} not healthy after {elapsed:.0f} s: {reason}")
        pause = min(interval, remaining)  # the last attempt lands on the deadline
        print(f"      waiting for {url}: {reason}; retrying in {pause:.0f} s", flush=True)
        time.sleep(pause)
        interval = min(interval * 2, MAX_POLL_INTERVAL_SECONDS)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def probe(mcp_url: str, token: str | None) -> httpx.Response:
    """One raw MCP `initialize` POST: unlike the SDK, it shows the HTTP status (401 or not)."""
    headers = {"Accept": "application/json, text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": LATEST_HANDSHAKE_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "smoke", "version": "1"},
        },
    }
    return httpx.post(mcp_url, json=body, headers=headers, timeout=HTTP_TIMEOUT_SECONDS)


def _unexpected(response: httpx.Response) -> str:
    if response.is_redirect:
        return f"HTTP {response.status_code}, redirect to {response.headers.get('location')}: use that URL"
    if response.status_code == 404:
        return f"HTTP 404: no MCP endpoint there; the URL should end in {MCP_PATH}"
    return f"HTTP {response.status_code}"


def check_auth(report: Report, mcp_url: str, token: str | None) -> bool:
    """Whether auth is what the user expects; False when the MCP checks cannot run."""
    try:
        anonymous = probe(mcp_url, None)
        if token is None:
            metadata_url = oauth_challenge(anonymous)
            if metadata_url is not None:
                check_oauth(report, mcp_url, metadata_url)
                return False
            if anonymous.status_code == 401:
                return report.record(
                    "auth",
                    False,
                    "the server requires a bearer token (401, WWW-Authenticate: Bearer); pass it with"
                    f" --token TOKEN or the {EnvVar.AUTH_TOKEN} environment variable",
                )
            if anonymous.status_code != 200:
                return report.record("auth", False, f"{mcp_url} answered {_unexpected(anonymous)}")
            return report.record("auth", True, "the endpoint answers without a token (no auth configured)")
        if anonymous.status_code == 401:
            report.record("auth", True, "a request without the token is refused (401): auth is enforced")
        else:
            # Keep going: the tools may still work, but the user must know the endpoint is open.
            report.record(
                "auth",
                False,
                f"a request WITHOUT the token got {_unexpected(anonymous)}, not 401: the server does not"
                f" enforce a token (is {EnvVar.AUTH_TOKEN} set on the service?)",
            )
        with_token = probe(mcp_url, token)
    except httpx.HTTPError as error:
        return report.record(report.next_check(), False, describe(error, mcp_url))
    if with_token.status_code == 401:
        return report.record(
            "token", False, f"the token was refused (401): it does not match the server's {EnvVar.AUTH_TOKEN}"
        )
    if with_token.status_code != 200:
        return report.record("token", False, f"{mcp_url} answered {_unexpected(with_token)}")
    return report.record("token", True, "a request with the token is accepted")


# --- OAuth sign-in: what a script can check without a person ---------------------------------------
#: Checks of a server with OAuth sign-in (they replace the tool checks, which need a signed-in person).
OAUTH_CHECKS = ["oauth_resource", "oauth_server", "registration", "refusal"]
#: A loopback redirect URI, as Claude Code, VS Code or the MCP Inspector register (nothing listens there).
SMOKE_REDIRECT_URI = "http://127.0.0.1:8976/smoke-check"
#: A redirect URI no allow-list should admit.
FOREIGN_REDIRECT_URI = "https://smoke-check.invalid/callback"


def oauth_challenge(response: httpx.Response) -> str | None:
    """The protected resource metadata URL of a 401 `WWW-Authenticate: Bearer resource_metadata=...`."""
    if response.status_code != 401:
        return None
    match = re.search(r'resource_metadata="([^"]+)"', response.headers.get("www-authenticate", ""))
    return match.group(1) if match else None


def _register(endpoint: str, redirect_uri: str) -> httpx.Response:
    body = {
        "redirect_uris": [redirect_uri],
        "client_name": "smoke check",
        "token_endpoint_auth_method": "none",
    }
    return httpx.post(endpoint, json=body, timeout=HTTP_TIMEOUT_SECONDS)


def check_oauth(report: Report, mcp_url: str, metadata_url: str) -> None:
    """Discovery and registration of a server with OAuth sign-in, then what was not checked."""
    report.planned[report.planned.index("auth") + 1 :] = OAUTH_CHECKS
    report.record("auth", True, "the server signs people in with OAuth (401 with resource_metadata)")
    try:
        resource = httpx.get(metadata_url, timeout=HTTP_TIMEOUT_SECONDS)
        document = _json(resource)
        servers = document.get("authorization_servers") or []
        if resource.status_code != 200 or document.get("resource") != mcp_url or not servers:
            report.record(
                "oauth_resource",
                False,
                f"{metadata_url} answered HTTP {resource.status_code} naming resource"
                f" {document.get('resource')!r} and authorization servers {servers}",
            )
            return
        report.record("oauth_resource", True, f"names {mcp_url} and its authorization server {servers[0]}")
        issuer = str(servers[0]).rstrip("/")
        server_metadata = httpx.get(
            issuer + "/.well-known/oauth-authorization-server", timeout=HTTP_TIMEOUT_SECONDS
        )
        metadata = _json(server_metadata)
        needed = ("authorization_endpoint", "token_endpoint", "registration_endpoint")
        missing = [name for name in needed if not metadata.get(name)]
        s256 = "S256" in (metadata.get("code_challenge_methods_supported") or [])
        if server_metadata.status_code != 200 or missing or not s256:
            report.record(
                "oauth_server",
                False,
                f"HTTP {server_metadata.status_code}; missing {missing or 'nothing'}; PKCE S256: {s256}",
            )
            return
        report.record("oauth_server", True, "authorization, token and registration endpoints; PKCE S256")
        accepted = _register(metadata["registration_endpoint"], SMOKE_REDIRECT_URI)
        if accepted.status_code == 201:
            report.record(
                "registration", True, f"a client with the loopback redirect {SMOKE_REDIRECT_URI} registered"
            )
        else:
            hint = " (rate-limited: try again in a minute)" if accepted.status_code == 429 else ""
            report.record(
                "registration",
                False,
                f"a loopback client was not registered: HTTP {accepted.status_code}"
                f" {_json(accepted).get('error_description', '')}{hint}",
            )
        refused = _register(metadata["registration_endpoint"], FOREIGN_REDIRECT_URI)
        report.record(
            "refusal",
            refused.status_code == 400,
            f"a client with the redirect {FOREIGN_REDIRECT_URI} was "
            + (
                "refused (400)"
                if refused.status_code == 400
                else f"answered HTTP {refused.status_code}, not 400"
            ),
        )
    except httpx.HTTPError as error:
        report.record(report.next_check(), False, describe(error, metadata_url))
    finally:
        print(
            "NOT CHECKED  sign-in and tools: signing in takes a person at a browser (the identity"
            " provider's page, then this server's consent page). Connect an MCP client to check them.",
            flush=True,
        )


def _first_text(result: Any) -> str:
    texts = [block.text for block in result.content if getattr(block, "type", None) == "text"]
    line = (texts[0].strip().splitlines() or [""])[0].rstrip(":") if texts else ""
    return line if len(line) <= 160 else line[:157] + "..."


def check_call(report: Report, name: str, result: Any) -> None:
    if result.is_error:
        report.record(name, False, f"the tool returned an error: {_first_text(result) or '(no message)'}")
    elif not result.structured_content:
        report.record(name, False, "the result carries no structured content")
    else:
        report.record(name, True, _first_text(result) or "structured result received")


async def check_tools(report: Report, args: argparse.Namespace) -> None:
    """List tools and call the two seed tools through the official MCP SDK, as an MCP client would.

    The other tools take the same path to NWS (NAT, User-Agent); listing them proves the image is current.
    """
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    try:
        with anyio.fail_after(4 * CALL_TIMEOUT_SECONDS):  # a backstop over the per-request timeouts
            async with (
                httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(CALL_TIMEOUT_SECONDS)) as http,
                streamable_http_client(args.mcp_url, http_client=http) as (read, write),
                ClientSession(read, write, read_timeout_seconds=CALL_TIMEOUT_SECONDS) as session,
            ):
                await session.initialize()
                names = sorted(tool.name for tool in (await session.list_tools()).tools)
                missing = [name for name in EXPECTED_TOOLS if name not in names]
                if missing:
                    report.record("tools", False, f"missing {', '.join(missing)}; listed: {names}")
                else:
                    report.record("tools", True, f"listed {', '.join(names)}")
                forecast = {"latitude": args.latitude, "longitude": args.longitude}
                check_call(report, "get_forecast", await session.call_tool("get_forecast", forecast))
                check_call(report, "get_alerts", await session.call_tool("get_alerts", {"state": args.state}))
    except Exception as error:  # any failure is reported as one sentence, not a traceback)
        report.record(report.next_check(), False, describe(error, args.mcp_url))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The SDK logs transport errors with tracebacks; they also reach us as exceptions, reported above.
    logging.getLogger("mcp").setLevel(logging.CRITICAL)
    planned = ["health", "auth", *(["token"] if args.token else []), "tools", "get_forecast", "get_alerts"]
    report = Report(planned)
    print(f"Smoke check of {args.mcp_url} ({'with' if args.token else 'without'} a token)", flush=True)
    # A server with OAuth sign-in replaces the tool checks with its own (check_oauth).
    if wait_for_health(report, health_url(args.mcp_url), args.wait) and check_auth(
        report, args.mcp_url, args.token
    ):
        anyio.run(check_tools, report, args)
    return report.verdict()


if __name__ == "__main__":
    sys.exit(main())
