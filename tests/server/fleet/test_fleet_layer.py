"""The fleet layer against a real redis-server, in process: two independent clients stand for two
tasks. What is checked is what a caller notices: how many fetches reach the upstream, what each
"task" answers, and how many times a broken cache server is even tried."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
import pytest
from redis.credentials import UsernamePasswordCredentialProvider

from fakes.redis_server import RedisServer
from server.cache import ResponseCache, StaleAllowed
from server.call_record import recording
from server.contract import EnvVar
from server.fleet_cache import FleetLayer, fleet_client, open_fleet_layers
from server.settings import ServerSettings
from server.shared_cache import SharedLayers

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


class Upstream(Exception):
    """The stand-in upstream failed (a failure after which stale answers are allowed)."""


class UpstreamDown(Upstream, StaleAllowed):
    pass


def settings_for(cache: RedisServer, **env: str) -> ServerSettings:
    return ServerSettings(**{EnvVar.SHARED_CACHE_URL: cache.url, **env})


@asynccontextmanager
async def tasks(cache: RedisServer, count: int, **options: Any) -> AsyncIterator[list[SharedLayers]]:
    """`count` independent sets of layers (own client, pool and guard), like `count` tasks."""
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(open_fleet_layers(settings_for(cache), **options))
            for _ in range(count)
        ]


def response_cache(layers: SharedLayers, collection: str = "forecasts") -> ResponseCache[str]:
    return ResponseCache(maxsize=16, stale_window=900, shared=layers.layer(collection, str))


class CountingFetch:
    """A fetch that takes `seconds`, counts its calls, and can fail like an upstream outage."""

    def __init__(self, seconds: float = 0.0, ttl: float = 60.0) -> None:
        self.seconds, self.ttl, self.calls, self.failing = seconds, ttl, 0, False

    async def __call__(self) -> tuple[str, float]:
        self.calls += 1
        await anyio.sleep(self.seconds)
        if self.failing:
            raise UpstreamDown("upstream down")
        return f"answer {self.calls}", self.ttl


async def test_misses_for_one_key_coalesce_across_tasks(cache: RedisServer) -> None:
    fetch = CountingFetch(seconds=0.3)
    async with tasks(cache, 3) as fleet:
        caches = [response_cache(layers) for layers in fleet]
        results: list[Any] = []

        async def ask(one: ResponseCache[str]) -> None:
            results.append(await one.get("/gridpoints/TOP/32,81/forecast", fetch))

        async with anyio.create_task_group() as group:
            for one in caches * 2:  # two callers per task, all at once
                group.start_soon(ask, one)

    assert fetch.calls == 1
    assert {found.value for found in results} == {"answer 1"}
    assert sorted(found.status for found in results).count("miss") == 1


async def test_without_coalescing_each_task_fetches_a_concurrent_miss_itself(cache: RedisServer) -> None:
    fetch = CountingFetch(seconds=0.3)
    settings = settings_for(cache, **{EnvVar.SHARED_CACHE_COALESCE: "false"})
    async with AsyncExitStack() as stack:
        fleet = [await stack.enter_async_context(open_fleet_layers(settings)) for _ in range(3)]
        async with anyio.create_task_group() as group:
            for layers in fleet:
                group.start_soon(response_cache(layers).get, "/gridpoints/TOP/32,81/forecast", fetch)

    assert fetch.calls == 3  # what the claims save (previous test: 1)
    assert cache.keys("mcp-weather:claim:*") == []


async def test_a_key_fetched_by_one_task_is_a_hit_for_the_others(cache: RedisServer) -> None:
    fetch = CountingFetch()
    async with tasks(cache, 2) as (first, second):
        await response_cache(first).get("/alerts/active/area/KS", fetch)
        found = await response_cache(second).get("/alerts/active/area/KS", fetch)

    assert (found.value, found.status, fetch.calls) == ("answer 1", "hit", 1)


async def test_a_task_that_never_saw_a_key_answers_stale_for_it(cache: RedisServer) -> None:
    fetch = CountingFetch(ttl=1)
    async with tasks(cache, 2) as (first, second):
        await response_cache(first).get("/alerts/active/area/TX", fetch)
        await anyio.sleep(1.2)  # past its freshness, within the stale window
        fetch.failing = True
        found = await response_cache(second).get("/alerts/active/area/TX", fetch)

    assert (found.value, found.status, fetch.calls) == ("answer 1", "stale", 2)


async def test_a_failed_fetch_frees_the_waiting_tasks_to_fetch_themselves(cache: RedisServer) -> None:
    holder_fetch, waiter_fetch = CountingFetch(seconds=0.3), CountingFetch()
    holder_fetch.failing = True
    async with tasks(cache, 2) as (first, second):
        outcomes: dict[str, Any] = {}

        async def hold() -> None:
            try:
                await response_cache(first).get("k", holder_fetch)
            except Upstream as error:
                outcomes["holder"] = error

        async def wait() -> None:
            await anyio.sleep(0.05)  # the holder claims first
            outcomes["waiter"] = await response_cache(second).get("k", waiter_fetch)

        async with anyio.create_task_group() as group:
            group.start_soon(hold)
            group.start_soon(wait)

    assert isinstance(outcomes["holder"], UpstreamDown)
    assert (outcomes["waiter"].value, outcomes["waiter"].status) == ("answer 1", "miss")
    assert cache.keys("mcp-weather:claim:*") == []


async def test_a_claim_on_a_key_stored_meanwhile_takes_the_entry_instead_of_fetching(
    cache: RedisServer,
) -> None:
    async with tasks(cache, 1) as (layers,):
        layer = layers.layer("forecasts", str)
        assert isinstance(layer, FleetLayer)
        # The entry lands after this process's read missed and before it claims the key.
        await layer.put("k", "stored meanwhile", fetched_at=time.time(), fresh_for=60, keep_for=60)
        claim = await layer.claim("k")
        assert claim is not None
        found = await claim.wait()

    assert claim.won is False
    assert found is not None
    assert found.value == "stored meanwhile"
    assert cache.keys("mcp-weather:claim:*") == []


async def test_a_holder_that_never_finishes_delays_the_others_no_longer_than_its_claim(
    cache: RedisServer,
) -> None:
    fetch = CountingFetch()
    async with tasks(cache, 2, claim_seconds=0.5) as (first, second):
        layer = first.layer("forecasts", str)
        assert isinstance(layer, FleetLayer)
        claim = await layer.claim("k")  # a task that claims the key, then dies
        assert claim is not None
        assert claim.won
        found = await response_cache(second).get("k", fetch)

    assert (found.value, found.status, fetch.calls) == ("answer 1", "miss", 1)


async def test_a_frozen_cache_server_is_tried_once_per_pause_not_once_per_call(tmp_path: Any) -> None:
    fetch = CountingFetch()
    with RedisServer(tmp_path) as cache:
        async with tasks(cache, 1) as (layers,):
            one = response_cache(layers)
            await one.get("warm", fetch)  # a pooled connection exists
            before = _connections_received(cache)
            cache.freeze()
            try:
                with recording() as record:
                    answers = [await one.get(f"key-{index}", fetch) for index in range(40)]
            finally:
                cache.thaw()
            attempted = _connections_received(cache) - before

    assert [found.status for found in answers] == ["miss"] * 40  # every call answered upstream
    assert record.shared_cache_unavailable  # noted on the call: the SharedCacheUnavailable metric
    # The pooled connection timed out once, the store paused; at most a probe connected since.
    assert attempted <= 1


async def test_the_cache_is_used_again_by_itself_once_the_server_returns(tmp_path: Any) -> None:
    fetch = CountingFetch()
    with RedisServer(tmp_path) as cache:
        async with tasks(cache, 1) as (layers,):
            one = response_cache(layers)
            cache.kill()
            await one.get("during the outage", fetch)
            cache.start()
            returned = time.monotonic()
            deadline = returned + 30
            index = 0
            while not cache.keys("mcp-weather:forecasts::after-*"):
                assert time.monotonic() < deadline, "the fleet cache was not used again within 30 s"
                index += 1
                await one.get(f"after-{index}", fetch)
                await anyio.sleep(0.1)
            print(f"written to again {time.monotonic() - returned:.1f} s after the server returned")


async def test_connections_older_than_their_maximum_age_authenticate_again(tmp_path: Any) -> None:
    class CountingCredentials(UsernamePasswordCredentialProvider):
        def __init__(self) -> None:
            super().__init__("mcp", "a-password-of-the-test-user")
            self.used = 0

        async def get_credentials_async(self) -> tuple[str, str]:
            self.used += 1
            return await super().get_credentials_async()  # type: ignore[return-value]

    user = "mcp on >a-password-of-the-test-user ~mcp-weather:* -@all +get +set +del +ping"
    with RedisServer(tmp_path, users=[user]) as cache:
        settings = settings_for(cache)
        for max_age, expected in ((100.0, 1), (0.4, 3)):
            credentials = CountingCredentials()
            client = fleet_client(settings, credentials=credentials, max_connection_age=max_age)
            async with open_fleet_layers(settings, client=client) as layers:
                layer = layers.layer("forecasts", str)
                assert layer is not None
                for index in range(12):  # one at a time: one pooled connection
                    await layer.put(f"k{index}", "v", fetched_at=time.time(), fresh_for=60, keep_for=60)
                    await anyio.sleep(0.1)
            assert credentials.used >= expected
            if max_age > 10:
                assert credentials.used == 1


async def test_a_write_refused_by_a_replica_drops_the_pool_so_the_primary_is_found_again(
    tmp_path: Any,
) -> None:
    with RedisServer(tmp_path) as cache:
        settings = settings_for(cache)
        client = fleet_client(settings)
        async with open_fleet_layers(settings, client=client) as layers:
            layer = layers.layer("forecasts", str)
            assert layer is not None
            await layer.put("before", "v", fetched_at=time.time(), fresh_for=60, keep_for=60)
            with cache.client() as admin:
                admin.execute_command("REPLICAOF", "127.0.0.1", "1")  # a failover made it a replica
                await layer.put("refused", "v", fetched_at=time.time(), fresh_for=60, keep_for=60)
                pool = client.connection_pool._available_connections
                still_connected = [connection for connection in pool if connection.is_connected]
                admin.execute_command("REPLICAOF", "NO", "ONE")
            await anyio.sleep(2.5)  # the pause after the failure
            await layer.put("after", "v", fetched_at=time.time(), fresh_for=60, keep_for=60)
            keys = cache.keys()

    assert still_connected == []
    assert keys == ["mcp-weather:forecasts::after", "mcp-weather:forecasts::before"]


def _connections_received(cache: RedisServer) -> int:
    with cache.client() as client:
        return int(client.info("stats")["total_connections_received"])
