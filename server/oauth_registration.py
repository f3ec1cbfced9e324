"""POST /register as a hostile client meets it: bounded in size, limited per client address.

Dynamic client registration needs no credentials (RFC 7591), so anyone can call it. In front of
the MCP SDK's handler, before anything is parsed:

1. a body over `MAX_REGISTRATION_BYTES` (declared or actually sent) is answered 413;
2. each client address may register `limit` times per calendar minute, counted in the shared store
   (every worker of every task adds to one counter), and is answered 429 with `Retry-After` past it;

then every attempt writes one log line with the embedded metrics of `server.metrics`
(registrations and refusals per minute feed an alarm and the dashboard).

The client address is the last `X-Forwarded-For` entry: the one the load balancer appends (ALB's
default `append` mode). Entries before it come from the client and prove nothing; the TCP peer is
the load balancer itself. Without the header (a direct local run) it is the TCP peer. Behind
anything but the ALB, the last entry could be forged: the stack only lets the ALB reach the tasks.
"""

from __future__ import annotations

import ipaddress
import math
import time
from typing import Final

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.logs import OAUTH_LOGGER, get_logger
from server.metrics import registration_emf_members
from server.oauth_pages import json_error
from server.oauth_store import RATE_COUNTERS, OAuthState

log = get_logger(OAUTH_LOGGER)

#: Largest registration body accepted. Real clients send well under 1 KiB (VS Code's is ~500 bytes);
#: a few KiB leave room for a logo URI, contacts or a software statement.
MAX_REGISTRATION_BYTES: Final = 8 * 1024
#: Length of one counting window (the limit is per calendar minute).
WINDOW_SECONDS: Final = 60


def client_address(scope: Scope) -> str:
    """The address a registration is counted against (see the module docstring)."""
    forwarded = Headers(scope=scope).getlist("x-forwarded-for")
    if forwarded:
        last = ",".join(forwarded).split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass  # not an address: fall back to the peer
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class _BodyTooLarge(Exception):
    pass


class RegistrationGuard:
    """ASGI app in front of the registration handler (see the module docstring)."""

    def __init__(self, app: ASGIApp, state: OAuthState, *, limit: int) -> None:
        self.app = app
        self._state = state
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_REGISTRATION_BYTES:
            await self._refuse(scope, receive, send, address, "too_large")
            return
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        count = await self._state.increment(
            f"register:{address}:{window}", collection=RATE_COUNTERS, ttl=2 * WINDOW_SECONDS
        )
        if count > self._limit:
            retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
            await self._refuse(scope, receive, send, address, "rate_limited", retry_after=retry_after)
            return
        try:
            body = await _read_body(receive, MAX_REGISTRATION_BYTES)
        except _BodyTooLarge:
            await self._refuse(scope, receive, send, address, "too_large")
            return
        status = await self._forward(scope, body, receive, send)
        self._record(address, "registered" if status == 201 else "refused", status)

    async def _forward(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> int:
        """Run the registration handler on the body already read; return its status."""
        delivered = False
        status = 500

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, replay, watch)
        return status

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        address: str,
        outcome: str,
        *,
        retry_after: int | None = None,
    ) -> None:
        if outcome == "too_large":
            response = json_error(
                413,
                "invalid_client_metadata",
                f"The registration is larger than {MAX_REGISTRATION_BYTES} bytes.",
            )
        else:
            response = json_error(
                429,
                "too_many_requests",
                f"Too many registrations from this address: at most {self._limit} a minute. "
                f"Try again in {retry_after} s.",
                **{"retry-after": str(retry_after)},
            )
        await response(scope, receive, send)
        self._record(address, outcome, response.status_code)

    @staticmethod
    def _record(address: str, outcome: str, status: int) -> None:
        log.info(
            "oauth_registration",
            outcome=outcome,
            status=status,
            client_address=address,
            **registration_emf_members(registered=outcome == "registered"),
        )


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or _BodyTooLarge as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
