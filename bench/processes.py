"""Child processes the benchmark starts, and their guaranteed cleanup.

Each child gets its own process group (so uvicorn's workers can be reached through their
supervisor's group id, which is the child's own PID) and dies with the orchestrator
(PR_SET_PDEATHSIG), so neither Ctrl-C nor a crash of the benchmark leaves servers behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Final

import httpx

LOOPBACK: Final = "127.0.0.1"
_PR_SET_PDEATHSIG: Final = 1


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedProcess:
    """A child process that is always stopped: SIGTERM, a grace period, then SIGKILL to its group."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        log_path: Path,
        pipes: bool = False,
    ) -> None:
        self.name = name
        self.log_path = log_path
        with log_path.open("w") as log:
            self.process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
                stdout=subprocess.PIPE if pipes else log,
                stderr=log,
                text=True,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # the orchestrator runs no threads
            )

    @property
    def pid(self) -> int:
        """The child's PID, which is also its process group id."""
        return self.process.pid

    def alive(self) -> bool:
        """True while the child has not exited."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        """The end of the child's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace: float = 15.0) -> int | None:
        """Stop the child (and anything left in its process group); returns its exit code."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(grace)
        # Workers orphaned by a supervisor that died stay in the group the child leads.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        return self.process.returncode

    def __enter__(self) -> ManagedProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def read_line(stream: IO[str], timeout: float) -> str:
    """One line from a child's stdout, or TimeoutError; '' at end of file."""
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        raise TimeoutError(f"no output within {timeout:g} s")
    return stream.readline()


def wait_until_healthy(process: ManagedProcess, url: str, timeout: float = 60.0) -> None:
    """Poll `url` until it answers 200; fail early with the log tail if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(
                f"{process.name} exited with {process.process.returncode}:\n{process.log_tail()}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} did not answer {url} within {timeout:g} s:\n{process.log_tail()}")


class Terminated(Exception):
    """The orchestrator received SIGTERM (turned into an exception so cleanup code runs)."""


def _raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated("received SIGTERM")


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM unwinds like Ctrl-C does, running every `finally` and `__exit__`."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
