"""Two upstreams, two circuit breakers: an Open-Meteo outage never stops NWS's answers, and an NWS outage
leaves the answers outside NWS coverage working, while a US point never falls back to Open-Meteo; an
Open-Meteo outage after its answers expired serves them stale, labelled. Through the real transport,
each case on a fresh `python -m server` (fresh breakers, empty caches)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest

from fakes.nws import DENVER, NORTH_OF_BORDER, TOPEKA, FakeNws, Fault
from fakes.open_meteo import MUNICH, SEOUL, TOKYO, FakeOpenMeteo
from server.contract import EnvVar
from tests.server.conftest import ServerProcess, sdk_session, start_server

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]

#: Two failed requests open a breaker, which then stays open for the whole test.
FRAGILE = {
    EnvVar.NWS_BREAKER_FAILURES: "2",
    EnvVar.NWS_BREAKER_OPEN_SECONDS: "120",
    EnvVar.NWS_RETRY_ATTEMPTS: "1",
}
NWS_PAUSED = "The National Weather Service API is failing right now, so this server has paused its requests"
OPEN_METEO_PAUSED = "Open-Meteo is failing right now, so this server has paused its requests to it."


async def answers(server: ServerProcess, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async with sdk_session(server.mcp_url) as session:
        return [await session.call_tool(tool, arguments) for tool, arguments in calls]


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def at(point: tuple[float, float]) -> dict[str, float]:
    return {"latitude": point[0], "longitude": point[1]}


async def test_open_meteo_down_opens_its_breaker_only_and_nws_keeps_answering(
    tmp_path: Path, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    server = start_server(tmp_path, nws.base_url, **open_meteo.environment(), **FRAGILE)
    try:
        open_meteo.set_fault(Fault(status=503))
        failing = await answers(server, [("get_forecast", at(SEOUL)), ("get_forecast", at(TOKYO))])
        requests_until_open = open_meteo.count("/")
        paused = await answers(
            server, [("get_hourly_forecast", at(MUNICH)), ("find_location", {"query": "Seoul"})]
        )
        us = await answers(
            server,
            [
                ("get_forecast", at(TOPEKA)),
                ("get_hourly_forecast", at(DENVER)),
                ("get_current_conditions", at(TOPEKA)),
                ("get_alerts", {"state": "KS"}),
            ],
        )
    finally:
        server.stop()

    for result in failing:
        assert result.is_error
        assert text(result).startswith("Open-Meteo is having trouble (HTTP 503).")
    for result in paused:
        assert result.is_error
        assert text(result).startswith(OPEN_METEO_PAUSED)
    assert open_meteo.count("/") == requests_until_open == 2  # once open, nothing more is sent
    assert [result.is_error for result in us] == [False] * 4
    assert text(us[0]).startswith("Forecast for Linn, KS")
    assert nws.count("/") >= 6  # NWS's breaker never opened: every request went out


async def test_nws_down_opens_its_breaker_only_open_meteo_answers_and_us_points_never_fall_back(
    tmp_path: Path, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    server = start_server(tmp_path, nws.base_url, **open_meteo.environment(), **FRAGILE)
    try:
        # Before the outage: north of the border, NWS said 404 (remembered), Open-Meteo answered.
        (before,) = await answers(server, [("get_forecast", at(NORTH_OF_BORDER))])
        nws.set_fault(Fault(status=503))
        failing = await answers(server, [("get_forecast", at(TOPEKA)), ("get_forecast", at(DENVER))])
        nws_requests_until_open = nws.count("/")
        open_meteo_before = open_meteo.count("/v1/forecast")
        paused = await answers(
            server,
            [
                ("get_hourly_forecast", {"latitude": 40.0, "longitude": -90.0}),  # Illinois, not asked before
                ("get_forecast", {"latitude": 43.6532, "longitude": -79.3832}),  # Toronto: NWS may cover it
            ],
        )
        open_meteo_after = open_meteo.count("/v1/forecast")
        nws_requests_after = nws.count("/")
        world = await answers(
            server,
            [
                ("get_forecast", at(SEOUL)),
                ("get_hourly_forecast", at(TOKYO)),
                ("get_current_conditions", at(MUNICH)),
                ("find_location", {"query": "Paris"}),
                ("get_air_quality", at(SEOUL)),
                ("get_hourly_forecast", at(NORTH_OF_BORDER)),
            ],
        )
    finally:
        server.stop()

    assert before.structured_content["source"] == "Open-Meteo"
    for result in failing:
        assert result.is_error
        assert text(result).startswith("The National Weather Service API is having trouble (HTTP 503).")
    for result in paused:
        assert result.is_error
        assert text(result).startswith(NWS_PAUSED)
    # US (and possibly-US) points got NWS's error: Open-Meteo was not asked for any of them.
    assert open_meteo_after == open_meteo_before == 1
    assert nws_requests_after == nws_requests_until_open == 3  # 1 + 2 failed; then nothing more
    assert nws.count("/") == nws_requests_until_open  # the world's answers did not ask NWS either
    assert [result.is_error for result in world] == [False] * 6
    assert world[-1].structured_content["source"] == "Open-Meteo"


async def test_open_meteo_down_after_expiry_serves_its_answers_stale_and_says_so(
    tmp_path: Path, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    short = {EnvVar.OPEN_METEO_FORECAST_TTL_SECONDS: "1", EnvVar.OPEN_METEO_GEOCODING_TTL_SECONDS: "1"}
    server = start_server(tmp_path, nws.base_url, **open_meteo.environment(), **short)
    try:
        fresh = await answers(server, [("get_forecast", at(SEOUL)), ("find_location", {"query": "Tokyo"})])
        await anyio.sleep(1.2)  # past both 1 s lifetimes, well inside the 15-minute stale window
        open_meteo.set_fault(Fault(status=503))
        stale = await answers(
            server,
            [
                ("get_forecast", at(SEOUL)),
                ("get_current_conditions", at(SEOUL)),
                ("find_location", {"query": "Tokyo"}),
            ],
        )
    finally:
        server.stop()

    assert [result.structured_content["freshness"]["stale"] for result in fresh] == [False, False]
    for result in stale:
        assert not result.is_error
        assert result.structured_content["freshness"]["stale"] is True
        assert "Note: Open-Meteo did not answer just now, so this is the" in text(result)
    assert (
        text(stale[0])
        .split("\n\n")[1]
        .startswith("Note: Open-Meteo did not answer just now, so this is the forecast")
    )
    assert stale[2].structured_content["places"] == fresh[1].structured_content["places"]
