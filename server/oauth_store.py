"""The OAuth state store: what FastMCP's proxy keeps, encrypted, plus the rules this server adds to it.

The proxy keeps registrations, pending sign-ins, codes and token mappings in one py-key-value store:
in memory for one local process, or a DynamoDB table shared by every worker of every task. Stacked,
outermost first:

    FastMCP's PydanticAdapters -> FernetEncryptionWrapper -> OAuthState -> AtomicDynamoDBStore
                                                                       (or AtomicMemoryStore)

`OAuthState` sits under the encryption, so it only ever sees ciphertext, and adds:

- authorization codes are read once: the first read of a code removes it atomically (a conditional
  delete on DynamoDB), so two token requests racing with one code on two tasks cannot both get it;
  the rest of that same request reads the copy it took;
- a registration without an expiry gets 30 days (renewed on use by `server.oauth`);
- any failure to reach the store is noted for the request (`server.oauth_faults`) and raised as
  `StoreUnavailable`, so the edge answers 503 instead of a 500 page or a 401 that discards a token.

It also offers the two atomic operations the proxy's callers need beyond get/put/delete: `take`
(remove and return) and `increment` (a counter shared by every task, for rate limits).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, Final, Protocol, SupportsFloat

from key_value.aio.protocols import AsyncKeyValue
from key_value.aio.stores.memory import MemoryStore
from key_value.aio.wrappers.base import BaseWrapper
from key_value.aio.wrappers.encryption import FernetEncryptionWrapper

from server.logs import OAUTH_LOGGER, get_logger
from server.oauth_faults import Fault, note

log = get_logger(OAUTH_LOGGER)

# FastMCP's collection names (fastmcp/server/auth/oauth_proxy/proxy.py).
REGISTRATIONS: Final = "mcp-oauth-proxy-clients"
AUTHORIZATION_CODES: Final = "mcp-authorization-codes"
REFRESH_TOKENS: Final = "mcp-refresh-tokens"
UPSTREAM_TOKENS: Final = "mcp-upstream-tokens"
# This server's own collections.
#: Refresh tokens rotated away, by hash, with the grant they belonged to (reuse detection).
ROTATED_REFRESH_TOKENS: Final = "mcp-rotated-refresh-tokens"
#: Counters of the per-address registration limit.
RATE_COUNTERS: Final = "mcp-rate-counters"

#: A registration nobody uses expires after this long (each authorization or token request renews it).
REGISTRATION_TTL_SECONDS: Final = 30 * 86400

#: The DynamoDB client gives up quickly: an unreachable table answers 503 within seconds, not minutes.
DYNAMODB_CONNECT_TIMEOUT_SECONDS: Final = 2
DYNAMODB_READ_TIMEOUT_SECONDS: Final = 3
DYNAMODB_MAX_ATTEMPTS: Final = 2

#: Salt of the storage encryption key derivation (a fixed, public label; the key is the secret).
STORAGE_KEY_SALT: Final = "mcp-weather-oauth-store"


class StoreUnavailable(Exception):
    """The shared OAuth store could not be read or written (the request cannot go on)."""


class AtomicStore(AsyncKeyValue, Protocol):
    """A py-key-value store that can also remove-and-return and count atomically."""

    async def take(self, key: str, *, collection: str) -> dict[str, Any] | None:
        """Remove the entry and return its value; None if it was absent (or already taken)."""
        ...

    async def increment(self, key: str, *, collection: str, ttl: float) -> int:
        """Add one to a counter (created with `ttl` seconds to live) and return its new value."""
        ...


class AtomicMemoryStore(MemoryStore):
    """One process's store. The memory store serves one worker only, so a lock in it is enough."""

    def __init__(self) -> None:
        super().__init__()
        self._take_lock = asyncio.Lock()
        self._counters: dict[tuple[str, str], tuple[int, float]] = {}

    async def take(self, key: str, *, collection: str) -> dict[str, Any] | None:
        """Remove and return, under a lock: no other take sees the entry in between."""
        async with self._take_lock:
            value = await self.get(key, collection=collection)
            if value is not None:
                await self.delete(key, collection=collection)
            return value

    async def increment(self, key: str, *, collection: str, ttl: float) -> int:
        """Count in process memory; expired counters are dropped as new ones arrive."""
        now = time.time()
        if len(self._counters) > 4096:
            self._counters = {k: v for k, v in self._counters.items() if v[1] > now}
        count, expires_at = self._counters.get((collection, key), (0, 0.0))
        if expires_at <= now:
            count, expires_at = 0, now + ttl
        self._counters[(collection, key)] = (count + 1, expires_at)
        return count + 1


def _dynamodb_store_class() -> type[AtomicStore]:
    """AtomicDynamoDBStore, defined on first use: it needs aiobotocore, loaded only with a table."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session
    from key_value.aio.stores.dynamodb import DynamoDBStore

    class AtomicDynamoDBStore(DynamoDBStore):
        """py-key-value's DynamoDB store with bounded timeouts, a table Terraform owns, and
        conditional writes for take and increment."""

        def __init__(self, *, table_name: str, region_name: str | None) -> None:
            super().__init__(table_name=table_name, region_name=region_name, auto_create=False)
            self._region = region_name

        async def _setup(self) -> None:
            # The base class would create the client with botocore's defaults (60 s connect timeout,
            # retries) and enable TTL itself; the table and its TTL belong to Terraform.
            config = AioConfig(
                connect_timeout=DYNAMODB_CONNECT_TIMEOUT_SECONDS,
                read_timeout=DYNAMODB_READ_TIMEOUT_SECONDS,
                retries={"max_attempts": DYNAMODB_MAX_ATTEMPTS, "mode": "standard"},
            )
            client_context = get_session().create_client("dynamodb", region_name=self._region, config=config)
            try:
                self._client = await self._exit_stack.enter_async_context(client_context)
                await self._client.describe_table(TableName=self._table_name)
            except Exception:
                self._client = None
                raise

        def _item_key(self, key: str, collection: str) -> dict[str, Any]:
            return {"collection": {"S": collection}, "key": {"S": key}}

        async def take(self, key: str, *, collection: str) -> dict[str, Any] | None:
            """Delete only if present and return the old item: exactly one caller gets it."""
            await self.setup()
            client = self._connected_client
            try:
                response = await client.delete_item(
                    TableName=self._table_name,
                    Key=self._item_key(key, collection),
                    ConditionExpression="attribute_exists(#key)",
                    ExpressionAttributeNames={"#key": "key"},
                    ReturnValues="ALL_OLD",
                )
            except client.exceptions.ConditionalCheckFailedException:
                return None
            item = response.get("Attributes") or {}
            stored = item.get("value", {}).get("S")
            if not stored:
                return None
            expires_at = item.get("ttl", {}).get("N")
            # DynamoDB removes expired items lazily (within days of their ttl): past it, they are gone.
            if expires_at is not None and int(expires_at) <= time.time():
                return None
            entry = self._serialization_adapter.load_json(json_str=stored)
            return dict(entry.value)

        async def increment(self, key: str, *, collection: str, ttl: float) -> int:
            """ADD on one item: DynamoDB serializes the updates, every task sees one count."""
            await self.setup()
            response = await self._connected_client.update_item(
                TableName=self._table_name,
                Key=self._item_key(key, collection),
                UpdateExpression="ADD #count :one SET #ttl = if_not_exists(#ttl, :expires)",
                ExpressionAttributeNames={"#count": "count", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":expires": {"N": str(int(time.time() + ttl))},
                },
                ReturnValues="UPDATED_NEW",
            )
            return int(response["Attributes"]["count"]["N"])

    return AtomicDynamoDBStore  # type: ignore[return-value]


# What this request has taken, by (collection, key): the rest of the request reads that copy.
_taken: ContextVar[Mapping[tuple[str, str], dict[str, Any]]] = ContextVar(
    "oauth_taken", default=MappingProxyType({})
)

#: Collections whose entries are removed by their first read (see the module docstring).
_READ_ONCE: Final = frozenset({AUTHORIZATION_CODES})


class OAuthState(BaseWrapper):
    """The rules this server adds under FastMCP's use of the store (see the module docstring)."""

    def __init__(self, store: AtomicStore) -> None:
        self.key_value: AtomicStore = store
        super().__init__()

    async def _guarded(self, operation: str, call: Any) -> Any:
        try:
            return await call
        except StoreUnavailable:
            raise
        except Exception as error:
            note(Fault.STORE_UNAVAILABLE)
            log.error("oauth_store_unavailable", operation=operation, error=type(error).__name__)
            raise StoreUnavailable(f"the OAuth store failed during {operation}") from error

    async def take(self, key: str, *, collection: str) -> dict[str, Any] | None:
        """Remove and return an entry (raw, as stored: encrypted values stay encrypted)."""
        return await self._guarded("take", self.key_value.take(key, collection=collection))

    async def increment(self, key: str, *, collection: str, ttl: float) -> int:
        """Add one to a shared counter and return its new value."""
        return await self._guarded("increment", self.key_value.increment(key, collection=collection, ttl=ttl))

    async def get(self, key: str, *, collection: str | None = None) -> dict[str, Any] | None:
        """A read; the first read of an authorization code removes it (see the module docstring)."""
        if collection not in _READ_ONCE:
            return await self._guarded("get", self.key_value.get(key, collection=collection))
        taken = _taken.get()
        if (collection, key) in taken:
            return taken[(collection, key)]
        value = await self.take(key, collection=collection)
        if value is not None:
            _taken.set(MappingProxyType({**taken, (collection, key): value}))
        return value

    async def get_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[dict[str, Any] | None]:
        return [await self.get(key, collection=collection) for key in keys]

    async def ttl(
        self, key: str, *, collection: str | None = None
    ) -> tuple[dict[str, Any] | None, float | None]:
        return await self._guarded("ttl", self.key_value.ttl(key, collection=collection))

    async def ttl_many(
        self, keys: Sequence[str], *, collection: str | None = None
    ) -> list[tuple[dict[str, Any] | None, float | None]]:
        return await self._guarded("ttl", self.key_value.ttl_many(keys, collection=collection))

    async def put(
        self,
        key: str,
        value: Mapping[str, Any],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        """A write; registrations stored without an expiry get REGISTRATION_TTL_SECONDS."""
        if collection == REGISTRATIONS and ttl is None:
            ttl = REGISTRATION_TTL_SECONDS
        await self._guarded("put", self.key_value.put(key, value, collection=collection, ttl=ttl))

    async def put_many(
        self,
        keys: Sequence[str],
        values: Sequence[Mapping[str, Any]],
        *,
        collection: str | None = None,
        ttl: SupportsFloat | None = None,
    ) -> None:
        for key, value in zip(keys, values, strict=True):
            await self.put(key, value, collection=collection, ttl=ttl)

    async def delete(self, key: str, *, collection: str | None = None) -> bool:
        """A delete; a code this request took is already gone."""
        if (collection, key) in _taken.get():
            return True
        return bool(await self._guarded("delete", self.key_value.delete(key, collection=collection)))

    async def delete_many(self, keys: Sequence[str], *, collection: str | None = None) -> int:
        return sum([await self.delete(key, collection=collection) for key in keys])


def open_oauth_state(table: str | None, region: str | None) -> OAuthState:
    """The unencrypted-side store: DynamoDB `table` (shared by every task) or process memory."""
    store: AtomicStore = (
        AtomicMemoryStore()
        if table is None
        else _dynamodb_store_class()(table_name=table, region_name=region)
    )
    return OAuthState(store)


def encrypted(state: OAuthState, key: str) -> FernetEncryptionWrapper:
    """`state` behind Fernet encryption with a key derived from `key` (what FastMCP is given)."""
    # A value that no longer decrypts (the storage key was rotated) reads as absent: the client
    # registers and signs in again instead of failing.
    return FernetEncryptionWrapper(
        state, source_material=key, salt=STORAGE_KEY_SALT, raise_on_decryption_error=False
    )
