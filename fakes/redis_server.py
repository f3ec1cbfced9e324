"""A private redis-server on loopback, for the tests and the benchmark of the fleet cache.

Not a fake: Debian's real `redis-server` (7.x, the protocol ElastiCache for Valkey speaks), started
on a free port without persistence (`--save '' --appendonly no`). Optionally TLS only (a
self-signed certificate for 127.0.0.1, made with openssl, which clients trust through
`SSL_CERT_FILE`) and ACL users (the default user is then turned off, and an `admin` user is added
for the test's own inspection). The test can freeze it (SIGSTOP), thaw it, kill it and restart it
on the same port, as the cache server would misbehave in production.

    with RedisServer(tmp_path) as cache:
        cache.url            # redis://127.0.0.1:PORT (rediss:// with tls=True)
        cache.freeze(); cache.thaw(); cache.kill(); cache.start()
        cache.keys("mcp-weather:*")
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Self

REDIS_SERVER: Final = shutil.which("redis-server") or "/usr/bin/redis-server"
#: The inspection user added next to ACL users (the default user is off then).
ADMIN_USER: Final = "admin"
ADMIN_PASSWORD: Final = "admin-password-for-tests-only"  # noqa: S105 (a loopback test server)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate (its own CA) for 127.0.0.1 and its key."""

    certificate: Path
    key: Path


def self_signed_tls(directory: Path) -> TlsFiles:
    """Make a certificate for IP 127.0.0.1 with openssl (valid one day)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "cache.crt", directory / "cache.key")
    request = "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    output = ["-keyout", str(files.key), "-out", str(files.certificate)]
    command = ["openssl", *request.split(), "-addext", "subjectAltName=IP:127.0.0.1", *output]
    subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603 (fixed arguments)
    return files


class RedisServer:
    """One redis-server process; `start` again after `kill` or `stop` reuses the same port."""

    def __init__(
        self,
        workdir: Path,
        *,
        tls: TlsFiles | None = None,
        users: Sequence[str] = (),
        port: int | None = None,
    ) -> None:
        self.workdir = workdir
        self.tls = tls
        self.users = tuple(users)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"redis-{self.port}.log"
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        command = [REDIS_SERVER, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.workdir), "--logfile", str(self.log_path)]
        if self.tls is not None:
            command += ["--port", "0", "--tls-port", str(self.port), "--tls-auth-clients", "no"]
            command += ["--tls-cert-file", str(self.tls.certificate), "--tls-key-file", str(self.tls.key)]
            command += ["--tls-ca-cert-file", str(self.tls.certificate)]
        else:
            command += ["--port", str(self.port)]
        if self.users:
            for rules in (*self.users, f"{ADMIN_USER} on >{ADMIN_PASSWORD} ~* &* +@all", "default off"):
                name, *rest = rules.split()
                command += ["--user", name, *rest]
        return command

    def start(self, timeout: float = 15) -> None:
        """Start (or start again) and wait until it answers PING."""
        self.process = subprocess.Popen(  # noqa: S603 (redis-server with arguments built here)
            self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                log = self.log_path.read_text() if self.log_path.exists() else ""
                raise RuntimeError(f"redis-server exited with {self.process.returncode}:\n{log}")
            try:
                if self.client().ping():
                    return
            except Exception:  # not listening yet
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"redis-server did not answer within {timeout} s") from None
                time.sleep(0.05)

    def client(self) -> Any:
        """A synchronous redis-py client for the test's own reads (admin when ACL users are set)."""
        import redis

        options: dict[str, Any] = {"socket_timeout": 2, "socket_connect_timeout": 2, "decode_responses": True}
        if self.tls is not None:
            options |= {"ssl": True, "ssl_ca_certs": str(self.tls.certificate)}
        if self.users:
            options |= {"username": ADMIN_USER, "password": ADMIN_PASSWORD}
        return redis.Redis(host="127.0.0.1", port=self.port, **options)

    def keys(self, pattern: str = "*") -> list[str]:
        """The keys matching `pattern`, sorted."""
        with self.client() as client:
            return sorted(client.keys(pattern))

    def flush(self) -> None:
        """Forget every key."""
        with self.client() as client:
            client.flushall()

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections, nothing answers."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after `freeze`."""
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL and wait: the port refuses connections until `start`."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # a frozen process dies too
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        """Stop for good (SIGTERM, then SIGKILL if it lingers)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def _signal(self, signum: signal.Signals) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError("redis-server is not running")
        os.kill(self.process.pid, signum)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
