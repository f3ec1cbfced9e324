"""The NWS answers shared by the uvicorn workers of one task, so a stale answer does not depend on
which worker takes the call.

Each worker keeps its in-process cache (`server.cache`, the fast path for hits); behind it sits this
shared layer: py-key-value's `DiskStore` (diskcache, i.e. SQLite, safe across processes) in one
directory that every worker of the process group opens. A worker that misses locally reads the
shared entry before asking NWS (so an answer one worker fetched serves the others), writes what it
fetches, and when NWS fails serves the shared entry, labelled stale, if it has none of its own.

The directory is made by `python -m server` for its workers (on /dev/shm when writable: the
container's root filesystem is read-only and /dev/shm is a RAM tmpfs) and removed when it exits.
The store is best effort: if it cannot be opened, or its reads or writes fail (full, unreadable),
the worker carries on with its own cache and says so in one warning per kind of failure
(`FailureReport`), repeated at most every few minutes while it lasts: never a line per call.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic

from pydantic import TypeAdapter

from server.cache import V
from server.logs import SHARED_CACHE_LOGGER, get_logger

#: Bytes the shared store may use before diskcache evicts (Docker's default /dev/shm is 64 MiB).
MAX_BYTES: Final = 32 * 1024 * 1024
_PREFIX: Final = "mcp-weather-cache-"

log = get_logger(SHARED_CACHE_LOGGER)


@dataclass(frozen=True, slots=True)
class SharedEntry(Generic[V]):
    """A value from the shared store, with wall-clock times (the workers share no monotonic clock)."""

    value: V
    fetched_at: float
    fresh_until: float  # time.time() until which the entry is fresh

    def fresh_for(self) -> float:
        """Seconds it stays fresh from now (<= 0: stale)."""
        return self.fresh_until - time.time()


#: While an operation keeps failing, its warning is repeated at most this often (with a count).
REPORT_EVERY_SECONDS: Final = 300.0


class FailureReport:
    """How the failures of one shared store reach the log: a warning the first time an operation
    (open, read, write) fails, then at most one every REPORT_EVERY_SECONDS while failures go on,
    counting the ones in between. One per store, not per collection: a full store fails every
    collection's writes at once, and reads that still work do not make the next failure news."""

    def __init__(self, location: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._location = location
        self._clock = clock
        self._reported_at: dict[str, float] = {}
        self._unreported: dict[str, int] = {}

    def failed(self, operation: str, error: Exception) -> None:
        """Note one failure of `operation`; log it unless it was reported recently."""
        now = self._clock()
        last = self._reported_at.get(operation)
        if last is not None and now - last < REPORT_EVERY_SECONDS:
            self._unreported[operation] = self._unreported.get(operation, 0) + 1
            return
        self._reported_at[operation] = now
        log.warning(
            "shared_cache_error",
            operation=operation,
            location=self._location,
            error=f"{type(error).__name__}: {error}",
            failures_since_last_report=self._unreported.pop(operation, 0),
            message="the cache shared by this task's workers is failing; "
            "this worker answers from its own cache meanwhile",
        )


@dataclass(frozen=True, slots=True)
class SharedStore:
    """An open store the workers share (a py-key-value store) and the report of its failures."""

    kv: Any
    failures: FailureReport


class SharedLayer(Generic[V]):
    """One kind of answer (a collection) in the shared store; every failure is reported and swallowed."""

    def __init__(self, store: SharedStore, collection: str, adapter: TypeAdapter[V]) -> None:
        self._kv = store.kv
        self._failures = store.failures
        self._collection = collection
        self._adapter = adapter

    async def get(self, key: str) -> SharedEntry[V] | None:
        """The entry for `key`, fresh or stale, or None."""
        try:
            raw = await self._kv.get(key=key, collection=self._collection)
            if raw is None:
                return None
            return SharedEntry(
                self._adapter.validate_python(raw["value"]), raw["fetched_at"], raw["fresh_until"]
            )
        except Exception as error:
            self._failures.failed("read", error)
            return None

    async def put(self, key: str, value: V, *, fetched_at: float, fresh_for: float, keep_for: float) -> None:
        """Store `value` for `keep_for` seconds, fresh for the first `fresh_for`."""
        document = {
            "value": self._adapter.dump_python(value, mode="json"),
            "fetched_at": fetched_at,
            "fresh_until": fetched_at + fresh_for,
        }
        try:
            await self._kv.put(key=key, value=document, collection=self._collection, ttl=keep_for)
        except Exception as error:
            self._failures.failed("write", error)


@asynccontextmanager
async def open_store(directory: str) -> AsyncIterator[SharedStore | None]:
    """The py-key-value DiskStore in `directory`, open until the block ends; None (reported) when it
    cannot be opened, so the worker starts anyway and answers from its own cache."""
    from key_value.aio.stores.disk import DiskStore

    failures = FailureReport(directory)
    try:
        kv = DiskStore(directory=directory, max_size=MAX_BYTES)  # creates the directory and database
    except Exception as error:
        failures.failed("open", error)
        yield None
        return
    async with kv:
        yield SharedStore(kv, failures)


def _base_directory() -> str | None:
    shm = Path("/dev/shm")  # noqa: S108 (a RAM tmpfs, private to the container)
    if shm.is_dir() and os.access(shm, os.W_OK):
        return str(shm)
    return None  # tempfile's default


@contextmanager
def process_group_directory() -> Iterator[str]:
    """A fresh directory for the workers of this process group, removed afterwards."""
    directory = tempfile.mkdtemp(prefix=_PREFIX, dir=_base_directory())
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
