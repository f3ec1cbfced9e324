"""get_current_conditions: the latest usable observation near a point, converted and explained."""

from __future__ import annotations

import jsonschema
import pytest

from fakes.nws import (
    DENVER,
    FALLBACK_POINT,
    MISSING_STATION_POINT,
    NO_OBSERVATION_POINT,
    NO_STATIONS_POINT,
    NORTH_OF_BORDER,
    TOPEKA,
    FakeNws,
)
from fakes.open_meteo import FakeOpenMeteo
from tests.server.conftest import call, connect, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]

TOOL = "get_current_conditions"


async def test_nearest_fresh_station_answers_in_us_and_metric_units(nws: FakeNws) -> None:
    async with connect(nws) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
        result = await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert not result.is_error
    data = result.structured_content
    jsonschema.validate(data, tools[TOOL].output_schema)
    assert data["station"] == {
        "id": "KCNK",
        "name": "Concordia, Blosser Municipal Airport",
        "distance_miles": 32.8,
        "distance_km": 52.7,
    }
    assert 25 <= data["age_minutes"] <= 26  # the fixture observed 25 minutes ago, on the minute
    # The fixture's SI values (wmoUnit:degC, km_h-1, Pa, m, percent) converted:
    assert (data["temperature_f"], data["temperature_c"]) == (90.0, 32.2)
    assert (data["dewpoint_f"], data["dewpoint_c"]) == (63.0, 17.2)
    assert (data["heat_index_f"], data["heat_index_c"]) == (91.9, 33.3)
    assert (data["wind_chill_f"], data["wind_chill_c"]) == (None, None)
    assert data["relative_humidity"] == 41.2
    assert (data["wind_direction"], data["wind_direction_degrees"]) == ("S", 190)
    assert (data["wind_speed_mph"], data["wind_speed_kmh"]) == (11.4, 18.4)
    assert (data["wind_gust_mph"], data["wind_gust_kmh"]) == (20.8, 33.5)
    assert (data["pressure_inhg"], data["pressure_hpa"]) == (29.92, 1013.2)
    assert (data["visibility_miles"], data["visibility_km"]) == (10.0, 16.1)
    assert data["skipped_stations"] == []
    assert data["freshness"]["stale"] is False

    text = text_of(result)
    assert text.startswith(
        "Current conditions near Linn, KS (39.7456, -97.0892), observed at station KCNK (Concordia,"
        " Blosser Municipal Airport), 33 miles (53 km) from the point, at "
    )
    for line in (
        "\nMostly Sunny\n",
        "\nTemperature: 90°F (32.2°C)\n",
        "\nHeat index: 92°F (33.3°C)\n",
        "\nDew point: 63°F (17.2°C)\n",
        "\nHumidity: 41%\n",
        "\nWind: from the S (190°) at 11 mph (18.4 km/h), gusting to 21 mph (33.5 km/h)\n",
        "\nPressure: 29.92 inHg (1013 hPa)\n",
        "\nVisibility: 10 miles (16.1 km)",
    ):
        assert line in text
    assert "Wind chill" not in text
    assert "None" not in text


async def test_wind_chill_is_shown_when_reported(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=DENVER[0], longitude=DENVER[1])

    data = result.structured_content
    assert data["station"]["id"] == "KDEN"
    assert (data["temperature_f"], data["wind_chill_f"], data["wind_chill_c"]) == (21.0, 9.0, -12.8)
    assert "Wind chill: 9°F (-12.8°C)" in text_of(result)
    assert "Heat index" not in text_of(result)
    assert "gusting" not in text_of(result)  # gust null: left out


async def test_stale_and_all_null_stations_are_skipped_for_the_next_one(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=FALLBACK_POINT[0], longitude=FALLBACK_POINT[1])

    assert not result.is_error
    data = result.structured_content
    assert data["station"]["id"] == "KSLN"
    assert data["skipped_stations"] == [
        {"id": "KOLD", "reason": "its latest observation is 5 hours old"},
        {"id": "KNUL", "reason": "its latest observation has no temperature"},
    ]
    assert (
        "(Nearer stations skipped: KOLD: its latest observation is 5 hours old; KNUL: its latest"
        " observation has no temperature.)"
    ) in text_of(result)
    assert nws.count("/stations/") == 3


async def test_a_missing_station_is_skipped(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(
            client, TOOL, latitude=MISSING_STATION_POINT[0], longitude=MISSING_STATION_POINT[1]
        )

    assert not result.is_error
    assert result.structured_content["station"]["id"] == "KDDC"
    assert result.structured_content["skipped_stations"] == [
        {"id": "KGON", "reason": "NWS has no observations from it"}
    ]
    assert nws.count("/stations/KGON/") == 1  # a 404 is an answer: not retried


async def test_no_usable_observation_among_the_nearest_three_is_a_clear_error(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=NO_OBSERVATION_POINT[0], longitude=NO_OBSERVATION_POINT[1])

    assert result.is_error
    assert text_of(result) == (
        "No usable current observation near this point: the nearest 3 stations checked could not be"
        " used (KOLD: its latest observation is 5 hours old; KNUL: its latest observation has no"
        " temperature; KGON: NWS has no observations from it). get_hourly_forecast gives the forecast"
        " for the current hour instead."
    )
    assert nws.count("/stations/KTOP/") == 0  # the fourth station is not tried


async def test_a_grid_without_stations_is_a_clear_error(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=NO_STATIONS_POINT[0], longitude=NO_STATIONS_POINT[1])

    assert result.is_error
    assert text_of(result).startswith(
        "The National Weather Service lists no observation stations near 35.5, -95.5."
    )
    assert nws.count("/stations/") == 0


async def test_point_nws_does_not_cover_gets_open_meteo_model_values(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    async with connect(nws, **open_meteo.environment()) as client:
        result = await call(client, TOOL, latitude=NORTH_OF_BORDER[0], longitude=NORTH_OF_BORDER[1])

    assert not result.is_error
    assert text_of(result).startswith("Current conditions at 50.01, -100 from Open-Meteo")
    assert "not a station observation" in text_of(result)
    assert (nws.count("/points/"), nws.count("/gridpoints/"), nws.count("/stations/")) == (1, 0, 0)


async def test_station_outage_falls_through_to_the_next_station(nws: FakeNws) -> None:
    nws.fail("/stations/KCNK/", 503, times=100)
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert not result.is_error
    assert result.structured_content["station"]["id"] == "KMYZ"
    assert result.structured_content["skipped_stations"] == [
        {"id": "KCNK", "reason": "NWS failed to send its observation (HTTP 503)"}
    ]


async def test_when_every_station_fails_the_upstream_error_is_reported(nws: FakeNws) -> None:
    nws.fail("/stations/", 503, times=100)
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert result.is_error
    assert text_of(result).startswith("The National Weather Service API is having trouble (HTTP 503).")


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"latitude": 91, "longitude": -97}, "latitude must be a number between -90 and 90 (got 91"),
        ({"latitude": 39, "longitude": 181}, "longitude must be a number between -180 and 180 (got 181"),
        (
            {"latitude": 39},
            "Invalid arguments for get_current_conditions: longitude: Missing required argument",
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


async def test_slow_stations_end_in_a_clear_error_within_the_tool_budget(
    nws: FakeNws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("server.tools.weather.CONDITIONS_BUDGET_SECONDS", 0.5)  # the real one is 19 s
    nws.slow("/stations/", 3, times=3)
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert result.is_error
    assert text_of(result) == (
        "The National Weather Service did not provide a usable observation within 0.5 seconds."
        " Try again in a few minutes."
    )
