"""SIGTERM (how ECS stops a task): in-flight calls finish, then the process exits cleanly; nothing sent
before the signal is dropped, with one worker or several.

A request still running when the 20 s cap hits is cut off with a 500 and the process still exits.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from fakes.nws import KS_ALERTS, FakeNws
from server.contract import MCP_PATH, EnvVar
from tests.server.conftest import MCP_HEADERS, ServerProcess, jsonrpc, start_server
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)
#: uvicorn's line when its graceful shutdown starts waiting for the connections still open.
WAITING_FOR_CONNECTIONS = '"event": "Waiting for connections to close. (CTRL+C to force quit)"'


def test_sigterm_lets_an_in_flight_call_finish_then_exits_cleanly(tmp_path: Path, nws: FakeNws) -> None:
    server = start_server(tmp_path, nws.base_url)
    held = nws.hold("/alerts/")  # NWS answers only once the signal has been handled
    outcome: dict[str, httpx.Response] = {}
    body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}})

    def call() -> None:
        outcome["response"] = httpx.post(server.mcp_url, headers=MCP_HEADERS, json=body, timeout=30)

    caller = threading.Thread(target=call)
    caller.start()
    try:
        wait_until(lambda: held.waiting == 1, "the call to be waiting for NWS")
        server.process.send_signal(signal.SIGTERM)
        # Past the drain, the listener closed: uvicorn now waits for the open call (its graceful shutdown).
        wait_until(
            lambda: WAITING_FOR_CONNECTIONS in server.logs(), "the server to wait for the call in flight"
        )
    finally:
        held.release()  # the call in flight since before the signal can now finish

    caller.join(timeout=30)
    exit_code = server.process.wait(timeout=30)

    assert not caller.is_alive()
    response = outcome["response"]
    assert response.status_code == 200
    assert response.json()["result"]["structuredContent"]["total"] == KS_ALERTS
    # uvicorn re-raises the SIGTERM it handled once shutdown is complete, so the exit status says
    # "terminated by SIGTERM" (143 in a shell, what ECS expects from a stopped task), not a crash.
    assert exit_code in (0, -signal.SIGTERM)
    logs = server.logs()
    assert (
        "timeout graceful shutdown exceeded" not in logs
    )  # it stopped when the call was done, not at the cap
    assert '"event": "Application shutdown complete."' in logs  # lifespan closed the NWS pool
    assert "Traceback" not in logs
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/health", timeout=2)


def stuck_request(server: ServerProcess) -> socket.socket:
    """A POST /mcp whose body never finishes arriving, once the server is waiting for that body.

    No tool timeout bounds it (the tool never starts): only the shutdown cap ends it.
    """
    body = json.dumps(jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}})).encode()
    url = urlsplit(server.base_url)
    head = [
        "POST /mcp HTTP/1.1",
        f"Host: {url.netloc}",
        f"Content-Length: {len(body)}",
        "Expect: 100-continue",
    ]
    head += [f"{name}: {value}" for name, value in MCP_HEADERS.items()]
    client = socket.create_connection((url.hostname, url.port), timeout=40)
    client.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    # uvicorn answers 100 Continue when the application first asks for the body: the request is running.
    assert client.recv(1024).startswith(b"HTTP/1.1 100 Continue")
    client.sendall(body[:10])
    return client


def read_until_closed(client: socket.socket) -> bytes:
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    return received


def test_a_request_still_running_at_the_20_s_cap_gets_a_500_and_the_server_exits_by_itself(
    tmp_path: Path, nws: FakeNws
) -> None:
    server = start_server(tmp_path, nws.base_url)
    held = nws.hold("/alerts/")
    outcome: dict[str, httpx.Response] = {}
    body = jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}})
    caller = threading.Thread(
        target=lambda: outcome.update(
            response=httpx.post(server.mcp_url, headers=MCP_HEADERS, json=body, timeout=60)
        )
    )
    caller.start()
    wait_until(lambda: held.waiting == 1, "the tool call to be waiting for NWS")
    stuck = stuck_request(server)

    try:
        server.process.send_signal(signal.SIGTERM)
        sent_at = time.monotonic()
        wait_until(
            lambda: WAITING_FOR_CONNECTIONS in server.logs(), "the server to wait for the calls in flight"
        )
        held.release()  # the tool call can finish during the shutdown; the stuck request cannot
        answer = read_until_closed(stuck)
        cut_after = time.monotonic() - sent_at
        exit_code = server.process.wait(timeout=20)  # no SIGKILL from the test: the server stops itself
        caller.join(timeout=20)
    finally:
        held.release()
        stuck.close()
        if server.process.poll() is None:
            server.process.kill()

    assert not caller.is_alive()
    # The call that could finish did, with its answer...
    assert outcome["response"].status_code == 200
    assert outcome["response"].json()["result"]["structuredContent"]["total"] == KS_ALERTS
    # ...the one that could not was given the whole cap, then answered 500 and closed, not left hanging.
    assert cut_after >= 19.5
    assert answer.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"connection: close" in answer.lower()
    assert exit_code in (0, -signal.SIGTERM)
    logs = server.logs()
    assert "Cancel 1 running task(s), timeout graceful shutdown exceeded" in logs
    assert '"event": "Application shutdown complete."' in logs  # the lifespan still closed the NWS pool


def _send_call(port: int, state: str) -> socket.socket:
    """A complete tools/call written to its own connection; the answer is read later."""
    body = json.dumps(jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": state}})).encode()
    head = (
        f"POST {MCP_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head.encode() + body)
    return sock


def _read_answer(sock: socket.socket) -> str:
    chunks = []
    with sock:
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            return "connection reset"
    raw = b"".join(chunks)
    return raw.split(b"\r\n", 1)[0].decode() if raw else "connection closed without an answer"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_right_after_40_calls_were_sent_answers_every_one(
    tmp_path: Path, nws: FakeNws, workers: str
) -> None:
    # What was sent before the signal is read during the drain: the 1 s default read all 40 on a quiet
    # machine but only 38 on one at load 13 (the last two were still in the accept queue when the
    # listener closed). 3 s keeps the claim about requests sent before the signal, not about speed.
    env = {EnvVar.WORKERS: workers, EnvVar.MCP_SHUTDOWN_DRAIN_SECONDS: "3"}
    server = start_server(tmp_path, nws.base_url, **env)
    port = int(server.base_url.rsplit(":", 1)[1])
    states = ["KS", "TX", "GM", "NY", "OH", "CA", "FL", "WA"]
    # A server that has answered before (a fresh process's first call also pays one-time set-up).
    assert all(_read_answer(_send_call(port, "KS")) == "HTTP/1.1 200 OK" for _ in range(int(workers) * 2))
    nws.latency_ms = 300
    sockets = [_send_call(port, states[index % len(states)]) for index in range(40)]
    server.process.send_signal(signal.SIGTERM)  # every request is on the wire, few if any read yet

    answers = [_read_answer(sock) for sock in sockets]
    exit_code = server.process.wait(timeout=40)

    assert answers == ["HTTP/1.1 200 OK"] * 40
    assert exit_code in (0, -signal.SIGTERM)
    assert "Traceback" not in server.logs()


def test_while_draining_health_says_so_and_answers_close_their_connection(
    tmp_path: Path, nws: FakeNws
) -> None:
    server = start_server(tmp_path, nws.base_url, **{EnvVar.MCP_SHUTDOWN_DRAIN_SECONDS: "5"})
    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            assert client.get("/health").status_code == 200
            server.process.send_signal(signal.SIGTERM)
            answers: list[httpx.Response] = []
            wait_until(
                lambda: answers.append(client.get("/health")) or answers[-1].status_code == 503,
                "health to say the server is draining",
            )
            health = answers[-1]
            call = client.post(
                "/mcp",
                headers=MCP_HEADERS,
                json=jsonrpc("tools/call", {"name": "get_alerts", "arguments": {"state": "KS"}}),
            )
    finally:
        exit_code = server.stop(timeout=30)

    assert health.status_code == 503
    assert health.json() == {"status": "draining"}
    assert call.status_code == 200  # work that still reaches a draining server is done
    assert call.headers["connection"] == "close"
    assert call.json()["result"]["structuredContent"]["total"] == KS_ALERTS
    assert exit_code in (0, -signal.SIGTERM)
    assert '"event": "shutdown_draining"' in server.logs()
