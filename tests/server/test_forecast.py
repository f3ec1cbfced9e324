"""get_forecast: what a caller sees for good, odd and bad coordinates."""

from __future__ import annotations

import jsonschema
import pytest

from fakes.nws import DENVER, LONDON, NO_GRID_POINT, NULLS_POINT, TOPEKA, FakeNws
from fakes.open_meteo import FakeOpenMeteo
from tests.server.conftest import call, connect, text_of

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(30)]


async def test_forecast_names_the_place_and_renders_the_next_five_periods(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])

    text = text_of(result)
    assert not result.is_error
    assert text.startswith("Forecast for Linn, KS (39.7456, -97.0892), NWS grid TOP/32,81")
    # The fixture's periods 1-5: name, temperature with unit, wind, precipitation chance, details.
    for expected in ("Tonight", "Wednesday", "Wednesday Night", "Thursday", "Thursday Night"):
        assert f"\n\n{expected}\n" in text
    assert "Friday" not in text
    assert "Temperature: 56°F" in text
    assert "Wind: 6 to 11 mph SW" in text
    assert "Chance of precipitation: 10%" in text
    assert "Mostly Clear, with a low around 56." in text
    assert "(5 of 14 periods shown" in text
    # Period 3 has a null probability of precipitation: the line is left out, not "None%".
    third = text.split("\n\nWednesday Night\n")[1].split("\n\n")[0]
    assert "precipitation" not in third


async def test_structured_content_matches_the_published_output_schema(nws: FakeNws) -> None:
    async with connect(nws) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
        result = await call(client, "get_forecast", latitude=DENVER[0], longitude=DENVER[1], periods=2)

    data = result.structured_content
    jsonschema.validate(data, tools["get_forecast"].output_schema)
    assert data["place"] == "Denver, CO"
    assert data["available_periods"] == 14
    assert [period["name"] for period in data["periods"]] == ["Tonight", "Wednesday"]
    assert data["periods"][0]["temperature"] == 56
    assert data["periods"][0]["precipitation_chance"] == 10
    assert data["freshness"]["stale"] is False


async def test_tools_are_annotated_read_only_idempotent_open_world(nws: FakeNws) -> None:
    async with connect(nws) as client:
        tools = await client.list_tools()

    for tool in tools:
        hints = tool.annotations
        assert (hints.read_only_hint, hints.idempotent_hint, hints.open_world_hint) == (True, True, True)
        description = " ".join((tool.description or "").split())
        # Each tool names its source: NWS, Open-Meteo, or NWS in the US and Open-Meteo elsewhere.
        sources = {name for name in ("National Weather Service", "Open-Meteo") if name in description}
        expected = {
            "get_alerts": {"National Weather Service"},
            "get_alerts_for_point": {"National Weather Service"},
            "find_location": {"Open-Meteo"},
            "get_air_quality": {"Open-Meteo"},
        }.get(tool.name, {"National Weather Service", "Open-Meteo"})
        assert sources == expected, tool.name
    forecast = next(tool for tool in tools if tool.name == "get_forecast")
    assert forecast.input_schema["required"] == ["latitude", "longitude"]
    assert forecast.input_schema["properties"]["latitude"]["maximum"] == 90


async def test_periods_parameter_asks_for_more_up_to_what_nws_publishes(nws: FakeNws) -> None:
    async with connect(nws) as client:
        more = await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1], periods=9)
        everything = await call(client, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1], periods=50)

    assert len(more.structured_content["periods"]) == 9
    assert len(everything.structured_content["periods"]) == 14
    assert "periods shown" not in text_of(everything)


async def test_coordinates_are_rounded_to_four_decimals_so_nws_never_redirects(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_forecast", latitude=39.745612345, longitude=-97.089198765)

    assert not result.is_error
    assert result.structured_content["latitude"] == 39.7456
    assert nws.requests[0].path == "/points/39.7456,-97.0892"
    assert all(request.status != 301 for request in nws.requests)


async def test_explicit_nulls_from_nws_never_print_none(nws: FakeNws) -> None:
    async with connect(nws) as client:
        lat, lon = NULLS_POINT
        result = await call(client, "get_forecast", latitude=lat, longitude=lon, periods=9)

    text = text_of(result)
    assert not result.is_error
    assert "None" not in text
    assert "null" not in text
    assert text.startswith("Forecast for 44.0805, -103.231, NWS grid ")  # no place name known
    assert "\n\nPeriod 2\n" in text  # a period without a name still reads sensibly
    assert "Temperature: 80°\n" in text  # unit null: the number stays, the unit goes
    assert "Wind:" not in text
    assert "precipitation" not in text
    data = result.structured_content
    assert data["place"] is None
    assert data["periods"][0]["wind_speed"] is None
    assert data["periods"][0]["precipitation_chance"] is None


async def test_point_outside_every_nws_region_is_answered_by_open_meteo_without_asking_nws(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    async with connect(nws, **open_meteo.environment()) as client:
        result = await call(client, "get_forecast", latitude=LONDON[0], longitude=LONDON[1])

    assert not result.is_error
    assert text_of(result).startswith("Forecast for 51.5072, -0.1276 from Open-Meteo")
    assert result.structured_content["source"] == "Open-Meteo"
    assert (nws.count("/"), open_meteo.count("/v1/forecast")) == (0, 1)


async def test_open_meteo_answer_names_the_coordinates_as_queried(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    # Like every point tool: all 4 decimals, not 6 significant digits (151.209).
    async with connect(nws, **open_meteo.environment()) as client:
        result = await call(client, "get_forecast", latitude=-33.8688, longitude=151.2093)

    assert not result.is_error
    assert text_of(result).startswith("Forecast for -33.8688, 151.2093 from Open-Meteo")


async def test_point_without_a_forecast_grid_is_answered_by_open_meteo_asking_nws_once(
    nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    async with connect(nws, **open_meteo.environment()) as client:
        first = await call(client, "get_forecast", latitude=NO_GRID_POINT[0], longitude=NO_GRID_POINT[1])
        second = await call(client, "get_forecast", latitude=NO_GRID_POINT[0], longitude=NO_GRID_POINT[1])

    for result in (first, second):
        assert not result.is_error
        assert text_of(result).startswith("Forecast for 29, -88 from Open-Meteo")
    # NWS said once that it has no grid there (200 without one): remembered, like the forecast.
    assert (nws.count("/points/"), nws.count("/gridpoints/"), open_meteo.count("/v1/forecast")) == (1, 0, 1)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"latitude": 91, "longitude": -97}, "latitude must be a number between -90 and 90 (got 91"),
        ({"latitude": 39, "longitude": -181}, "longitude must be a number between -180 and 180 (got -181"),
        ({"latitude": 39, "longitude": -97, "periods": 0}, "periods must be between 1 and 50 (got 0)"),
        ({"latitude": "north", "longitude": -97}, "Invalid arguments for get_forecast: latitude: "),
        ({"latitude": 39}, "Invalid arguments for get_forecast: longitude: Missing required argument"),
    ],
)
async def test_bad_arguments_are_rejected_before_any_upstream_request(
    nws: FakeNws, arguments: dict[str, object], expected: str
) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_forecast", **arguments)

    assert result.is_error
    assert expected in text_of(result)
    assert "pydantic" not in text_of(result)  # no library internals or URLs
    assert nws.count() == 0


async def test_numeric_strings_are_accepted_as_coordinates(nws: FakeNws) -> None:
    async with connect(nws) as client:
        result = await call(client, "get_forecast", latitude="39.7456", longitude="-97.0892")

    assert not result.is_error
    assert result.structured_content["grid"] == "TOP/32,81"
