"""get_alerts_for_point, and the severity filter of both alert tools."""

from __future__ import annotations

import jsonschema
import pytest

from fakes.nws import LONDON, MID_ATLANTIC, NO_GRID_POINT, NORTH_OF_BORDER, TOPEKA, TX_ALERTS, FakeNws
from tests.server.conftest import call, connect, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]

TOOL = "get_alerts_for_point"


async def test_alerts_whose_area_contains_the_point_render_like_get_alerts(nws: FakeNws) -> None:
    async with connect(nws) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
        result = await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1])
        by_state = await call(client, "get_alerts", state="KS")

    assert not result.is_error
    jsonschema.validate(result.structured_content, tools[TOOL].output_schema)
    text = text_of(result)
    assert text.startswith("2 active weather alerts for 39.7456, -97.0892:")
    assert text.split(":", 1)[1] == text_of(by_state).split(":", 1)[1]  # same rendering of each alert
    assert result.structured_content["alerts"] == by_state.structured_content["alerts"]
    assert nws.requests[0].path == "/alerts/active"
    assert nws.count("/points/") == 0  # one request, no grid lookup


async def test_point_is_sent_with_at_most_four_decimals(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=39.745612345, longitude=-97.089198765)

    assert not result.is_error
    assert (result.structured_content["latitude"], result.structured_content["longitude"]) == (
        39.7456,
        -97.0892,
    )
    assert (
        result.structured_content["total"] == 2
    )  # the fake answers TOPEKA's alerts only for 39.7456,-97.0892


async def test_no_alerts_at_a_point_is_a_normal_answer(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=40.0, longitude=-90.0)

    assert not result.is_error
    assert text_of(result) == "No active weather alerts for 40, -90."


async def test_marine_point_gets_its_marine_alerts(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=NO_GRID_POINT[0], longitude=NO_GRID_POINT[1])

    assert not result.is_error
    assert "Small Craft Advisory" in text_of(result)


async def test_point_nws_refuses_is_a_clear_answer_remembered_like_one(nws: FakeNws) -> None:
    async with connect(nws) as client:
        first = await call(client, TOOL, latitude=NORTH_OF_BORDER[0], longitude=NORTH_OF_BORDER[1])
        second = await call(client, TOOL, latitude=NORTH_OF_BORDER[0], longitude=NORTH_OF_BORDER[1])

    assert first.is_error
    assert second.is_error
    assert text_of(first) == (
        "The National Weather Service does not issue alerts for 50.01, -100: it covers the United"
        " States, its territories and their coastal waters. Check the coordinates (latitude first;"
        " longitudes in the Americas are negative); for offshore waters, use get_alerts with a marine"
        " area code."
    )
    assert text_of(second) == text_of(first)
    assert nws.count("/alerts/") == 1  # the 400 is not retried, and is cached like an answer


@pytest.mark.parametrize("point", [MID_ATLANTIC, LONDON], ids=["open Atlantic", "London"])
async def test_point_outside_every_nws_region_is_not_called_free_of_alerts(
    nws: FakeNws, point: tuple[float, float]
) -> None:
    # NWS answers the open Atlantic with an empty collection: no data there is not "no alerts".
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=point[0], longitude=point[1])

    assert result.is_error
    assert text_of(result).startswith(
        f"Alerts cover US points only: the National Weather Service, their source here, issues none for"
        f" {point[0]:g}, {point[1]:g}, which is outside the United States"
    )
    assert "That is not the same as no alerts" in text_of(result)
    assert nws.count("/") == 0


@pytest.mark.parametrize("severity", ["extreme", "EXTREME", " Extreme "])
async def test_severity_filter_is_case_insensitive_on_both_alert_tools(nws: FakeNws, severity: str) -> None:
    async with connect(nws) as client:
        by_point = await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1], severity=severity)
        by_state = await call(client, "get_alerts", state="KS", severity=severity)

    for result, where in ((by_point, "39.7456, -97.0892"), (by_state, "KS")):
        assert not result.is_error
        data = result.structured_content
        assert (data["total"], data["total_unfiltered"], data["severity"]) == (1, 2, "Extreme")
        assert [alert["event"] for alert in data["alerts"]] == ["Tornado Warning"]
        assert text_of(result).startswith(
            f"1 active Extreme weather alert for {where} (of 2 active alerts of any severity):"
        )
        assert "Wind Advisory" not in text_of(result)


async def test_filtering_never_costs_an_upstream_request(nws: FakeNws) -> None:
    async with connect(nws) as client:
        await call(client, "get_alerts", state="KS")
        for severity in ("Extreme", "severe", "MODERATE", "minor", "unknown"):
            await call(client, "get_alerts", state="KS", severity=severity)
        await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1])
        for severity in ("Extreme", "severe"):
            await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1], severity=severity)

    assert nws.count("/alerts/active/area/") == 1
    assert nws.count("/alerts/active") == 2  # the area request and the point request


async def test_no_alerts_of_the_severity_says_how_many_others_there_are(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state="KS", severity="Minor")
        none_at_all = await call(client, "get_alerts", state="CO", severity="Minor")

    assert text_of(result) == "No active Minor weather alerts for KS. (2 active alerts of other severities.)"
    assert text_of(none_at_all) == "No active Minor weather alerts for CO."
    assert result.structured_content["alerts"] == []


async def test_filtered_list_longer_than_shown_says_both(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state="TX", severity="moderate")

    assert text_of(result).startswith(
        f"{TX_ALERTS} active Moderate weather alerts for TX (of {TX_ALERTS} active alerts of any severity;"
        " showing the first 25):"
    )


async def test_without_severity_get_alerts_answers_as_before(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_alerts", state="KS")

    assert text_of(result).startswith("2 active weather alerts for KS:")
    assert (result.structured_content["severity"], result.structured_content["total_unfiltered"]) == (
        None,
        None,
    )


@pytest.mark.parametrize("tool", ["get_alerts", TOOL])
@pytest.mark.parametrize("severity", ["Critical", "", "severe!"])
async def test_unknown_severity_is_rejected_before_any_upstream_request(
    nws: FakeNws, tool: str, severity: str
) -> None:
    arguments = {"state": "KS"} if tool == "get_alerts" else {"latitude": TOPEKA[0], "longitude": TOPEKA[1]}
    async with connect(nws) as client:
        result = await call(client, tool, severity=severity, **arguments)

    assert result.is_error
    assert text_of(result) == (
        f"{severity!r} is not an alert severity. Use one of Extreme, Severe, Moderate, Minor, Unknown"
        " (any case), or leave severity out for every alert."
    )
    assert nws.count() == 0


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"latitude": 95, "longitude": -97}, "latitude must be a number between -90 and 90 (got 95"),
        (
            {"latitude": 39},
            "Invalid arguments for get_alerts_for_point: longitude: Missing required argument",
        ),
    ],
)
async def test_bad_coordinates_are_rejected_before_any_upstream_request(
    nws: FakeNws, arguments: dict[str, object], expected: str
) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, **arguments)

    assert result.is_error
    assert expected in text_of(result)
    assert nws.count() == 0
