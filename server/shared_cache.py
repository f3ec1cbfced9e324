"""The NWS answers shared by the uvicorn workers of one task, so a stale answer does not depend on
which worker takes the call.

Each worker keeps its in-process cache (`server.cache`, the fast path for hits); behind it sits this
shared layer: py-key-value's `DiskStore` (diskcache, i.e. SQLite, safe across processes) in one
directory that every worker of the process group opens. A worker that misses locally reads the
shared entry before asking NWS (so an answer one worker fetched serves the others), writes what it
fetches, and when NWS fails serves the shared entry, labelled stale, if it has none of its own.

The directory is made by `python -m server` for its workers (on /dev/shm when writable: the
container's root filesystem is read-only and /dev/shm is a RAM tmpfs) and removed when it exits.
The store is best effort: if it fails (full, unreadable), the worker logs it and carries on with
its own cache.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


class SharedLayer(Generic[V]):
    """One kind of answer (a collection) in the shared store; every failure is logged and swallowed."""

    def __init__(self, store: Any, collection: str, adapter: TypeAdapter[V]) -> None:
        self._store = store
        self._collection = collection
        self._adapter = adapter
        self._failing = False

    async def get(self, key: str) -> SharedEntry[V] | None:
        """The entry for `key`, fresh or stale, or None."""
        try:
            raw = await self._store.get(key=key, collection=self._collection)
            if raw is None:
                return None
            entry = SharedEntry(
                self._adapter.validate_python(raw["value"]), raw["fetched_at"], raw["fresh_until"]
            )
        except Exception as error:
            self._failed("read", error)
            return None
        self._failing = False
        return entry

    async def put(self, key: str, value: V, *, fetched_at: float, fresh_for: float, keep_for: float) -> None:
        """Store `value` for `keep_for` seconds, fresh for the first `fresh_for`."""
        document = {
            "value": self._adapter.dump_python(value, mode="json"),
            "fetched_at": fetched_at,
            "fresh_until": fetched_at + fresh_for,
        }
        try:
            await self._store.put(key=key, value=document, collection=self._collection, ttl=keep_for)
        except Exception as error:
            self._failed("write", error)
            return
        self._failing = False

    def _failed(self, operation: str, error: Exception) -> None:
        if not self._failing:  # once per run of failures, not once per call
            log.warning("shared_cache_error", operation=operation, error=f"{type(error).__name__}: {error}")
        self._failing = True


def open_store(directory: str) -> Any:
    """The py-key-value DiskStore in `directory` (use it as an async context manager)."""
    from key_value.aio.stores.disk import DiskStore

    return DiskStore(directory=directory, max_size=MAX_BYTES)


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
