"""The layer behind each worker's in-process cache, shared by more than one process.

Each worker keeps its in-process cache (`server.cache`, the fast path for hits); behind it sits one
of two shared stores, both py-key-value stores holding the same documents:

- per task (`NWS_SHARED_CACHE_DIR`): py-key-value's `DiskStore` (diskcache, i.e. SQLite, safe across
  processes) in one directory that every worker of the process group opens. `python -m server`
  makes it for its workers (on /dev/shm when writable: the container's root filesystem is
  read-only and /dev/shm is a RAM tmpfs) and removes it when it exits;
- per fleet (`MCP_SHARED_CACHE_URL`): a Valkey/Redis server every worker of every task shares
  (`server.fleet_cache`), which replaces the per-task directory.

A worker that misses locally reads the shared entry before asking the upstream (so an answer one
process fetched serves the others), writes what it fetches, and when the upstream fails serves the
shared entry, labelled stale, if it has none of its own. The store is best effort: a store that
cannot be opened, or whose reads or writes fail, leaves the worker answering from its own cache and
the upstream; each failure is noted on the tool call (the `SharedCacheUnavailable` metric), and the
log gets one warning per kind of operation (`FailureReport`), repeated at most every few minutes
while it lasts, with a count: never a line per call.

Clients get their layers from a `SharedLayers` factory, one layer per collection (kind of answer):
`layers.layer("forecasts", GridForecast)`. `open_shared_layers(settings)` picks the store.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from server.breaker import CircuitBreaker, CircuitOpen
from server.cache import ResponseCache, Shared, V
from server.call_record import record_shared_cache_unavailable
from server.logs import SHARED_CACHE_LOGGER, get_logger
from server.settings import ServerSettings

#: Bytes the shared store may use before diskcache evicts (Docker's default /dev/shm is 64 MiB).
MAX_BYTES: Final = 32 * 1024 * 1024
_PREFIX: Final = "mcp-weather-cache-"

T = TypeVar("T")

log = get_logger(SHARED_CACHE_LOGGER)


@dataclass(frozen=True, slots=True)
class SharedEntry(Generic[V]):
    """A value from the shared store, with wall-clock times (the processes share no monotonic clock)."""

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
    (open, read, write, claim) fails, then at most one every REPORT_EVERY_SECONDS while failures go
    on, counting the ones in between; an info line when that operation works again. One per store,
    not per collection: a full store fails every collection's writes at once, and reads that still
    work do not make the next write failure news."""

    def __init__(
        self, location: str, *, store: str = "task", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._location = location
        self._store = store
        self.clock = clock
        self._failing_since: dict[str, float] = {}
        self._reported_at: dict[str, float] = {}
        self._unreported: dict[str, int] = {}

    def failed(self, operation: str, error: BaseException, *, detail: str = "") -> None:
        """Note one failure of `operation`; log it unless it was reported recently."""
        now = self.clock()
        self._failing_since.setdefault(operation, now)
        last = self._reported_at.get(operation)
        if last is not None and now - last < REPORT_EVERY_SECONDS:
            self._unreported[operation] = self._unreported.get(operation, 0) + 1
            return
        self._reported_at[operation] = now
        text = str(error) or detail
        log.warning(
            "shared_cache_error",
            store=self._store,
            operation=operation,
            location=self._location,
            error=f"{type(error).__name__}: {text}" if text else type(error).__name__,
            failures_since_last_report=self._unreported.pop(operation, 0),
            message="the shared cache is failing; this worker answers from its own cache meanwhile",
        )

    def succeeded(self, operation: str) -> None:
        """Note that `operation` worked; if it had been failing, say it recovered."""
        since = self._failing_since.pop(operation, None)
        if since is None:
            return
        self._reported_at.pop(operation, None)
        self._unreported.pop(operation, None)
        log.info(
            "shared_cache_recovered",
            store=self._store,
            operation=operation,
            location=self._location,
            unavailable_seconds=round(self.clock() - since, 1),
        )


class StoreGuard:
    """How the failures of one shared store are handled, for every collection using it.

    Each operation is bounded by `timeout` (None: unbounded, the local directory's case). A failure
    goes to the store's `FailureReport` and is noted on the tool call. With `pause_seconds`, a failure
    also pauses the store: operations are skipped at once (the call goes on without the shared
    cache) until the pause ends, then one operation probes the store (the circuit breaker's
    half-open state) and its success resumes it. So a frozen or dead cache server costs each
    worker one timeout per pause, not one per operation, and nothing is retried in a loop.
    """

    def __init__(
        self,
        report: FailureReport,
        *,
        timeout: float | None = None,
        pause_seconds: float | None = None,
    ) -> None:
        self._report = report
        self._timeout = timeout
        self._breaker = (
            CircuitBreaker(failures=1, open_seconds=pause_seconds, clock=report.clock)
            if pause_seconds
            else None
        )

    @property
    def available(self) -> bool:
        """False while the store is paused after a failure (before its probe)."""
        return self._breaker is None or self._breaker.state != "open"

    async def run(self, operation: str, call: Callable[[], Awaitable[T]], failed: T) -> T:
        """`call()`'s result, or `failed` when the store is paused, fails or takes too long."""
        probe = False
        if self._breaker is not None:
            try:
                probe = self._breaker.before_request()
            except CircuitOpen:
                record_shared_cache_unavailable()
                return failed
        try:
            async with asyncio.timeout(self._timeout) if self._timeout is not None else nullcontext():
                result = await call()
        except Exception as error:  # the store's errors are many (OS, protocol, auth, timeouts)
            self._failed(operation, error)
            return failed
        except BaseException:
            if probe and self._breaker is not None:
                self._breaker.release_probe()
            raise
        self._succeeded(operation)
        return result

    def _failed(self, operation: str, error: BaseException) -> None:
        record_shared_cache_unavailable()
        timed_out = f"no answer within {self._timeout:g} s" if self._timeout else ""
        self._report.failed(operation, error, detail=timed_out)
        if self._breaker is not None:
            self._breaker.record_failure()

    def _succeeded(self, operation: str) -> None:
        self._report.succeeded(operation)
        if self._breaker is not None:
            self._breaker.record_success()


class SharedLayer(Generic[V]):
    """One kind of answer (a collection) in a py-key-value store; failures go to the store's guard."""

    def __init__(
        self, store: Any, collection: str, adapter: TypeAdapter[V], guard: StoreGuard | None = None
    ) -> None:
        self._store = store
        self._collection = collection
        self._adapter = adapter
        self._guard = guard or StoreGuard(FailureReport(collection))

    async def get(self, key: str) -> SharedEntry[V] | None:
        """The entry for `key`, fresh or stale, or None (also when the store is unavailable)."""
        raw = await self._guard.run(
            "read", lambda: self._store.get(key=key, collection=self._collection), failed=None
        )
        if raw is None:
            return None
        try:
            value = self._adapter.validate_python(raw["value"])
            return SharedEntry(value, raw["fetched_at"], raw["fresh_until"])
        except (ValidationError, KeyError, TypeError):
            # Another release's document (a rolling deploy): a miss, overwritten by this fetch.
            return None

    async def put(self, key: str, value: V, *, fetched_at: float, fresh_for: float, keep_for: float) -> None:
        """Store `value` for `keep_for` seconds, fresh for the first `fresh_for`."""
        document = {
            "value": self._adapter.dump_python(value, mode="json"),
            "fetched_at": fetched_at,
            "fresh_until": fetched_at + fresh_for,
        }
        await self._guard.run(
            "write",
            lambda: self._store.put(key=key, value=document, collection=self._collection, ttl=keep_for),
            failed=None,
        )


#: What makes a collection's layer from its name and the adapter of its kind.
LayerMaker = Callable[[str, TypeAdapter[Any]], Shared[Any]]


class SharedLayers:
    """The factory the upstream clients call once per cache (collection): the shared layer of that
    collection, or None when there is no shared store. One store (one guard) serves them all."""

    def __init__(self, make: LayerMaker | None = None) -> None:
        self._make = make

    @property
    def enabled(self) -> bool:
        """True when there is a shared store behind the caches."""
        return self._make is not None

    def layer(self, collection: str, kind: Any) -> Shared[Any] | None:
        """The shared layer for the answers of type `kind` kept under `collection`."""
        if self._make is None:
            return None
        return self._make(collection, TypeAdapter(kind))

    def response_cache(
        self, collection: str, kind: Any, settings: ServerSettings, clock: Callable[[], float]
    ) -> ResponseCache[Any]:
        """A worker's cache of `kind` answers kept under `collection`, bounded by the settings' entry
        count and byte budget (an entry counts its answer's JSON length), this collection's shared
        layer behind it (none without a shared store)."""
        adapter: TypeAdapter[Any] = TypeAdapter(kind)
        return ResponseCache(
            maxsize=settings.cache_max_entries,
            stale_window=settings.stale_window_seconds,
            enabled=settings.cache_enabled,
            clock=clock,
            shared=self.layer(collection, kind),
            max_bytes=int(settings.cache_max_mib * 1024 * 1024),
            size_of=lambda value: len(adapter.dump_json(value)),
        )


#: No shared store: each worker keeps its own cache only.
NO_SHARED_LAYERS: Final = SharedLayers()


@asynccontextmanager
async def open_shared_layers(settings: ServerSettings) -> AsyncIterator[SharedLayers]:
    """The process's shared layers for `settings`: the fleet cache server (MCP_SHARED_CACHE_URL),
    else the task's directory (NWS_SHARED_CACHE_DIR), else none. Open once per worker and give the
    same factory to every upstream client, so they share one connection pool and one guard."""
    if not settings.cache_enabled:
        yield NO_SHARED_LAYERS
    elif settings.shared_cache_url is not None:
        from server.fleet_cache import open_fleet_layers  # redis-py only where it is used

        async with open_fleet_layers(settings) as layers:
            yield layers
    elif settings.shared_cache_dir is not None:
        async with open_store(settings.shared_cache_dir) as store:
            if store is None:  # reported: the worker answers from its own cache
                yield NO_SHARED_LAYERS
            else:
                yield SharedLayers(
                    lambda collection, adapter: SharedLayer(store.kv, collection, adapter, store.guard)
                )
    else:
        yield NO_SHARED_LAYERS


@dataclass(frozen=True, slots=True)
class SharedStore:
    """An open store the workers share (a py-key-value store) and the guard of its operations."""

    kv: Any
    guard: StoreGuard


@asynccontextmanager
async def open_store(directory: str) -> AsyncIterator[SharedStore | None]:
    """The py-key-value DiskStore in `directory`, open until the block ends; None (reported) when it
    cannot be opened, so the worker starts anyway and answers from its own cache."""
    from key_value.aio.stores.disk import DiskStore

    report = FailureReport(directory)
    try:
        kv = DiskStore(directory=directory, max_size=MAX_BYTES)  # creates the directory and database
    except Exception as error:
        report.failed("open", error)
        yield None
        return
    async with kv:
        yield SharedStore(kv, StoreGuard(report))


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
