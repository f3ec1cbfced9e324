"""Upstreams that fail below HTTP, on loopback: one that takes connections and never answers (a read
timeout), one whose connections never complete (a connect timeout).

Neither runs a thread: the kernel does the accepting. A listening socket completes TCP handshakes
into its accept queue whether or not anyone calls accept(); when that queue is full, Linux drops
new SYNs, so the client's connect() waits (and retries the SYN after 1 s, 3 s, ...) until it gives up.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass


@dataclass
class DeadUpstream:
    """A listener nobody serves. `requests()` accepts what is queued, to see what reached it."""

    listener: socket.socket

    @property
    def base_url(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def requests(self) -> list[bytes]:
        """What the completed connections carried, oldest first (connections that sent nothing
        are left out). Accepts them now, without waiting for more."""
        received = []
        self.listener.setblocking(False)
        while True:
            try:
                connection, _ = self.listener.accept()
            except BlockingIOError:
                return received
            with connection:
                connection.setblocking(False)
                with suppress(BlockingIOError):
                    if data := connection.recv(65536):
                        received.append(data)


@contextmanager
def silent_upstream(backlog: int = 16) -> Iterator[DeadUpstream]:
    """An upstream that completes up to `backlog` connections and never says a word on any."""
    with socket.create_server(("127.0.0.1", 0), backlog=backlog) as listener:
        yield DeadUpstream(listener)


@contextmanager
def unaccepting_upstream(deadline_seconds: float = 10) -> Iterator[DeadUpstream]:
    """An upstream whose connections never complete: a listener with the smallest accept queue,
    filled by a connection of our own that nobody accepts (it carries no request)."""
    fillers: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0), backlog=0) as listener:
        address = listener.getsockname()[:2]
        try:
            deadline = time.monotonic() + deadline_seconds
            while True:  # connect until one connection stays pending: the queue is then full
                if time.monotonic() > deadline:
                    raise AssertionError(f"the accept queue never filled ({len(fillers)} connections)")
                filler = socket.socket()
                filler.setblocking(False)
                fillers.append(filler)
                filler.connect_ex(address)
                _, writable, _ = select.select([], [filler], [], 0.5)
                if not writable:
                    break  # no SYN-ACK within 0.5 s on loopback: the SYN was dropped
            yield DeadUpstream(listener)
        finally:
            for filler in fillers:
                with suppress(OSError):
                    filler.close()
