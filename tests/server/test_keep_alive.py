"""Idle keep-alive: the server keeps connections longer than the load balancer in front of it.

The stack tells the server the ALB's idle timeout (MCP_LB_IDLE_TIMEOUT_SECONDS); were the server to
close an idle connection first, the ALB would reuse the dead connection and answer 502.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from fakes.nws import FakeNws
from server.contract import HEALTH_PATH, EnvVar
from tests.server.conftest import ServerProcess, start_server

pytestmark = pytest.mark.timeout(60)

#: A short load-balancer idle timeout so the test can wait past it.
LB_IDLE_SECONDS = 1


@pytest.fixture(scope="module")
def server_behind_short_idle_lb(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws
) -> Iterator[ServerProcess]:
    server = start_server(
        tmp_path_factory.mktemp("keepalive"),
        fake_nws_server.base_url,
        **{EnvVar.LB_IDLE_TIMEOUT_SECONDS: str(LB_IDLE_SECONDS)},
    )
    yield server
    server.stop()


def health_on(sock: socket.socket, host: str) -> bytes:
    """One keep-alive GET /health on an open connection: the status line, or b'' when the server has
    closed it. Reads the whole response (headers, then Content-Length bytes of body), so the next
    request on the connection starts clean."""
    sock.sendall(f"GET {HEALTH_PATH} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            return received
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        body += chunk
    return head.split(b"\r\n", 1)[0]


def test_a_connection_idle_past_the_load_balancer_timeout_is_still_served(
    server_behind_short_idle_lb: ServerProcess,
) -> None:
    url = urlsplit(server_behind_short_idle_lb.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        assert health_on(sock, url.netloc).startswith(b"HTTP/1.1 200")
        time.sleep(LB_IDLE_SECONDS + 1.5)  # the load balancer would have closed it by now

        assert health_on(sock, url.netloc).startswith(b"HTTP/1.1 200")


def test_the_server_does_close_idle_connections_a_few_seconds_after_the_load_balancer(
    server_behind_short_idle_lb: ServerProcess,
) -> None:
    url = urlsplit(server_behind_short_idle_lb.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        assert health_on(sock, url.netloc).startswith(b"HTTP/1.1 200")
        # Derived from the variable (1 s + a 5 s margin), not a fixed minute: the server hangs up
        # while we wait (the generous timeout only stops a broken server from hanging the test).
        sock.settimeout(30)

        assert sock.recv(4096) == b""
    assert '"keep_alive_seconds": 6' in server_behind_short_idle_lb.logs()
