"""A small loopback HTTP proxy that routes like an ALB target group: `python -m bench.chaos_proxy`.

Each request goes to the next registered, healthy target (round robin); health is GET /health every
HEALTH_INTERVAL seconds (anything but 200, twice in a row, takes a target out; one 200 brings it
back). Deregistering a target takes it out of rotation at once while its in-flight requests finish
(connection draining), which is what ECS does before it stops a task. No healthy target: 503. A
target that fails mid-request: 502 (the ALB does not retry either).

Control (loopback only): GET /__proxy__/state; POST /__proxy__/register and /__proxy__/deregister
with {"url": ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

import httpx

from bench.processes import LOOPBACK

HEALTH_INTERVAL: Final = 0.5
UNHEALTHY_AFTER: Final = 2
#: Headers that belong to one connection, never forwarded (RFC 9110 section 7.6.1).
HOP_BY_HOP: Final = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
)


@dataclass
class Target:
    """One server behind the proxy."""

    url: str
    registered: bool = True
    healthy: bool = False
    failed_checks: int = 0
    in_flight: int = 0
    requests: int = 0
    errors: int = 0


class TargetGroup:
    """Registration, health and round-robin choice: no I/O here, so it is tested on its own."""

    def __init__(self, urls: list[str]) -> None:
        self.targets: dict[str, Target] = {url: Target(url) for url in urls}
        self._turn = itertools.count()

    def register(self, url: str) -> None:
        """Add a target (it takes traffic once a health check passes)."""
        self.targets[url] = Target(url)

    def deregister(self, url: str) -> None:
        """Stop routing new requests to a target; its requests in flight continue."""
        if url in self.targets:
            self.targets[url].registered = False

    def record_health(self, url: str, ok: bool) -> None:
        """The result of one health check."""
        target = self.targets.get(url)
        if target is None:
            return
        if ok:
            target.healthy, target.failed_checks = True, 0
        else:
            target.failed_checks += 1
            if target.failed_checks >= UNHEALTHY_AFTER:
                target.healthy = False

    def in_service(self) -> list[Target]:
        """Targets that may take a new request."""
        return [target for target in self.targets.values() if target.registered and target.healthy]

    def choose(self) -> Target | None:
        """The next target in round-robin order, or None when none is in service."""
        ready = self.in_service()
        if not ready:
            return None
        return ready[next(self._turn) % len(ready)]

    def state(self) -> list[dict[str, Any]]:
        """Every target's counters, for the orchestrator."""
        return [vars(target).copy() for target in self.targets.values()]


class Proxy:
    """The ASGI app: control endpoints, then forwarding."""

    def __init__(self, group: TargetGroup) -> None:
        self.group = group
        self.http: httpx.AsyncClient | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        if scope["path"].startswith("/__proxy__/"):
            await self._control(scope, body, send)
            return
        target = self.group.choose()
        if target is None:
            await _respond(send, 503, b'{"error": "no healthy target"}')
            return
        await self._forward(target, scope, body, send)

    async def _forward(self, target: Target, scope: dict[str, Any], body: bytes, send: Any) -> None:
        assert self.http is not None
        headers = [
            (k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP and k.lower() != b"host"
        ]
        target.in_flight += 1
        target.requests += 1
        try:
            response = await self.http.request(
                scope["method"], target.url + scope["path"], headers=headers, content=body
            )
        except httpx.HTTPError:
            target.errors += 1
            await _respond(send, 502, b'{"error": "target failed"}')
            return
        finally:
            target.in_flight -= 1
        out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": response.content})

    async def _control(self, scope: dict[str, Any], body: bytes, send: Any) -> None:
        action = scope["path"].removeprefix("/__proxy__/")
        if action == "state":
            await _respond(send, 200, json.dumps(self.group.state()).encode())
            return
        url = json.loads(body or b"{}").get("url", "")
        if action == "register":
            self.group.register(url)
        elif action == "deregister":
            self.group.deregister(url)
        else:
            await _respond(send, 404, b"{}")
            return
        await _respond(send, 204, b"")

    async def _lifespan(self, receive: Any, send: Any) -> None:
        async with self._running():
            message = await receive()
            assert message["type"] == "lifespan.startup"
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
        await send({"type": "lifespan.shutdown.complete"})

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=200)
        async with httpx.AsyncClient(timeout=60, limits=limits, trust_env=False) as http:
            self.http = http
            checker = asyncio.create_task(self._check_health(http))
            try:
                yield
            finally:
                checker.cancel()

    async def _check_health(self, http: httpx.AsyncClient) -> None:
        while True:
            for target in list(self.group.targets.values()):
                try:
                    ok = (await http.get(target.url + "/health", timeout=2)).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.group.record_health(target.url, ok)
            await asyncio.sleep(HEALTH_INTERVAL)


async def _read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main(argv: list[str] | None = None) -> int:
    """Serve the proxy until SIGTERM."""
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.chaos_proxy")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--targets", required=True, help="comma list of base URLs on loopback")
    args = parser.parse_args(argv)
    group = TargetGroup([url for url in args.targets.split(",") if url])
    uvicorn.run(
        Proxy(group),
        host=LOOPBACK,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_level="warning",
        access_log=False,
        backlog=2048,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
