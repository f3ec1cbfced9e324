"""The Open-Meteo answers' cache: per resource TTLs, coalescing, stale-if-error with its label, sharing
between workers, and the NWS "no grid here" answer remembered per point. In-process servers on a clock
the tests move (the transport is tested in test_open_meteo_answers.py), and a server whose two
workers share their answers."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx
import pytest

from fakes.nws import NORTH_OF_BORDER, FakeNws
from fakes.open_meteo import SEOUL, FakeOpenMeteo
from server.contract import EnvVar
from server.open_meteo import open_open_meteo_client
from server.settings import AIR_QUALITY_TTL_SECONDS, FORECAST_TTL_SECONDS, GEOCODING_TTL_SECONDS
from server.shared_cache import open_shared_layers, open_store
from tests.server.conftest import (
    MCP_HEADERS,
    FakeClock,
    call,
    connect,
    jsonrpc,
    make_settings,
    start_server,
    text_of,
)

pytestmark = pytest.mark.timeout(60)

POINT = {"latitude": SEOUL[0], "longitude": SEOUL[1]}


@pytest.mark.anyio
async def test_the_three_forecast_tools_share_one_request_per_point_and_nearby_points_too(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    async with connect(nws, **open_meteo.environment()) as client:
        for tool in ("get_forecast", "get_hourly_forecast", "get_current_conditions"):
            assert not (await call(client, tool, **POINT)).is_error
        # 37.5661 rounds to the same 0.01-degree key as 37.566: about 10 m apart.
        nearby = await call(client, "get_forecast", latitude=37.5661, longitude=126.9781)

    assert not nearby.is_error
    assert open_meteo.count("/v1/forecast") == 1
    assert (open_meteo.requests[0].params["latitude"], open_meteo.requests[0].params["longitude"]) == (
        "37.57",
        "126.98",
    )


@pytest.mark.anyio
async def test_each_resource_is_kept_for_its_own_ttl(nws: FakeNws, open_meteo: FakeOpenMeteo) -> None:
    clock = FakeClock()
    async with connect(nws, clock, **open_meteo.environment()) as client:

        async def ask_all() -> None:
            for tool, arguments in (
                ("find_location", {"query": "Seoul"}),
                ("get_forecast", POINT),
                ("get_air_quality", POINT),
            ):
                assert not (await call(client, tool, **arguments)).is_error

        def counts() -> tuple[int, int, int]:
            return tuple(open_meteo.count(path) for path in ("/v1/search", "/v1/forecast", "/v1/air-quality"))

        await ask_all()
        clock.advance(FORECAST_TTL_SECONDS + 1)  # 15 minutes: the forecast has expired, nothing else
        await ask_all()
        assert counts() == (1, 2, 1)
        clock.advance(AIR_QUALITY_TTL_SECONDS)  # 45 minutes: air quality and the forecast again
        await ask_all()
        assert counts() == (1, 3, 2)
        clock.advance(GEOCODING_TTL_SECONDS)  # a day: everything
        await ask_all()
        assert counts() == (2, 4, 3)


@pytest.mark.anyio
async def test_spellings_of_one_name_share_one_search_and_counts_share_it_too(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    composed, decomposed = "München", "Mu\u0308nchen"  # one name, two Unicode spellings
    async with connect(nws, **open_meteo.environment()) as client:
        results = [
            await call(client, "find_location", query=query, count=count)
            for query, count in ((composed, 5), (decomposed, 1), ("  MÜNCHEN ", 3), ("münchen", 10))
        ]

    assert [result.structured_content["places"][0]["name"] for result in results] == ["Munich"] * 4
    assert open_meteo.count("/v1/search") == 1
    assert open_meteo.requests[0].params["name"] == composed  # sent as NFC, as first asked
    assert open_meteo.requests[0].params["count"] == "10"  # always the most a caller may want


@pytest.mark.anyio
async def test_concurrent_identical_misses_share_one_request(nws: FakeNws, open_meteo: FakeOpenMeteo) -> None:
    open_meteo.latency_ms = 200  # every caller arrives while the first fetch is still in flight
    results = []
    async with connect(nws, **open_meteo.environment()) as client:

        async def ask(tool: str) -> None:
            results.append(await call(client, tool, **POINT))

        async with anyio.create_task_group() as group:
            for tool in ("get_forecast", "get_hourly_forecast", "get_current_conditions") * 4:
                group.start_soon(ask, tool)

    assert not any(result.is_error for result in results)
    assert open_meteo.count("/v1/forecast") == 1


@pytest.mark.anyio
async def test_failure_after_expiry_serves_the_stale_answer_labelled(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    clock = FakeClock()
    async with connect(nws, clock, **open_meteo.environment()) as client:
        places = await call(client, "find_location", query="서울")
        clock.advance(GEOCODING_TTL_SECONDS - 100)
        fresh = await call(client, "get_forecast", **POINT)
        # Both entries are now past their TTL (by 60 and 860 s), inside the 15-minute stale window.
        clock.advance(FORECAST_TTL_SECONDS + 60)
        open_meteo.fail("/v1/", 503, times=100)
        stale = await call(client, "get_forecast", **POINT)
        stale_places = await call(client, "find_location", query="서울")
        stale_conditions = await call(client, "get_current_conditions", **POINT)

    assert not fresh.structured_content["freshness"]["stale"]
    for result in (stale, stale_places, stale_conditions):
        assert not result.is_error
        assert result.structured_content["freshness"]["stale"] is True
        assert "Note: Open-Meteo did not answer just now, so this is the" in text_of(result)
    assert text_of(stale_places).startswith(
        "Note: Open-Meteo did not answer just now, so this is the place list"
    )
    assert places.structured_content["places"] == stale_places.structured_content["places"]


@pytest.mark.anyio
async def test_failure_with_nothing_cached_is_a_tool_error_naming_open_meteo(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    open_meteo.fail("/v1/", 503, times=100)
    async with connect(nws, **{**open_meteo.environment(), EnvVar.NWS_RETRY_ATTEMPTS: "2"}) as client:
        results = [
            await call(client, "get_forecast", **POINT),
            await call(client, "find_location", query="Tokyo"),
            await call(client, "get_air_quality", **POINT),
        ]

    for result in results:
        assert result.is_error
        assert text_of(result) == (
            "Open-Meteo is having trouble (HTTP 503). This is usually temporary; try again in a few minutes."
        )
    assert open_meteo.count("/v1/") == 6  # two attempts each


@pytest.mark.anyio
async def test_with_caching_disabled_every_call_goes_to_open_meteo(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    async with connect(nws, **{**open_meteo.environment(), EnvVar.NWS_CACHE_ENABLED: "false"}) as client:
        for _ in range(3):
            await call(client, "get_forecast", **POINT)
            await call(client, "find_location", query="Seoul")

    assert (open_meteo.count("/v1/forecast"), open_meteo.count("/v1/search")) == (3, 3)


@pytest.mark.anyio
async def test_an_answer_one_worker_fetched_is_a_hit_for_another_and_its_stale_copy_too(
    tmp_path: Path, open_meteo: FakeOpenMeteo
) -> None:
    settings = make_settings(
        "http://127.0.0.1:9", **open_meteo.environment(), **{EnvVar.NWS_SHARED_CACHE_DIR: str(tmp_path)}
    )
    clock = FakeClock()
    key, collection = "37.57,126.98", "open_meteo_forecasts"
    async with open_shared_layers(settings) as layers:  # what the workers of one task share
        assert layers.enabled
        async with open_open_meteo_client(settings, clock=clock, shared_layers=layers) as first:
            fetched = await first.forecast(*SEOUL)
        async with open_open_meteo_client(settings, clock=clock, shared_layers=layers) as second:
            shared = await second.forecast(*SEOUL)
        assert open_meteo.count("/v1/forecast") == 1
        # An hour later (wall clock, which the workers share): past its freshness, still kept.
        async with open_store(str(tmp_path)) as store:  # the same directory, as another worker opens it
            assert store is not None
            document = await store.kv.get(key=key, collection=collection)
            assert document is not None
            document.update(fetched_at=fetched.fetched_at - 3600, fresh_until=fetched.fetched_at - 60)
            await store.kv.put(key=key, collection=collection, value=document, ttl=600)
        open_meteo.fail("/v1/", 503, times=100)
        async with open_open_meteo_client(settings, clock=clock, shared_layers=layers) as third:
            stale = await third.forecast(*SEOUL)

    assert (fetched.status, shared.status, stale.status) == ("miss", "hit", "stale")
    assert shared.value == fetched.value == stale.value


@pytest.mark.anyio
async def test_the_api_key_is_sent_with_every_request_and_never_logged(
    nws: FakeNws, open_meteo: FakeOpenMeteo, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "om-customer-key-0123456789"
    async with connect(nws, **{**open_meteo.environment(), EnvVar.OPEN_METEO_API_KEY: key}) as client:
        await call(client, "find_location", query="Seoul")
        await call(client, "get_forecast", **POINT)
        await call(client, "get_air_quality", **POINT)
        open_meteo.fail("/v1/forecast", 400, reason=f"Echoing the request: apikey={key}")
        rejected = await call(client, "get_hourly_forecast", latitude=10.0, longitude=10.0)

    assert [request.params.get("apikey") for request in open_meteo.requests] == [key] * 4
    assert rejected.is_error  # Open-Meteo's reason reaches the caller, without the key
    assert text_of(rejected) == (
        "Open-Meteo rejected the request (HTTP 400: Echoing the request: apikey=[redacted])."
        " Retrying will not help."
    )
    captured = capsys.readouterr()
    assert "open_meteo_rejected" in captured.out + captured.err
    assert key not in captured.out + captured.err


@pytest.mark.anyio
async def test_an_nws_point_without_a_grid_is_remembered_so_nws_is_asked_once(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    async with connect(nws, **open_meteo.environment()) as client:
        for tool in ("get_forecast", "get_hourly_forecast", "get_current_conditions") * 3:
            result = await call(client, tool, latitude=NORTH_OF_BORDER[0], longitude=NORTH_OF_BORDER[1])
            assert result.structured_content["source"] == "Open-Meteo"

    assert nws.count("/points/") == 1
    assert open_meteo.count("/v1/forecast") == 1


@pytest.mark.anyio
async def test_the_remembered_answer_survives_an_nws_outage(nws: FakeNws, open_meteo: FakeOpenMeteo) -> None:
    clock = FakeClock()
    async with connect(nws, clock, **open_meteo.environment()) as client:
        await call(client, "get_forecast", latitude=NORTH_OF_BORDER[0], longitude=NORTH_OF_BORDER[1])
        clock.advance(FORECAST_TTL_SECONDS + 1)
        nws.fail("/", 503, times=1000)
        during = await call(client, "get_forecast", latitude=NORTH_OF_BORDER[0], longitude=NORTH_OF_BORDER[1])

    assert not during.is_error
    assert during.structured_content["source"] == "Open-Meteo"
    assert nws.count("/points/") == 1  # the 404 was remembered: NWS's outage is not even seen


def test_the_workers_of_a_server_share_open_meteo_answers(
    tmp_path: Path, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    names = ("Seoul", "Tokyo", "Kyoto", "Paris", "Munich", "Zurich", "Reykjavik", "Suva", "Apia", "Topeka")
    server = start_server(tmp_path, nws.base_url, **open_meteo.environment(), **{EnvVar.WORKERS: "2"})
    try:
        results = [
            ask_on_a_new_connection(server.mcp_url, "find_location", {"query": name}) for name in names * 6
        ]
    finally:
        server.stop()

    assert not any(result["isError"] for result in results)
    assert server.logs().count('"event": "Application startup complete."') == 2
    # Each name is searched once, not once per worker: the other worker finds it in the shared store.
    assert open_meteo.count("/v1/search") == len(names)


def ask_on_a_new_connection(url: str, tool: str, arguments: dict[str, object]) -> dict[str, object]:
    """One call on a new connection: the kernel hands each connection to either worker."""
    body = jsonrpc("tools/call", {"name": tool, "arguments": arguments})
    response = httpx.post(url, headers={**MCP_HEADERS, "Connection": "close"}, json=body, timeout=30)
    assert response.status_code == 200
    return response.json()["result"]
