"""The MCP Inspector's web UI (npm @modelcontextprotocol/inspector, pinned in package.json): the
process the tests start, and the steps a person takes in it (the README's Inspector steps).

In 2.12 the page talks only to the Inspector's own backend (`/api/...` on CLIENT_PORT); the backend
makes every MCP and OAuth request (discovery, registration, token, /mcp). The browser itself
visits only the authorization server's pages and the Inspector's `/oauth/callback`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.server.conftest import REPO_ROOT, free_port

#: The launcher `npm ci` links from the pinned package (package.json, package-lock.json).
INSPECTOR_BIN = REPO_ROOT / "node_modules" / ".bin" / "mcp-inspector"


@dataclass
class InspectorProcess:
    """`mcp-inspector --web` on loopback with its own catalog, storage and home directory."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_inspector(workdir: Path, startup_timeout: float = 60) -> InspectorProcess:
    """Start the web UI on free ports, with an empty server catalog, and wait until it answers."""
    if not INSPECTOR_BIN.exists():
        pytest.fail(
            f"the MCP Inspector is not installed ({INSPECTOR_BIN} is missing); run `bash scripts/setup.sh` "
            "(it runs `npm ci`)",
            pytrace=False,
        )
    catalog = workdir / "catalog.json"
    catalog.write_text(json.dumps({"mcpServers": {}}))  # not the Inspector's three sample servers
    client_port, sandbox_port = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),  # nothing read from or written to the developer's own Inspector set-up
        "HOST": "127.0.0.1",
        "CLIENT_PORT": str(client_port),  # the web UI and its backend
        "SERVER_PORT": str(sandbox_port),  # in 2.12: the MCP Apps sandbox
        "MCP_APP_ORIGIN_PORT": "0",  # any free port (MCP Apps are not used here)
        "DANGEROUSLY_OMIT_AUTH": "true",  # tests only: no session token in the UI's URL
        "MCP_AUTO_OPEN_ENABLED": "false",  # do not open a desktop browser
        "MCP_STORAGE_DIR": str(workdir / "storage"),
        "MCP_INSPECTOR_SECRET_STORE": "memory",  # headers and OAuth tokens die with the process
    }
    log_path = workdir / "inspector.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(INSPECTOR_BIN), "--web", "--catalog", str(catalog)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    inspector = InspectorProcess(process, f"http://127.0.0.1:{client_port}", log_path)
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the MCP Inspector exited with {process.returncode}:\n{inspector.logs()}")
        with suppress(httpx.HTTPError):
            if httpx.get(inspector.url + "/api/servers", timeout=2).status_code == 200:
                return inspector
        time.sleep(0.1)
    inspector.stop()
    pytest.fail(f"the MCP Inspector did not answer within {startup_timeout} s:\n{inspector.logs()}")


# --- what a person does in the web UI ------------------------------------------------------------
def _switch(page: Page, server_id: str) -> Locator:
    return page.get_by_role("switch", name=f'Connect or disconnect "{server_id}"')


def server_card(page: Page, server_id: str) -> Locator:
    """The card of one server in the Servers list (the innermost block with its switch and buttons)."""
    return (
        page.locator("div")
        .filter(has=_switch(page, server_id))
        .filter(has=page.get_by_role("button", name="Settings"))
        .last
    )


def add_server(page: Page, server_id: str, url: str) -> None:
    """Add Servers -> + Add manually: Server ID, Transport streamable-http, URL -> Add."""
    page.get_by_role("button", name="Add Servers").click()
    page.get_by_role("menuitem", name="Add manually").click()
    dialog = page.get_by_role("dialog", name="Add server")
    dialog.get_by_role("textbox", name="Server ID").fill(server_id)
    dialog.get_by_role("textbox", name="Transport").click()
    page.get_by_role("option", name="streamable-http").click()
    dialog.get_by_role("textbox", name="URL").fill(url)
    dialog.get_by_role("button", name="Add").click()
    expect(dialog).to_be_hidden()
    expect(server_card(page, server_id)).to_contain_text(url)


def add_header(page: Page, server_id: str, name: str, value: str) -> None:
    """The server's Settings -> Custom Headers -> + Add Header: name and value, then Close."""
    server_card(page, server_id).get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Server Settings")
    dialog.get_by_role("button", name="Custom Headers").click()
    headers = dialog.get_by_role("region", name="Custom Headers")
    headers.get_by_role("button", name="Add Header").click()
    # The new row is the last one; its fields are labelled by their placeholders, Key and Value.
    headers.get_by_placeholder("Key").last.fill(name)
    headers.get_by_placeholder("Value").last.fill(value)
    # Close saves the settings to the Inspector's backend; the page connects with the settings it has
    # once that save has answered (a connect clicked before then goes without the header: seen under load).
    settings_url = f"/api/servers/{server_id}"
    with page.expect_response(
        lambda response: response.request.method == "PUT" and response.url.endswith(settings_url)
    ) as saved:
        dialog.get_by_role("button", name="Close").click()
    assert saved.value.ok, f"the Inspector did not save the settings: HTTP {saved.value.status}"
    expect(dialog).to_be_hidden()


def connect(page: Page, server_id: str) -> None:
    """Turn the server's connect switch on, as a person does once it shows off (a click on a switch
    still on would disconnect instead). The click goes to its visible track (the input is covered)."""
    switch = _switch(page, server_id)
    expect(switch).not_to_be_checked()
    switch.locator("xpath=..").click()
    expect(switch).to_be_checked()


def expect_status(page: Page, server_id: str, status: str) -> None:
    """The status line of the server's card: Disconnected, Connected or Failed."""
    expect(server_card(page, server_id).get_by_text(status, exact=True)).to_be_visible()


def open_network_log(page: Page) -> None:
    """The monitoring sidebar's Network screen: every HTTP request the backend made for the server."""
    page.get_by_role("radio", name="Network").locator("xpath=..").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Requests \(\d+\)$"))).to_be_visible()


def open_tools(page: Page, tool_names: list[str]) -> None:
    """The Tools screen, once it lists every one of `tool_names`."""
    page.get_by_role("radio", name="Tools").locator("xpath=..").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Tools \(\d+\)$"))).to_be_visible()
    for name in tool_names:
        expect(page.get_by_role("button", name=re.compile(rf"\b{re.escape(name)}$"))).to_be_visible()


def run_tool(page: Page, tool_name: str, **arguments: str) -> None:
    """Select a tool, fill its argument fields, Execute Tool, and wait for the Results panel."""
    page.get_by_role("button", name=re.compile(rf"\b{re.escape(tool_name)}$")).click()
    for name, value in arguments.items():
        page.get_by_role("textbox", name=name, exact=True).fill(value)
    page.get_by_role("button", name="Execute Tool").click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
