"""Caching: how many requests reach NWS for repeated, nearby and concurrent calls, and for how long."""

from __future__ import annotations

import anyio
import pytest

from fakes.nws import DENVER, FALLBACK_POINT, MISSING_STATION_POINT, TOPEKA, TOPEKA_NEIGHBOUR, FakeNws
from server.contract import EnvVar
from server.nws import NwsUnavailable
from tests.server.conftest import FakeClock, call, connect, nws_client, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]

REPEATS = 20
POINT_TOOLS = ("get_current_conditions", "get_hourly_forecast", "get_alerts_for_point")


async def test_repeated_forecasts_reach_nws_once(nws: FakeNws) -> None:
    async with connect(nws) as client:
        for _ in range(REPEATS):
            result = await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])
            assert not result.is_error

    assert nws.count("/points/") == 1
    assert nws.count("/gridpoints/") == 1


async def test_repeated_alerts_reach_nws_once(nws: FakeNws) -> None:
    async with connect(nws) as client:
        for _ in range(REPEATS):
            await call(client, "get_alerts", state="KS")

    assert nws.count("/alerts/") == 1


async def test_nearby_coordinates_share_one_forecast_entry(nws: FakeNws) -> None:
    async with connect(nws) as client:
        first = await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])
        second = await call(
            client, "get_forecast", latitude=TOPEKA_NEIGHBOUR[0], longitude=TOPEKA_NEIGHBOUR[1]
        )

    assert first.structured_content["grid"] == second.structured_content["grid"] == "TOP/32,81"
    assert nws.count("/points/") == 2  # each coordinate is looked up once...
    assert nws.count("/gridpoints/") == 1  # ...but the grid's forecast is fetched once for both


async def test_with_caching_disabled_every_call_goes_upstream(nws: FakeNws) -> None:
    async with connect(nws, **{EnvVar.NWS_CACHE_ENABLED: "false"}) as client:
        for _ in range(5):
            await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])
            await call(client, "get_alerts", state="KS")

    assert (nws.count("/points/"), nws.count("/gridpoints/"), nws.count("/alerts/")) == (5, 5, 5)


async def test_concurrent_identical_misses_share_one_upstream_request(nws: FakeNws) -> None:
    nws.latency_ms = 200  # every caller arrives while the first fetch is still in flight
    async with connect(nws) as client:
        results = []

        async def one() -> None:
            results.append(await call(client, "get_forecast", latitude=DENVER[0], longitude=DENVER[1]))

        async with anyio.create_task_group() as group:
            for _ in range(REPEATS):
                group.start_soon(one)

    assert len(results) == REPEATS
    assert not any(result.is_error for result in results)
    assert nws.count("/points/") == 1
    assert nws.count("/gridpoints/") == 1


async def test_concurrent_misses_during_an_outage_cost_one_retry_sequence(nws: FakeNws) -> None:
    nws.latency_ms = 100
    nws.fail("/alerts/", 503, times=100)
    async with connect(nws, **{EnvVar.NWS_RETRY_ATTEMPTS: "3"}) as client:
        results = []

        async def one() -> None:
            results.append(await call(client, "get_alerts", state="NY"))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(one)

    assert all(result.is_error for result in results)
    assert nws.count("/alerts/") == 3  # not 10 callers x 3 attempts


async def test_stale_forecast_is_served_and_labelled_when_nws_fails(nws: FakeNws) -> None:
    clock = FakeClock()
    async with connect(nws, clock, **{EnvVar.NWS_STALE_WINDOW_SECONDS: "3600"}) as client:
        fresh = await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])
        clock.advance(1800)  # past the forecast's max-age (900 s), within the stale window
        nws.fail("/gridpoints/", 503, times=100)
        stale = await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert not stale.is_error
    assert stale.structured_content["freshness"]["stale"] is True
    assert stale.structured_content["periods"] == fresh.structured_content["periods"]
    assert (
        stale.structured_content["freshness"]["fetched_at"]
        == fresh.structured_content["freshness"]["fetched_at"]
    )
    assert "Note: the National Weather Service did not answer just now" in text_of(stale)
    assert "it may be out of date" in text_of(stale)


async def test_stale_alerts_are_labelled_too(nws: FakeNws) -> None:
    clock = FakeClock()
    async with connect(nws, clock) as client:
        await call(client, "get_alerts", state="KS")
        clock.advance(45)
        nws.fail("/alerts/", 500, times=100)
        stale = await call(client, "get_alerts", state="KS")

    assert stale.structured_content["freshness"]["stale"] is True
    assert text_of(stale).startswith(
        "Note: the National Weather Service did not answer just now, so this is the alert list"
    )
    assert "2 active weather alerts for KS:" in text_of(stale)


async def test_forecast_ttl_follows_cache_control_within_floor_and_ceiling(nws: FakeNws) -> None:
    clock = FakeClock()
    env = {EnvVar.NWS_FORECAST_TTL_MIN_SECONDS: "60", EnvVar.NWS_FORECAST_TTL_MAX_SECONDS: "600"}
    async with nws_client(nws, clock, **env) as client:
        point = (await client.point(*TOPEKA)).value
        for max_age, expected_ttl in ((300, 300), (5000, 600), (10, 60)):
            nws.reset()
            nws.forecast_max_age = max_age
            clock.advance(10_000)  # whatever was cached has expired
            assert (await client.forecast(point)).status == "miss"
            clock.advance(expected_ttl - 1)
            assert (await client.forecast(point)).status == "hit"
            clock.advance(2)
            assert (await client.forecast(point)).status in ("miss", "stale")
            assert nws.count("/gridpoints/") == 2, f"max-age {max_age}"


async def test_alerts_are_kept_at_most_the_alerts_ttl(nws: FakeNws) -> None:
    clock = FakeClock()
    nws.alerts_max_age = 300  # NWS may say longer; the server caps alerts at NWS_ALERTS_TTL_SECONDS
    async with nws_client(nws, clock, **{EnvVar.NWS_ALERTS_TTL_SECONDS: "30"}) as client:
        await client.alerts("KS")
        clock.advance(29)
        assert (await client.alerts("KS")).status == "hit"
        clock.advance(2)
        assert (await client.alerts("KS")).status == "miss"

    assert nws.count("/alerts/") == 2


async def test_point_to_grid_mapping_is_kept_for_hours(nws: FakeNws) -> None:
    clock = FakeClock()
    async with nws_client(nws, clock, **{EnvVar.NWS_POINTS_TTL_SECONDS: str(6 * 3600)}) as client:
        await client.point(*TOPEKA)
        clock.advance(5 * 3600)
        assert (await client.point(*TOPEKA)).status == "hit"
        clock.advance(2 * 3600)
        assert (await client.point(*TOPEKA)).status == "miss"

    assert nws.count("/points/") == 2


async def test_cache_size_is_bounded_and_evicts_least_recently_used(nws: FakeNws) -> None:
    clock = FakeClock()
    async with nws_client(nws, clock, **{EnvVar.NWS_CACHE_MAX_ENTRIES: "2"}) as client:
        await client.alerts("KS")
        await client.alerts("TX")
        await client.alerts("KS")  # KS is now the most recently used
        await client.alerts("CO")  # evicts TX
        assert (await client.alerts("KS")).status == "hit"
        assert (await client.alerts("TX")).status == "miss"


async def test_stale_entries_are_served_only_within_the_stale_window(nws: FakeNws) -> None:
    clock = FakeClock()
    env = {EnvVar.NWS_ALERTS_TTL_SECONDS: "30", EnvVar.NWS_STALE_WINDOW_SECONDS: "600"}
    async with nws_client(nws, clock, **env) as client:
        first = await client.alerts("KS")
        nws.fail("/alerts/", 503, times=100)
        clock.advance(30 + 599)
        stale = await client.alerts("KS")
        assert stale.status == "stale"
        assert stale.fetched_at == first.fetched_at
        clock.advance(2)
        with pytest.raises(NwsUnavailable):
            await client.alerts("KS")


async def test_stale_answer_is_fast_when_nws_is_down(nws: FakeNws) -> None:
    clock = FakeClock()
    async with nws_client(nws, clock, **{EnvVar.NWS_RETRY_ATTEMPTS: "2"}) as client:
        await client.alerts("KS")
        clock.advance(31)
        nws.fail("/alerts/", 500, times=100)
        assert (await client.alerts("KS")).status == "stale"

    # The first fetch, then the two configured attempts, then the stale entry: no further waiting.
    assert nws.count("/alerts/") == 3


# --- the point tools: current conditions, hourly forecast, alerts for a point ----------------------


async def test_repeated_point_tools_reach_nws_once_per_resource(nws: FakeNws) -> None:
    async with connect(nws) as client:
        for _ in range(REPEATS):
            for tool in POINT_TOOLS:
                result = await call(client, tool, latitude=TOPEKA[0], longitude=TOPEKA[1])
                assert not result.is_error

    assert nws.count("/points/") == 1  # shared by conditions and hourly forecast
    assert nws.count("/gridpoints/TOP/32,81/stations") == 1
    assert nws.count("/stations/") == 1  # the nearest station's observation
    assert nws.count("/gridpoints/TOP/32,81/forecast/hourly") == 1
    assert nws.count("/alerts/") == 1


async def test_skipped_stations_are_remembered_too(nws: FakeNws) -> None:
    async with connect(nws) as client:
        for _ in range(REPEATS):
            await call(
                client, "get_current_conditions", latitude=FALLBACK_POINT[0], longitude=FALLBACK_POINT[1]
            )
            await call(
                client,
                "get_current_conditions",
                latitude=MISSING_STATION_POINT[0],
                longitude=MISSING_STATION_POINT[1],
            )

    # stale KOLD, all-null KNUL, fresh KSLN; missing KGON (404), fresh KDDC: each asked once
    assert nws.count("/stations/") == 5


@pytest.mark.parametrize("tool", ["get_current_conditions", "get_hourly_forecast", "get_alerts_for_point"])
async def test_concurrent_identical_point_tool_calls_share_upstream_requests(nws: FakeNws, tool: str) -> None:
    nws.latency_ms = 200
    async with connect(nws) as client:
        results = []

        async def one() -> None:
            results.append(await call(client, tool, latitude=DENVER[0], longitude=DENVER[1]))

        async with anyio.create_task_group() as group:
            for _ in range(REPEATS):
                group.start_soon(one)

    assert len(results) == REPEATS
    assert not any(result.is_error for result in results)
    expected = {
        "get_current_conditions": {"/points/": 1, "/gridpoints/": 1, "/stations/": 1, "/alerts/": 0},
        "get_hourly_forecast": {"/points/": 1, "/gridpoints/": 1, "/stations/": 0, "/alerts/": 0},
        "get_alerts_for_point": {"/points/": 0, "/gridpoints/": 0, "/stations/": 0, "/alerts/": 1},
    }[tool]
    assert {prefix: nws.count(prefix) for prefix in expected} == expected


async def test_point_tools_with_caching_disabled_go_upstream_every_time(nws: FakeNws) -> None:
    async with connect(nws, **{EnvVar.NWS_CACHE_ENABLED: "false"}) as client:
        for _ in range(5):
            for tool in POINT_TOOLS:
                await call(client, tool, latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert (nws.count("/points/"), nws.count("/stations/"), nws.count("/alerts/")) == (10, 5, 5)
    assert nws.count("/gridpoints/TOP/32,81/forecast/hourly") == 5


async def test_observation_is_kept_for_its_max_age_within_bounds(nws: FakeNws) -> None:
    clock = FakeClock()
    nws.observation_max_age = 300
    async with nws_client(nws, clock) as client:
        assert (await client.latest_observation("KCNK")).status == "miss"
        clock.advance(299)
        assert (await client.latest_observation("KCNK")).status == "hit"
        clock.advance(2)
        assert (await client.latest_observation("KCNK")).status == "miss"
        nws.observation_max_age = 5  # kept at least a minute whatever NWS says
        clock.advance(1000)
        await client.latest_observation("KCNK")
        clock.advance(59)
        assert (await client.latest_observation("KCNK")).status == "hit"

    assert nws.count("/stations/") == 3


async def test_stale_observation_is_served_and_labelled_when_nws_fails(nws: FakeNws) -> None:
    clock = FakeClock()
    async with connect(nws, clock) as client:
        fresh = await call(client, "get_current_conditions", latitude=TOPEKA[0], longitude=TOPEKA[1])
        clock.advance(600)  # past the observation's max-age (300 s), within the stale window
        nws.fail("/stations/", 503, times=100)
        stale = await call(client, "get_current_conditions", latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert not stale.is_error
    assert stale.structured_content["freshness"]["stale"] is True
    assert stale.structured_content["station"]["id"] == "KCNK"
    assert stale.structured_content["temperature_f"] == fresh.structured_content["temperature_f"]
    assert text_of(stale).startswith(
        "Note: the National Weather Service did not answer just now, so this is the observation fetched"
    )


async def test_stale_hourly_forecast_and_point_alerts_are_labelled(nws: FakeNws) -> None:
    clock = FakeClock()
    async with connect(nws, clock, **{EnvVar.NWS_STALE_WINDOW_SECONDS: "3600"}) as client:
        await call(client, "get_hourly_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])
        await call(client, "get_alerts_for_point", latitude=TOPEKA[0], longitude=TOPEKA[1])
        clock.advance(1800)
        nws.fail("/gridpoints/", 503, times=100)
        nws.fail("/alerts/", 503, times=100)
        hourly = await call(client, "get_hourly_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])
        alerts = await call(client, "get_alerts_for_point", latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert hourly.structured_content["freshness"]["stale"] is True
    assert "so this is the hourly forecast fetched " in text_of(hourly)
    assert alerts.structured_content["freshness"]["stale"] is True
    assert "2 active weather alerts for 39.7456, -97.0892:" in text_of(alerts)
