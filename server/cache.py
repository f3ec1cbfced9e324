"""An in-process response cache: per-entry TTL, bounded size, request coalescing, stale-if-error.

Storage and eviction are cachetools' `TLRUCache` (each entry carries its own expiry, the least
recently used entry goes first when full). What no caching library offers for asyncio is written
here: concurrent misses for one key share a single fetch, and an entry past its freshness is kept
for a bounded stale window so it can be served when the upstream fails.

Optionally a `Shared` layer (see `server.shared_cache`) sits behind it: the store the workers of a
task, or every task of the fleet, share. A local miss reads it before fetching, a fetch writes to
it, and when the fetch fails its entry (fresh or stale) answers if this process has none of its own.
A shared layer that also implements `SharedClaims` (the fleet cache) coalesces misses across
processes: the first to claim a key fetches it, the others wait briefly for its answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

from cachetools import TLRUCache

V = TypeVar("V")

#: hit: fresh entry; miss: fetched now; coalesced: shared another caller's in-flight fetch;
#: stale: the fetch failed and an older entry within the stale window was served;
#: bypass: caching is disabled.
CacheStatus = Literal["hit", "miss", "coalesced", "stale", "bypass"]


class StaleAllowed(Exception):
    """Mixin marker: a failure after which serving a stale entry is better than failing the call."""


@dataclass(frozen=True, slots=True)
class Entry(Generic[V]):
    """A cached value and the wall-clock time it was fetched."""

    value: V
    fetched_at: float  # time.time() when fetched: shown to users
    fresh_until: float  # on the cache's monotonic clock


@dataclass(frozen=True, slots=True)
class Lookup(Generic[V]):
    """What `get` returns: the value, where it came from, and when it was fetched."""

    value: V
    status: CacheStatus
    fetched_at: float


#: A fetch returns the value and how many seconds it stays fresh (0: do not keep it).
Fetch = Callable[[], Awaitable[tuple[V, float]]]


class SharedValue(Protocol[V]):
    """An entry of the shared layer: value, wall-clock fetch time, seconds of freshness left."""

    @property
    def value(self) -> V: ...

    @property
    def fetched_at(self) -> float: ...

    def fresh_for(self) -> float: ...


class Shared(Protocol[V]):
    """The shared layer's interface (implemented by `server.shared_cache.SharedLayer`)."""

    async def get(self, key: str) -> SharedValue[V] | None: ...

    async def put(
        self, key: str, value: V, *, fetched_at: float, fresh_for: float, keep_for: float
    ) -> None: ...


class Claim(Protocol[V]):
    """A claim on fetching one key for the whole fleet (see `SharedClaims`)."""

    @property
    def won(self) -> bool:
        """True: this process fetches the key and releases the claim afterwards."""
        ...

    async def wait(self) -> SharedValue[V] | None:
        """(Lost claims) the entry another process fetched, once it is stored; None when that
        process gave up or took too long (this one then fetches itself)."""
        ...

    async def release(self) -> None:
        """(Won claims) end the claim, after the fetched entry is stored or the fetch failed."""
        ...


@runtime_checkable
class SharedClaims(Protocol[V]):
    """A shared layer that lets one process fetch a missing key while the others wait for it."""

    async def claim(self, key: str) -> Claim[V] | None:
        """A claim on fetching `key`; None when claims are unavailable (fetch without one)."""
        ...


class ResponseCache(Generic[V]):
    """Cache for one kind of upstream answer (points, forecasts or alerts)."""

    def __init__(
        self,
        *,
        maxsize: int,
        stale_window: float,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        shared: Shared[V] | None = None,
        max_bytes: int | None = None,
        size_of: Callable[[V], int] | None = None,
    ) -> None:
        """`maxsize` entries at most; with `max_bytes` and `size_of` (an entry's size, e.g. its JSON
        length), also at most `max_bytes` of entries: every entry then costs at least
        `max_bytes // maxsize`, so both bounds hold. An entry larger than `max_bytes` is not kept."""
        self._enabled = enabled
        self._shared = shared if enabled else None
        self._claims = self._shared if isinstance(self._shared, SharedClaims) else None
        self._stale_window = stale_window
        self._clock = clock
        if max_bytes is not None and size_of is not None:
            floor = max(1, max_bytes // maxsize)
            self._entries: TLRUCache[Hashable, Entry[V]] = TLRUCache(
                maxsize=max_bytes,
                ttu=self._expiry,
                timer=clock,
                getsizeof=lambda entry: max(floor, size_of(entry.value)),
            )
        else:
            self._entries = TLRUCache(maxsize=maxsize, ttu=self._expiry, timer=clock)
        self._inflight: dict[Hashable, asyncio.Task[tuple[Entry[V], CacheStatus]]] = {}

    def _expiry(self, _key: Hashable, entry: Entry[V], _now: float) -> float:
        # Kept past freshness for the stale window, then dropped by the TLRU cache.
        return entry.fresh_until + self._stale_window

    def __len__(self) -> int:
        return len(self._entries)

    def has_entry(self, key: Hashable) -> bool:
        """True when an entry for `key` is kept, fresh or within its stale window."""
        return self._enabled and key in self._entries

    def clear(self) -> None:
        """Drop every entry (in-flight fetches finish and store their result)."""
        self._entries.clear()

    async def get(self, key: str, fetch: Fetch[V]) -> Lookup[V]:
        """The value for `key`: fresh from the cache, or fetched once however many callers ask at once."""
        if not self._enabled:
            value, _ttl = await fetch()
            return Lookup(value, "bypass", time.time())

        entry = self._entries.get(key)
        if entry is not None and self._clock() < entry.fresh_until:
            return Lookup(entry.value, "hit", entry.fetched_at)

        task = self._inflight.get(key)
        first = task is None
        if task is None:
            task = asyncio.ensure_future(self._refresh(key, fetch))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        try:
            # shield: a caller that gives up (cancelled) does not cancel the fetch others wait on.
            fresh, status = await asyncio.shield(task)
        except StaleAllowed:
            if entry is None:
                raise
            return Lookup(entry.value, "stale", entry.fetched_at)
        if status == "miss" and not first:
            status = "coalesced"
        return Lookup(fresh.value, status, fresh.fetched_at)

    def _finished(self, key: Hashable, task: asyncio.Task[tuple[Entry[V], CacheStatus]]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here, so an error nobody waited for is not logged as lost

    async def _refresh(self, key: str, fetch: Fetch[V]) -> tuple[Entry[V], CacheStatus]:
        shared = await self._shared.get(key) if self._shared is not None else None
        if shared is not None and shared.fresh_for() > 0:
            return self._adopt(key, shared), "hit"  # fetched by another process: a hit for this one
        claim = await self._claims.claim(key) if self._claims is not None else None
        if claim is None:
            return await self._fetch(key, fetch, shared)
        if not claim.won:
            fetched = await claim.wait()
            if fetched is not None and fetched.fresh_for() > 0:
                return self._adopt(key, fetched), "coalesced"  # another process's fetch, fleet-wide
            return await self._fetch(key, fetch, shared)  # it gave up or is slow: fetch here
        try:
            return await self._fetch(key, fetch, shared)
        finally:
            # After the put on success; after a failure it frees the waiters at once, not at the
            # end of the claim's lease.
            await claim.release()

    async def _fetch(
        self, key: str, fetch: Fetch[V], shared: SharedValue[V] | None
    ) -> tuple[Entry[V], CacheStatus]:
        try:
            value, ttl = await fetch()
        except StaleAllowed:
            if shared is None:
                raise
            return Entry(shared.value, shared.fetched_at, self._clock()), "stale"
        entry = Entry(value, time.time(), self._clock() + max(ttl, 0.0))
        if ttl > 0:
            self._keep(key, entry)
            if self._shared is not None:
                await self._shared.put(
                    key, value, fetched_at=entry.fetched_at, fresh_for=ttl, keep_for=ttl + self._stale_window
                )
        return entry, "miss"

    def _adopt(self, key: str, shared: SharedValue[V]) -> Entry[V]:
        """Keep another process's fresh entry locally for the rest of its freshness."""
        entry = Entry(shared.value, shared.fetched_at, self._clock() + shared.fresh_for())
        self._keep(key, entry)
        return entry

    def _keep(self, key: str, entry: Entry[V]) -> None:
        try:
            self._entries[key] = entry
        except ValueError:  # larger than the whole byte budget: served, not kept
            self._entries.pop(key, None)
