"""get_hourly_forecast: hour by hour for a point, from the grid's forecastHourly."""

from __future__ import annotations

import jsonschema
import pytest

from fakes.nws import DENVER, HOURLY_PERIODS, LONDON, NULLS_POINT, TOPEKA, FakeNws
from fakes.open_meteo import FakeOpenMeteo
from server.nws.parsing import parse_point
from tests.server.conftest import call, connect, text_of

pytestmark = pytest.mark.timeout(30)

TOOL = "get_hourly_forecast"


@pytest.mark.anyio
async def test_next_twelve_hours_with_time_temperature_rain_chance_wind_and_forecast(nws: FakeNws) -> None:
    async with connect(nws) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
        result = await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert not result.is_error
    data = result.structured_content
    jsonschema.validate(data, tools[TOOL].output_schema)
    assert (data["grid"], data["place"], data["available_hours"]) == ("TOP/32,81", "Linn, KS", HOURLY_PERIODS)
    assert len(data["hours"]) == 12
    assert data["hours"][0] == {
        "start_time": "2025-06-03T13:00:00-05:00",
        "temperature": 78,
        "temperature_unit": "F",
        "precipitation_chance": 5,
        "wind_speed": "6 mph",
        "wind_direction": "SSW",
        "short_forecast": "Sunny",
    }
    text = text_of(result)
    assert text.startswith("Hourly forecast for Linn, KS (39.7456, -97.0892), NWS grid TOP/32,81, updated ")
    lines = text.split("\n\n")[1].splitlines()
    assert len(lines) == 12
    assert lines[0] == "Tue Jun 3, 1 PM: 78°F, 5% chance of precipitation, wind 6 mph SSW, Sunny"
    rainy = (
        "Tue Jun 3, 4 PM: 79°F, 40% chance of precipitation, wind 9 mph S, Chance Showers And Thunderstorms"
    )
    assert lines[3] == rainy
    assert lines[9] == "Tue Jun 3, 10 PM: 73°F, wind 5 mph SW, Clear"  # null chance: left out
    assert lines[11].startswith("Wed Jun 4, 12 AM: ")
    assert text.endswith(f"(12 of {HOURLY_PERIODS} hours shown; ask for more with the hours parameter.)")


@pytest.mark.anyio
async def test_hours_asks_for_fewer_or_everything_nws_publishes(nws: FakeNws) -> None:
    async with connect(nws) as client:
        one = await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1], hours=1)
        everything = await call(client, TOOL, latitude=TOPEKA[0], longitude=TOPEKA[1], hours=156)

    assert len(one.structured_content["hours"]) == 1
    assert len(everything.structured_content["hours"]) == HOURLY_PERIODS
    assert "hours shown" not in text_of(everything)
    assert nws.count("/gridpoints/") == 1  # the same cached forecast, cut differently


@pytest.mark.anyio
async def test_explicit_nulls_never_print_none(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=NULLS_POINT[0], longitude=NULLS_POINT[1], hours=3)

    text = text_of(result)
    assert not result.is_error
    assert "None" not in text
    assert "null" not in text
    assert text.startswith("Hourly forecast for 44.0805, -103.231, NWS grid ")
    assert "Tue Jun 3, 1 PM: 78°\n" in text  # no unit, chance, wind or forecast: the number stays
    assert result.structured_content["hours"][0]["wind_speed"] is None


@pytest.mark.anyio
async def test_non_us_point_is_answered_by_open_meteo_hour_by_hour(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    async with connect(nws, **open_meteo.environment()) as client:
        result = await call(client, TOOL, latitude=LONDON[0], longitude=LONDON[1], hours=3)

    assert not result.is_error
    assert text_of(result).startswith("Hourly forecast for 51.5072, -0.1276 from Open-Meteo")
    assert len(result.structured_content["hours"]) == 3
    assert (nws.count("/"), open_meteo.count("/v1/forecast")) == (0, 1)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"hours": 0}, "hours must be between 1 and 156 (got 0)."),
        ({"hours": 157}, "hours must be between 1 and 156 (got 157)."),
        ({"hours": "many"}, "Invalid arguments for get_hourly_forecast: hours: "),
        ({"latitude": -91}, "latitude must be a number between -90 and 90 (got -91"),
    ],
)
@pytest.mark.anyio
async def test_bad_arguments_are_rejected_before_any_upstream_request(
    nws: FakeNws, arguments: dict[str, object], expected: str
) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, **{"latitude": TOPEKA[0], "longitude": TOPEKA[1], **arguments})

    assert result.is_error
    assert expected in text_of(result)
    assert nws.count() == 0


@pytest.mark.anyio
async def test_hours_bounds_are_in_the_input_schema(nws: FakeNws) -> None:
    async with connect(nws) as client:
        tool = next(tool for tool in await client.list_tools() if tool.name == TOOL)

    assert tool.input_schema["required"] == ["latitude", "longitude"]
    hours = tool.input_schema["properties"]["hours"]
    assert (hours["minimum"], hours["maximum"], hours["default"]) == (1, 156, 12)


@pytest.mark.anyio
async def test_coordinates_keep_every_significant_digit_in_the_text(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, TOOL, latitude=DENVER[0], longitude=DENVER[1], hours=1)

    assert text_of(result).startswith("Hourly forecast for Denver, CO (39.7392, -104.9903), NWS grid ")


def test_links_from_nws_are_followed_as_paths_on_the_configured_base_url() -> None:
    point = parse_point(
        {
            "properties": {
                "gridId": "TOP",
                "gridX": 32,
                "gridY": 81,
                "forecast": "https://api.weather.gov/gridpoints/TOP/32,81/forecast",
                "forecastHourly": "https://elsewhere.example/gridpoints/TOP/32,81/forecast/hourly",
                "observationStations": "https://api.weather.gov/../../etc/stations",
            }
        }
    )

    assert point.hourly_path == "/gridpoints/TOP/32,81/forecast/hourly"  # never another host
    assert point.stations_path is None  # unusable: the client falls back to the grid's own path
