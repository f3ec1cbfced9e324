"""The fleet cache: one Valkey/Redis server that every worker of every task shares
(`MCP_SHARED_CACHE_URL`; ElastiCache for Valkey when deployed with `shared_cache_enabled`).

The client is redis-py's asyncio client, configured for a cache that must never slow a tool call
down: one attempt per operation (no retries), connect and read timeouts of
`MCP_SHARED_CACHE_TIMEOUT_SECONDS`, a bounded connection pool, and the whole operation (connect,
TLS, authentication, command) bounded by the same timeout in the store's guard
(`server.shared_cache.StoreGuard`), which pauses the store after a failure and probes it again, so
a frozen or dead server costs each worker one timeout per pause.

Entries are py-key-value's `RedisStore` documents (the same ones the per-task `DiskStore` holds),
written on this client (`RedisStore(client=...)`), under keys starting with
`server.contract.SHARED_CACHE_KEY_PREFIX`. A key's entry lives for its freshness plus the stale
window, so any task can answer stale for a key another task fetched.

Misses coalesce across the fleet: before fetching, a process claims the key (`SET NX PX`, a lease
of one upstream request's retry budget plus `CLAIM_MARGIN_SECONDS`); the others poll for the entry
(every 20 ms at first, backing off to 200 ms) and take it as soon as it is stored, or fetch
themselves when the claim ends without one (the holder's fetch failed: it releases the claim) or
the lease runs out (a holder that died). The in-process cache already coalesces the callers of one
worker.

Authentication: none, a password (`MCP_SHARED_CACHE_USERNAME`/`MCP_SHARED_CACHE_PASSWORD`, local
servers) or ElastiCache IAM tokens (`server.elasticache_iam`). Connections older than
`MAX_CONNECTION_AGE_SECONDS` are closed after their command, so each reconnect authenticates with a
current token well within ElastiCache's 12 hours.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final, Generic
from urllib.parse import urlsplit

from pydantic import TypeAdapter
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import Connection, SSLConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.credentials import CredentialProvider
from redis.exceptions import ReadOnlyError

from server.cache import V
from server.contract import SHARED_CACHE_KEY_PREFIX, SHARED_CACHE_PORT
from server.settings import ServerSettings
from server.shared_cache import FailureReport, SharedEntry, SharedLayer, SharedLayers, StoreGuard

#: After a failure the fleet cache is skipped this long (jittered by 20 %), then probed again: a
#: cache server that comes back is in use again within this (plus one call's wait).
PAUSE_SECONDS: Final = 2.0
#: Connections per worker; a call waits for a free one at most the operation timeout.
POOL_SIZE: Final = 32
#: Connections are closed after their command once this old, and re-authenticate on reconnect
#: (ElastiCache disconnects IAM-authenticated connections after 12 hours).
MAX_CONNECTION_AGE_SECONDS: Final = 11 * 3600
#: A claim on fetching a key outlasts its holder's fetch (one upstream request's retry budget) by
#: this much; waiting processes give up on the holder at the end of the claim.
CLAIM_MARGIN_SECONDS: Final = 1.0
#: How often a process waiting for another's fetch looks for the entry at first; the interval
#: grows by half each time up to CLAIM_POLL_MAX_SECONDS.
CLAIM_POLL_SECONDS: Final = 0.02
CLAIM_POLL_MAX_SECONDS: Final = 0.2


class _AgedConnectionMixin:
    """Marks a connection for closing (after its command) once it is older than `max_age`."""

    max_age: float = MAX_CONNECTION_AGE_SECONDS
    _authenticated_at: float | None = None

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        await super().on_connect_check_health(check_health)  # type: ignore[misc]
        self._authenticated_at = time.monotonic()

    def should_reconnect(self) -> bool:
        aged = self._authenticated_at is not None and time.monotonic() - self._authenticated_at > self.max_age
        return aged or super().should_reconnect()  # type: ignore[misc]


class AgedConnection(_AgedConnectionMixin, Connection):
    """A plain TCP connection with a maximum age."""


class AgedSSLConnection(_AgedConnectionMixin, SSLConnection):
    """A TLS connection with a maximum age."""


def credential_provider(settings: ServerSettings) -> CredentialProvider | None:
    """IAM tokens, a user/password pair, or nothing, as the settings say."""
    from redis.credentials import UsernamePasswordCredentialProvider

    if settings.shared_cache_iam_cache_name is not None:
        from server.elasticache_iam import ElastiCacheIamToken

        return ElastiCacheIamToken(
            user=settings.shared_cache_username or "",
            cache_name=settings.shared_cache_iam_cache_name,
            region=settings.aws_region or "",
        )
    if settings.shared_cache_password is not None:
        return UsernamePasswordCredentialProvider(
            settings.shared_cache_username, settings.shared_cache_password.get_secret_value()
        )
    return None


def fleet_client(
    settings: ServerSettings,
    *,
    credentials: CredentialProvider | None = None,
    max_connection_age: float = MAX_CONNECTION_AGE_SECONDS,
) -> Redis:
    """The redis-py client for MCP_SHARED_CACHE_URL: no retries, short timeouts, bounded pool."""
    url = settings.shared_cache_url
    if url is None:
        raise ValueError("no shared cache URL is set")
    parts = urlsplit(url)
    timeout = settings.shared_cache_timeout_seconds
    tls = parts.scheme == "rediss"
    connection_class: type[Connection] = type(
        "FleetConnection", (AgedSSLConnection if tls else AgedConnection,), {"max_age": max_connection_age}
    )
    options: dict[str, Any] = {}
    if tls:
        # Certificates are checked against the system's trust store (ElastiCache's are Amazon's).
        options = {"ssl_cert_reqs": "required", "ssl_check_hostname": True}
    pool = BlockingConnectionPool(
        connection_class=connection_class,
        max_connections=POOL_SIZE,
        timeout=timeout,
        host=parts.hostname,
        port=parts.port or SHARED_CACHE_PORT,
        db=int(parts.path.strip("/") or 0),
        credential_provider=credentials if credentials is not None else credential_provider(settings),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),  # one attempt: the guard pauses the store instead
        decode_responses=True,  # RedisStore reads str documents
        driver_info=None,  # no CLIENT SETINFO: the server's user may send only what it needs
        **options,
    )
    return Redis(connection_pool=pool)


class FleetClaim(Generic[V]):
    """A claim on fetching one key (see the module docstring); made by `FleetLayer.claim`."""

    def __init__(
        self, layer: FleetLayer[V], key: str, token: str, won: bool, ready: SharedEntry[V] | None = None
    ) -> None:
        self._layer = layer
        self._key = key
        self._token = token
        self._ready = ready
        self.won = won

    async def wait(self) -> SharedEntry[V] | None:
        """The entry the claim's holder stores, or None once the claim ends without one."""
        if self._ready is not None:
            return self._ready
        layer = self._layer
        deadline = time.monotonic() + layer.claim_seconds
        interval = layer.poll_seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, CLAIM_POLL_MAX_SECONDS)
            entry = await layer.get(self._key)
            if entry is not None and entry.fresh_for() > 0:
                return entry
            held = await layer.guard.run("claim", lambda: layer.client.exists(layer.claim_key(self._key)), 0)
            if not held:
                # Released (or expired) between the two reads: the entry may have landed just now.
                entry = await layer.get(self._key)
                return entry if entry is not None and entry.fresh_for() > 0 else None
        return None

    async def release(self) -> None:
        """End the claim (a claim past its lease may already belong to another process: at worst
        that process's waiters fetch once more themselves)."""
        layer = self._layer
        await layer.guard.run("claim", lambda: layer.client.delete(layer.claim_key(self._key)), None)


class FleetLayer(SharedLayer[V]):
    """A collection in the fleet cache: the shared layer, plus claims that coalesce misses."""

    def __init__(
        self,
        store: Any,
        client: Redis,
        collection: str,
        adapter: TypeAdapter[V],
        guard: StoreGuard,
        *,
        claim_seconds: float,
        poll_seconds: float = CLAIM_POLL_SECONDS,
    ) -> None:
        super().__init__(store, collection, adapter, guard)
        self.client = client
        self.guard = guard
        self.claim_seconds = claim_seconds
        self.poll_seconds = poll_seconds
        self._claim_prefix = f"{SHARED_CACHE_KEY_PREFIX}claim:{collection}::"

    def claim_key(self, key: str) -> str:
        """Where the claim on fetching `key` lives."""
        return self._claim_prefix + key

    async def claim(self, key: str) -> FleetClaim[V] | None:
        """Claim the fetch of `key` for this process; None when the cache is unavailable."""
        if not self.guard.available:
            return None
        token = secrets.token_hex(8)
        lease_ms = int(self.claim_seconds * 1000)
        outcome = await self.guard.run(
            "claim", lambda: self.client.set(self.claim_key(key), token, nx=True, px=lease_ms), "failed"
        )
        if outcome == "failed":
            return None
        claim = FleetClaim(self, key, token, won=bool(outcome))
        if claim.won:
            # Another process may have stored the entry and released its claim between this
            # process's read and its claim: look once more before fetching.
            entry = await self.get(key)
            if entry is not None and entry.fresh_for() > 0:
                await claim.release()
                return FleetClaim(self, key, token, won=False, ready=entry)
        return claim


class _ReadOnlyAware:
    """Wraps the RedisStore so that a write refused by a replica (after a failover the old primary's
    connections may reach a node that is now a replica) drops the pool's connections: the next
    ones resolve the primary endpoint's DNS name again and reach the new primary."""

    def __init__(self, store: Any, client: Redis) -> None:
        self._store = store
        self._client = client

    async def get(self, **kwargs: Any) -> Any:
        return await self._store.get(**kwargs)

    async def put(self, **kwargs: Any) -> None:
        try:
            await self._store.put(**kwargs)
        except ReadOnlyError:
            await self._client.connection_pool.disconnect()
            raise


@asynccontextmanager
async def open_fleet_layers(
    settings: ServerSettings, *, client: Redis | None = None, **layer_options: Any
) -> AsyncIterator[SharedLayers]:
    """The fleet cache's layers for one worker process; its connections are closed on exit.

    Nothing is contacted here: the first operation connects, and a server that is down at start
    is handled like one that goes down later.
    """
    from key_value.aio.stores.redis import RedisStore

    client = client if client is not None else fleet_client(settings)
    parts = urlsplit(settings.shared_cache_url or "")
    # host:port only: the URL holds no credentials (refused in the settings), but say only where.
    report = FailureReport(f"{parts.hostname}:{parts.port or SHARED_CACHE_PORT}", store="fleet")
    guard = StoreGuard(report, timeout=settings.shared_cache_timeout_seconds, pause_seconds=PAUSE_SECONDS)
    # client=...: the store uses this client as it is and leaves its lifecycle to us.
    store = _ReadOnlyAware(RedisStore(client=client), client)

    # A holder's fetch is one upstream request within its retry budget; the claim outlasts it.
    options = {"claim_seconds": settings.retry_budget_seconds + CLAIM_MARGIN_SECONDS, **layer_options}

    def make(collection: str, adapter: TypeAdapter[Any]) -> SharedLayer[Any]:
        name = SHARED_CACHE_KEY_PREFIX + collection
        if not settings.shared_cache_coalesce:  # no claims: concurrent misses each fetch
            return SharedLayer(store, name, adapter, guard)
        return FleetLayer(store, client, name, adapter, guard, **options)

    try:
        yield SharedLayers(make)
    finally:
        await client.aclose()
