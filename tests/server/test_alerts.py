"""get_alerts: active alerts by state, territory or marine area."""

from __future__ import annotations

import jsonschema
import pytest

from fakes.nws import TX_ALERTS, FakeNws
from tests.server.conftest import call, connect, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]


async def test_alerts_render_every_documented_field(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state="KS")

    text = text_of(result)
    assert not result.is_error
    assert text.startswith("2 active weather alerts for KS:")
    assert "Tornado Warning (severity Extreme, urgency Immediate, certainty Observed)" in text
    for line in (
        "Area: County 1; County 2",
        "Headline: Tornado Warning issued",
        "Effective: 2025-06-03T17:50:00+00:00",
        "Expires: 2025-06-03T20:50:00+00:00",
        "Ends: 2025-06-03T23:50:00+00:00",
        "Description: * WHAT...Tornado Warning number 1.",
        "Instructions: Take shelter now",
    ):
        assert line in text


async def test_alert_with_null_instruction_and_ends_omits_them_without_none(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state="KS")

    wind_advisory = text_of(result).split("Wind Advisory")[1]
    assert "Instructions:" not in wind_advisory
    assert "Ends:" not in wind_advisory
    assert "Headline:" not in wind_advisory
    assert "None" not in text_of(result)
    second = result.structured_content["alerts"][1]
    assert (second["instruction"], second["ends"], second["headline"]) == (None, None, None)


async def test_state_code_is_case_insensitive(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state=" ks ")

    assert not result.is_error
    assert result.structured_content["area"] == "KS"
    assert nws.requests[0].path == "/alerts/active/area/KS"


async def test_no_alerts_is_a_normal_answer(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state="co")

    assert not result.is_error
    assert text_of(result) == "No active weather alerts for CO."
    assert result.structured_content["total"] == 0
    assert result.structured_content["alerts"] == []


async def test_marine_area_codes_are_accepted(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state="GM")

    assert not result.is_error
    assert "Small Craft Advisory" in text_of(result)


@pytest.mark.parametrize("code", ["XX", "Kansas", "", "K1", "ZZZ"])
async def test_unknown_area_is_a_tool_error_saying_what_is_accepted(nws: FakeNws, code: str) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state=code)

    assert result.is_error
    message = text_of(result)
    assert f"{code!r} is not an area" in message
    assert "two-letter US state or territory code" in message
    assert "marine area code" in message
    assert nws.count() == 0  # validated before any upstream request


async def test_many_alerts_show_the_first_25_and_say_how_many_there_are(nws: FakeNws) -> None:
    async with connect(nws) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
        result = await call(client, "get_alerts", state="TX")

    assert text_of(result).startswith(f"{TX_ALERTS} active weather alerts for TX (showing the first 25):")
    assert len(result.structured_content["alerts"]) == 25
    assert result.structured_content["total"] == TX_ALERTS
    jsonschema.validate(result.structured_content, tools["get_alerts"].output_schema)


async def test_area_nws_rejects_is_reported_and_not_retried(nws: FakeNws) -> None:
    # If NWS ever stops accepting a code this server accepts, the user hears it from NWS, once.
    nws.fail("/alerts/active/area/PW", 400)
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state="PW")

    assert result.is_error
    assert text_of(result) == (
        "The National Weather Service API rejected the request (HTTP 400: Bad Request)."
        " Retrying will not help."
    )
    assert nws.count("/alerts/") == 1
