"""Several `python -m server` processes (tasks) sharing one cache server: upstream requests stay flat
as processes are added, any process answers stale for a key another one fetched, and every call is
answered while the cache server freezes, dies and comes back."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bench.workloads import cold_coordinates
from fakes.nws import FakeNws, grid_for
from fakes.redis_server import RedisServer
from server.contract import EnvVar
from tests.server.conftest import ServerProcess
from tests.server.fleet.conftest import call_tool, start_fleet_server

pytestmark = pytest.mark.timeout(180)

STATES = ("KS", "TX", "NY", "OH", "CA", "FL")


@pytest.fixture(scope="module")
def fleet_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """This module's own cache server: one test freezes, kills and restarts it."""
    with RedisServer(tmp_path_factory.mktemp("fleet-cache")) as server:
        yield server


@pytest.fixture(scope="module")
def fleet(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws, fleet_cache: RedisServer
) -> Iterator[list[ServerProcess]]:
    """Three server processes (three tasks of one worker each) sharing `fleet_cache`."""
    directory = tmp_path_factory.mktemp("fleet")
    env = {EnvVar.NWS_ALERTS_TTL_SECONDS: "1", EnvVar.NWS_RETRY_ATTEMPTS: "1"}
    servers: list[ServerProcess] = []
    try:
        for _ in range(3):
            servers.append(start_fleet_server(directory, fake_nws_server.base_url, fleet_cache.url, **env))
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def fresh(fleet: list[ServerProcess], fleet_cache: RedisServer, nws: FakeNws) -> list[ServerProcess]:
    """The fleet, with an empty cache server and a reset fake NWS."""
    fleet_cache.flush()
    return fleet


def forecasts(urls_and_points: list[tuple[str, tuple[float, float]]]) -> list[dict[str, Any]]:
    """All these forecast calls at once."""
    with ThreadPoolExecutor(max_workers=len(urls_and_points)) as pool:
        return list(
            pool.map(
                lambda item: call_tool(item[0], "get_forecast", latitude=item[1][0], longitude=item[1][1]),
                urls_and_points,
            )
        )


def test_upstream_requests_stay_flat_as_server_processes_are_added(
    fresh: list[ServerProcess], nws: FakeNws
) -> None:
    nws.latency_ms = 150  # concurrent misses overlap: without coalescing each process would fetch
    alone = cold_coordinates(8, random.Random(23))  # noqa: S311 (a fixed test plan)
    grids_alone = {grid_for(*point) for point in alone}
    together = [p for p in cold_coordinates(24, random.Random(24)) if grid_for(*p) not in grids_alone][:8]  # noqa: S311

    # One process: every point asked three times at once.
    first = forecasts([(fresh[0].mcp_url, point) for point in alone for _ in range(3)])
    one_process = (nws.count("/points/"), nws.count("/gridpoints/"))
    nws.reset()
    nws.latency_ms = 150
    # Three processes: every point asked once by each of them, at once.
    second = forecasts([(server.mcp_url, point) for point in together for server in fresh])
    three_processes = (nws.count("/points/"), nws.count("/gridpoints/"))

    assert not any(result["isError"] for result in first + second)
    assert one_process == (len(alone), len(grids_alone))
    assert three_processes == (len(together), len({grid_for(*point) for point in together}))


def test_a_process_that_never_saw_a_key_answers_stale_for_it(
    fresh: list[ServerProcess], nws: FakeNws
) -> None:
    fetcher, _, bystander = fresh
    # Four areas: four failed refreshes stay under the breaker's threshold (5), so the processes
    # leave this test with their breakers closed.
    areas = STATES[:4]
    for state in areas:
        assert not call_tool(fetcher.mcp_url, "get_alerts", state=state)["isError"]
    time.sleep(1.5)  # past the 1 s freshness of alerts, inside the stale window
    nws.fail("/", 503, times=len(areas))

    answers = [call_tool(bystander.mcp_url, "get_alerts", state=state) for state in areas]

    assert [answer["isError"] for answer in answers] == [False] * len(areas)
    assert [answer["structuredContent"]["freshness"]["stale"] for answer in answers] == [True] * len(areas)
    assert nws.count("/alerts/") == len(areas) * 2  # the fetches, then one failed refresh each


class Load:
    """Calls made one after another from a thread, round robin over the processes, until stopped:
    cached alert areas and forecasts for coordinates never asked before (which need NWS)."""

    def __init__(self, servers: list[ServerProcess]) -> None:
        self.servers = servers
        self.results: list[tuple[float, dict[str, Any]]] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._points = iter(cold_coordinates(2000, random.Random(5)))  # noqa: S311
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        index = 0
        while not self._stop.is_set():
            server = self.servers[index % len(self.servers)]
            try:
                if index % 2:
                    result = call_tool(server.mcp_url, "get_alerts", state=STATES[index % len(STATES)])
                else:
                    lat, lon = next(self._points)
                    result = call_tool(server.mcp_url, "get_forecast", latitude=lat, longitude=lon)
                self.results.append((time.monotonic(), result))
            except Exception as error:  # a lost call: the test reports it
                self.failures.append(f"{type(error).__name__}: {error}")
            index += 1

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


def test_every_call_is_answered_while_the_cache_server_freezes_dies_and_returns(
    fresh: list[ServerProcess], fleet_cache: RedisServer, tmp_path: Path
) -> None:
    with Load(fresh) as load:
        time.sleep(1)
        fleet_cache.freeze()  # SIGSTOP: connections open, nothing answers
        time.sleep(3)
        fleet_cache.thaw()
        time.sleep(1)
        fleet_cache.kill()  # connections refused
        time.sleep(2)
        fleet_cache.start()  # back on the same port, empty
        returned = time.monotonic()
        deadline = returned + 30
        while not all(_recovered(server) for server in fresh):
            assert time.monotonic() < deadline, "a process did not use the cache again within 30 s"
            time.sleep(0.1)
        back_after = time.monotonic() - returned

    print(
        f"{len(load.results)} calls; every process used the cache again {back_after:.1f} s after it returned"
    )
    assert load.failures == []
    assert fleet_cache.keys("mcp-weather:*") != []
    assert len(load.results) > 20
    errors = [result["content"][0]["text"] for _, result in load.results if result["isError"]]
    assert errors == []
    for server in fresh:
        logs = server.logs()
        # One line when the cache fails, one when it is back: per outage, not per call.
        assert 1 <= logs.count('"event": "shared_cache_error"') <= 3
        assert '"SharedCacheUnavailable": 1' in logs


def _recovered(server: ServerProcess) -> bool:
    """The process's last word on the cache is that it works again."""
    logs = server.logs()
    return logs.rfind('"event": "shared_cache_recovered"') > logs.rfind('"event": "shared_cache_error"') >= 0
