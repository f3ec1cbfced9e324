"""Serve an ASGI app on a loopback socket in a background thread: what every fake of this project
(NWS, the OpenID provider) needs to be a real HTTP server for the code under test."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Self

import uvicorn
from starlette.types import ASGIApp


class LoopbackServer:
    """uvicorn in a daemon thread (its own event loop) on a socket bound before it starts."""

    def __init__(
        self, app: ASGIApp, *, name: str, host: str = "127.0.0.1", port: int = 0, **config: Any
    ) -> None:
        self._app, self._name, self._host, self._port, self._config = app, name, host, port, config
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """Where it listens, e.g. http://127.0.0.1:54321."""
        if self._socket is None:
            raise RuntimeError(f"{self._name} is not started")
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((self._host, self._port))
        config = uvicorn.Config(
            self._app, log_level="warning", lifespan="off", access_log=False, **self._config
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=self._name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{self._name} did not start")
            time.sleep(0.01)

    def wait(self) -> None:
        """Block while the server thread runs."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()


class ServedFake:
    """What a fake served by its `LoopbackServer` (`self._serving`) offers: its address, start and
    stop, a `with` block, and a foreground for the standalone fake."""

    _serving: LoopbackServer

    @property
    def base_url(self) -> str:
        """Where the fake listens, e.g. http://127.0.0.1:54321."""
        return self._serving.base_url

    def start(self) -> Self:
        """Serve in a background thread (own event loop) until `stop()`."""
        self._serving.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._serving.stop()

    def serve_until_stopped(self) -> None:
        """Block while the server thread runs (the standalone fake's foreground)."""
        self._serving.wait()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
