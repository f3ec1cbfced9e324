"""Graceful shutdown that loses no call: a short drain period between SIGTERM and uvicorn's shutdown.

uvicorn's shutdown closes the listening socket and every connection without a request in progress
at once. A request the client has already sent but the server has not read yet (in the accept
backlog, or unread on a keep-alive connection) is then dropped: with one worker, SIGTERM during a
burst of 40 calls lost every one of them (a connection reset on the client). With several
workers the supervisor happens to wait up to 0.5 s before passing SIGTERM on, which hid the race.

So the first SIGTERM starts a drain instead: for `seconds`, requests keep being read and answered,
each response carries `Connection: close` (clients open their next connection elsewhere, e.g. on
the load balancer's other targets), and /health answers 503 "draining". Then uvicorn's own
handler runs: new connections are refused, in-flight calls get the shutdown grace period. A second
SIGTERM skips the rest of the drain. The handler is installed at lifespan startup, in the process
that serves (each uvicorn worker, or the single process), only when running in the main thread.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.contract import HEALTH_PATH
from server.logs import DRAINING_LOGGER, get_logger

log = get_logger(DRAINING_LOGGER)

SignalHandler = Callable[[int, FrameType | None], Any]


class DrainOnSigterm:
    """ASGI wrapper: SIGTERM -> `seconds` of draining -> the server's own SIGTERM handling."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds
        self.draining = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            await self.app(scope, self._watch_startup(receive), send)
            return
        if scope["type"] != "http" or not self.draining:
            await self.app(scope, receive, send)
            return
        if scope["path"] == HEALTH_PATH:
            await self._health_draining(send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)

    def _watch_startup(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.install(asyncio.get_running_loop())
            return message

        return wrapped

    def install(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Wrap the current SIGTERM handler (uvicorn's); False when that is not possible here."""
        if self.seconds <= 0 or threading.current_thread() is not threading.main_thread():
            return False
        previous = signal.getsignal(signal.SIGTERM)
        if not callable(previous):
            return False

        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.draining:  # a second SIGTERM: stop draining now
                previous(signum, frame)
                return
            self.draining = True
            log.info("shutdown_draining", seconds=self.seconds)
            loop.call_soon_threadsafe(loop.call_later, self.seconds, previous, signum, None)

        signal.signal(signal.SIGTERM, on_sigterm)
        return True

    @staticmethod
    async def _health_draining(send: Send) -> None:
        body = b'{"status": "draining"}'
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
