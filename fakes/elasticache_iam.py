"""A stand-in for ElastiCache's IAM authentication, in front of a real redis-server.

ElastiCache cannot run here, and redis-server knows nothing of IAM. This TLS proxy on loopback
plays the part ElastiCache plays for a cache with an IAM user: each new connection must first send
``AUTH <user> <token>`` (or ``HELLO 3 AUTH <user> <token>``, redis-py's default), where the token
is a SigV4 presigned ``GET`` of ``<cache name>/?Action=connect&User=<user>`` for the service
``elasticache`` in the expected region, signed with the expected credentials, not expired. The
signature is checked here with an independent implementation of the SigV4 algorithm (not
botocore's), so a token the server signs wrongly is refused as ElastiCache would refuse it. After
a good AUTH the connection is passed through to redis-server; a connection older than
`session_seconds` is closed (ElastiCache closes IAM-authenticated connections after 12 hours
unless they authenticate again).

Scaled-down lifetimes (`token_lifetime`, `session_seconds`) let a test see token refresh and
reconnection in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import hmac
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import parse_qsl, quote

from fakes.redis_server import TlsFiles, free_port

EMPTY_PAYLOAD_HASH: Final = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True)
class IamExpectation:
    """What a token must say and be signed with."""

    cache_name: str
    user: str
    region: str
    access_key: str
    secret_key: str
    #: Seconds a token is accepted after it was signed (ElastiCache: 900).
    token_lifetime: float = 900.0


def _sign(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def token_problem(token: str, expected: IamExpectation, now: float | None = None) -> str | None:
    """Why ElastiCache would refuse `token`, or None when it is good (SigV4 query signing)."""
    host, _, query = token.partition("/?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    if host != expected.cache_name:
        return f"signed for cache {host!r}, not {expected.cache_name!r}"
    if params.get("Action") != "connect" or params.get("User") != expected.user:
        return f"not a connect token for user {expected.user!r}"
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or params.get("X-Amz-SignedHeaders") != "host":
        return "not SigV4 signed over the host header"
    stamp = params.get("X-Amz-Date", "")
    day = stamp[:8]
    scope = f"{day}/{expected.region}/elasticache/aws4_request"
    if params.get("X-Amz-Credential") != f"{expected.access_key}/{scope}":
        return f"signed with credential {params.get('X-Amz-Credential')!r}, expected key and scope {scope!r}"
    try:
        signed_at = (
            datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC).timestamp()
        )
        expires = int(params.get("X-Amz-Expires", ""))
    except ValueError:
        return "unreadable X-Amz-Date or X-Amz-Expires"
    if expires > 900:
        return f"X-Amz-Expires {expires} is longer than ElastiCache's 900 seconds"
    now = time.time() if now is None else now
    if now > signed_at + min(expires, expected.token_lifetime):
        return f"expired: signed {now - signed_at:.1f} s ago"
    signature = params.pop("X-Amz-Signature", "")
    canonical_query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))
    canonical_request = "\n".join(
        ["GET", "/", canonical_query, f"host:{host}", "", "host", EMPTY_PAYLOAD_HASH]
    )
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _sign(("AWS4" + expected.secret_key).encode(), day)
    for part in (expected.region, "elasticache", "aws4_request"):
        key = _sign(key, part)
    if not hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), signature):
        return "signature does not match"
    return None


@dataclass
class ProxyLog:
    """What the proxy saw: the tokens it accepted and why it refused the others."""

    accepted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    sessions_ended: int = 0


async def _read_command(reader: asyncio.StreamReader) -> list[str]:
    """One RESP array of bulk strings (what redis-py sends)."""
    header = await reader.readline()
    if not header.startswith(b"*"):
        raise ValueError("not a RESP array")
    parts = []
    for _ in range(int(header[1:])):
        length = int((await reader.readline())[1:])
        parts.append((await reader.readexactly(length + 2))[:-2].decode())
    return parts


def _credentials(command: list[str]) -> tuple[str, str] | None:
    """(user, token) of `AUTH user token` or `HELLO <protover> AUTH user token`, else None."""
    name = command[0].upper() if command else ""
    if name == "AUTH" and len(command) == 3:
        return command[1], command[2]
    if name == "HELLO" and len(command) == 5 and command[2].upper() == "AUTH":
        return command[3], command[4]
    return None


def _encode_command(parts: list[str]) -> bytes:
    encoded = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        data = part.encode()
        encoded.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(encoded)


class ElastiCacheIamProxy:
    """TLS on 127.0.0.1, IAM AUTH checked, then bytes passed to redis-server on `upstream_port`."""

    def __init__(
        self,
        upstream_port: int,
        expected: IamExpectation,
        tls: TlsFiles,
        *,
        session_seconds: float = 12 * 3600,
    ) -> None:
        self.expected = expected
        self.port = free_port()
        self.log = ProxyLog()
        self._upstream_port = upstream_port
        self._tls = tls
        self._session_seconds = session_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"rediss://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            command = await _read_command(reader)
            credentials = _credentials(command)
            if credentials is None or credentials[0] != self.expected.user:
                self.log.refused.append(f"first command {command[:1]!r} does not AUTH {self.expected.user}")
                writer.write(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
                return
            problem = token_problem(credentials[1], self.expected)
            if problem is not None:
                self.log.refused.append(problem)
                writer.write(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
                return
            self.log.accepted.append(credentials[1])
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
            if command[0].upper() == "HELLO":  # the protocol switch itself is redis-server's to answer
                up_writer.write(_encode_command(["HELLO", command[1]]))
            else:
                writer.write(b"+OK\r\n")
            try:
                async with asyncio.timeout(self._session_seconds):
                    await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            except TimeoutError:
                self.log.sessions_ended += 1
            finally:
                up_writer.close()
        except (ValueError, OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a broken or refused connection, or the proxy stopping: the connection just ends
        finally:
            with contextlib.suppress(OSError):
                writer.close()

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            target.write(data)
            await target.drain()
        target.close()

    def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self._tls.certificate, self._tls.key)
        started = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", self.port, ssl=context)
            )
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="elasticache-iam-proxy", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the IAM proxy did not start")

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        handlers = [task for task in asyncio.all_tasks() if task is not current]
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    def stop(self) -> None:
        if self._loop is not None:
            loop = self._loop
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> ElastiCacheIamProxy:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
