"""Answers from Open-Meteo through the real transport: `python -m server` (one process for the module)
with the fake NWS and the fake Open-Meteo, driven by the official MCP SDK client, with upstream
request counts. Places by name in any script, points anywhere (the open sea, the date line, the
poles, NWS's border), and what a caller sees when Open-Meteo refuses or fails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest

from fakes.nws import NORTH_OF_BORDER, SOUTH_OF_BORDER, TOPEKA, FakeNws
from fakes.open_meteo import (
    APIA,
    LONGYEARBYEN,
    MCMURDO,
    MUNICH,
    NULL_ISLAND,
    ODD_CODES_POINT,
    OPEN_PACIFIC,
    SEOUL,
    SUVA,
    TOKYO,
    FakeOpenMeteo,
)
from server.contract import EnvVar
from tests.server.conftest import ServerProcess, sdk_session, start_server

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

API_KEY = "om-test-key-0123456789abcdef"
#: '15 °C (59 °F)': every temperature in both scales, next to each other.
TEMPERATURE = re.compile(r"-?\d+ °C \(-?\d+ °F\)")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, fake_nws_server: FakeNws, fake_open_meteo_server: FakeOpenMeteo
) -> Iterator[ServerProcess]:
    """One server for the module, with an Open-Meteo key and the chattiest logs (the key must not show)."""
    process = start_server(
        tmp_path_factory.mktemp("open-meteo"),
        fake_nws_server.base_url,
        **fake_open_meteo_server.environment(),
        **{EnvVar.OPEN_METEO_API_KEY: API_KEY, EnvVar.LOG_LEVEL: "DEBUG"},
    )
    yield process
    process.stop()


async def ask(server: ServerProcess, tool: str, **arguments: Any) -> Any:
    """One tool call with the official SDK client (which checks structured content against the
    tool's output schema); the result, errors included."""
    async with sdk_session(server.mcp_url) as session:
        return await session.call_tool(tool, arguments)


async def output_schema(server: ServerProcess, tool: str) -> dict[str, Any]:
    async with sdk_session(server.mcp_url) as session:
        tools = await session.list_tools()
    return next(item.output_schema for item in tools.tools if item.name == tool)


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def assert_local_now(local_time: str, offset: timedelta) -> None:
    """The answer's local time is now, in the place's UTC offset."""
    when = datetime.fromisoformat(local_time)
    assert when.utcoffset() == offset
    assert abs(when - datetime.now(UTC)) < timedelta(minutes=5)


# --- find_location ----------------------------------------------------------------------------------
async def test_a_korean_name_finds_seoul_with_coordinates_zone_and_population(
    server: ServerProcess, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    result = await ask(server, "find_location", query="서울")

    assert not result.is_error
    seoul = result.structured_content["places"][0]
    assert seoul == {
        "name": "Seoul",
        "latitude": 37.566,
        "longitude": 126.9784,
        "country": "South Korea",
        "country_code": "KR",
        "admin_area": "Seoul",
        "district": None,
        "timezone": "Asia/Seoul",
        "population": 10349312,
        "elevation_m": 38.0,
    }
    assert text(result).startswith('1 place matches "서울":\n\n1. Seoul, South Korea: 37.566, 126.9784;')
    assert "time zone Asia/Seoul; population 10,349,312" in text(result)
    assert text(result).endswith(
        "Source: Weather data by Open-Meteo.com (https://open-meteo.com/), CC BY 4.0."
    )
    assert [request.params["name"] for request in open_meteo.requests] == ["서울"]
    assert nws.count("/") == 0


@pytest.mark.parametrize(
    ("query", "name", "country"),
    [
        ("東京", "Tokyo", "Japan"),
        ("京都", "Kyoto", "Japan"),
        ("ソウル", "Seoul", "South Korea"),
        ("München", "Munich", "Germany"),
        ("Zürich", "Zürich", "Switzerland"),
        ("São Paulo", "São Paulo", "Brazil"),
        ("Sao Paulo", "São Paulo", "Brazil"),
        ("Reykjavík", "Reykjavík", "Iceland"),
    ],
)
async def test_names_in_japanese_and_with_accents_are_found(
    server: ServerProcess, open_meteo: FakeOpenMeteo, query: str, name: str, country: str
) -> None:
    result = await ask(server, "find_location", query=query)

    assert not result.is_error
    first = result.structured_content["places"][0]
    assert (first["name"], first["country"]) == (name, country)
    assert f"1. {name}, " in text(result)


async def test_an_ambiguous_name_returns_several_most_relevant_first(
    server: ServerProcess, open_meteo: FakeOpenMeteo
) -> None:
    every = await ask(server, "find_location", query="Springfield")
    two = await ask(server, "find_location", query="springfield", count=2)
    narrowed = await ask(server, "find_location", query="Springfield, Massachusetts")
    paris = await ask(server, "find_location", query="Paris")

    places = every.structured_content["places"]
    assert len(places) == 5 == every.structured_content["total"]
    assert [place["admin_area"] for place in places] == [
        "Missouri",
        "Massachusetts",
        "Illinois",
        "Oregon",
        "Ohio",
    ]
    assert "ask the person which one they mean" in text(every)
    assert [place["admin_area"] for place in two.structured_content["places"]] == [
        "Missouri",
        "Massachusetts",
    ]
    assert [place["admin_area"] for place in narrowed.structured_content["places"]] == ["Massachusetts"]
    assert [place["country"] for place in paris.structured_content["places"]] == ["France", "United States"]
    # "Springfield" asked three ways is one search: counts and a region share the cached answer.
    assert [request.params["name"] for request in open_meteo.requests] == ["Springfield", "Paris"]


@pytest.mark.parametrize("query", ["Xyzzyville", "津"], ids=["unknown", "one character"])
async def test_no_match_is_a_clear_answer_naming_the_query(server: ServerProcess, query: str) -> None:
    result = await ask(server, "find_location", query=query)

    assert not result.is_error  # an answer, not a failure
    assert result.structured_content["total"] == 0
    assert text(result).startswith(f'No place matches "{query}" at Open-Meteo. Check the spelling')


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            {"query": ""},
            "query must name a place, e.g. 'Seoul' or 'Springfield, Illinois' (got an empty query).",
        ),
        ({"query": "   "}, "query must name a place"),
        (
            {"query": "x" * 201},
            "query must be at most 200 characters (got 201): a place name, not a sentence.",
        ),
        ({"query": "Seoul\x00"}, "query must not contain control characters"),
        ({"query": ", Illinois"}, "query must start with a place name before any comma"),
        ({"query": "Seoul", "count": 0}, "count must be between 1 and 10 (got 0)."),
        ({"query": "Seoul", "count": 11}, "count must be between 1 and 10 (got 11)."),
        ({"query": "Seoul", "count": "five"}, "Invalid arguments for find_location: count: "),
        ({}, "Invalid arguments for find_location: query: Missing required argument"),
    ],
)
async def test_bad_find_location_arguments_are_refused_before_any_request(
    server: ServerProcess, open_meteo: FakeOpenMeteo, arguments: dict[str, Any], expected: str
) -> None:
    result = await ask(server, "find_location", **arguments)

    assert result.is_error
    assert text(result).startswith(expected)
    assert open_meteo.count("/") == 0


async def test_open_meteo_refusing_a_search_gives_its_reason_to_the_caller(
    server: ServerProcess, open_meteo: FakeOpenMeteo
) -> None:
    open_meteo.fail("/v1/search", 400, reason="Parameter 'name' must not exceed 100 characters")
    result = await ask(server, "find_location", query="Llanfairpwllgwyngyll")

    assert result.is_error
    assert text(result) == (
        "Open-Meteo rejected the request (HTTP 400: Parameter 'name' must not exceed 100 characters)."
        " Retrying will not help."
    )
    assert open_meteo.count("/v1/search") == 1  # a 400 is an answer: not retried


# --- forecasts outside NWS coverage ---------------------------------------------------------------------
async def test_forecast_outside_nws_lists_days_from_today_with_highs_lows_words_local_time_and_source(
    server: ServerProcess, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    result = await ask(server, "get_forecast", latitude=SEOUL[0], longitude=SEOUL[1], periods=6)

    assert not result.is_error
    data = result.structured_content
    jsonschema.validate(data, await output_schema(server, "get_forecast"))
    assert (data["source"], data["timezone"]) == ("Open-Meteo", "Asia/Seoul")
    assert "CC BY 4.0" in data["attribution"]
    assert_local_now(data["local_time"], timedelta(hours=9))
    days = data["days"]
    assert len(days) == 3  # six half-day periods
    assert days[0]["date"] == data["local_time"][:10]  # from the place's today
    for day in days:
        assert day["high_c"] > day["low_c"]
        assert day["high_f"] == pytest.approx(day["high_c"] * 9 / 5 + 32, abs=0.06)
        assert not day["weather"].isdigit()
    body = text(result)
    assert body.startswith(
        "Forecast for 37.566, 126.9784 from Open-Meteo (model grid point 37.55, 127), local time "
    )
    assert "(Asia/Seoul, UTC+09:00)" in body.splitlines()[0]
    assert f"\n\nToday, {datetime.fromisoformat(days[0]['date']):%a %b} " in body
    day_blocks = body.split("\n\n")[1:4]
    for block, day in zip(day_blocks, days, strict=True):
        assert block.splitlines()[0].endswith(f": {day['weather']}")
        assert re.search(rf"High {TEMPERATURE.pattern}, low {TEMPERATURE.pattern}", block), block
    assert "(3 of 8 days shown; ask for more with the periods parameter: two periods make a day.)" in body
    assert body.endswith("Source: Weather data by Open-Meteo.com (https://open-meteo.com/), CC BY 4.0.")
    assert (nws.count("/"), open_meteo.count("/v1/forecast")) == (0, 1)


async def test_hourly_outside_nws_starts_at_the_current_local_hour(
    server: ServerProcess, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    result = await ask(server, "get_hourly_forecast", latitude=TOKYO[0], longitude=TOKYO[1], hours=4)

    assert not result.is_error
    data = result.structured_content
    assert data["hours"][0]["time"][:13] == data["local_time"][:13]
    assert len(data["hours"]) == 4
    lines = text(result).split("\n\n")[1].splitlines()
    assert len(lines) == 4
    for line, hour in zip(lines, data["hours"], strict=True):
        assert line.split(": ", 1)[1].startswith(f"{hour['weather']}, ")
        assert TEMPERATURE.search(line)
    assert nws.count("/") == 0


async def test_current_conditions_outside_nws_are_model_values_in_both_units(
    server: ServerProcess, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    result = await ask(server, "get_current_conditions", latitude=MUNICH[0], longitude=MUNICH[1])

    assert not result.is_error
    data = result.structured_content
    assert data["timezone"] == "Europe/Berlin"
    body = text(result)
    assert body.startswith("Current conditions at 48.1374, 11.5755 from Open-Meteo")
    assert "not a station observation" in body.splitlines()[0]
    assert re.search(rf"\nTemperature: {TEMPERATURE.pattern}, feels like {TEMPERATURE.pattern}\n", body)
    assert re.search(r"\nWind: from the [NESW]{1,3} \(\d+°\) at \d+ km/h \(\d+ mph\), gusting to", body)
    assert body.splitlines()[1].startswith(data["weather"])
    assert nws.count("/") == 0


async def test_air_quality_anywhere_with_categories_units_and_source(
    server: ServerProcess, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    seoul = await ask(server, "get_air_quality", latitude=SEOUL[0], longitude=SEOUL[1])
    topeka = await ask(server, "get_air_quality", latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert not seoul.is_error
    assert not topeka.is_error  # a US point too: air quality always comes from Open-Meteo
    data = seoul.structured_content
    assert (data["us_aqi"], data["us_aqi_category"]) == (57, "Moderate")
    assert (data["european_aqi"], data["european_aqi_category"]) == (32, "Fair")
    body = text(seoul)
    assert "\nUS AQI: 57 (Moderate)\nEuropean AQI: 32 (Fair)\nPM2.5: " in body
    for label in ("PM2.5", "PM10", "Ozone (O3)", "Nitrogen dioxide (NO2)"):
        assert re.search(rf"\n{re.escape(label)}: [\d.]+ μg/m³", body), label
    assert body.endswith("CC BY 4.0.")
    assert nws.count("/") == 0
    assert open_meteo.count("/v1/air-quality") == 2


@pytest.mark.parametrize(
    "arguments",
    [
        {"latitude": 91, "longitude": 0},
        {"latitude": 0, "longitude": -180.5},
        {"latitude": -90.5, "longitude": 0},
    ],
)
async def test_air_quality_checks_coordinates_before_any_request(
    server: ServerProcess, open_meteo: FakeOpenMeteo, arguments: dict[str, float]
) -> None:
    result = await ask(server, "get_air_quality", **arguments)

    assert result.is_error
    assert " must be a number between " in text(result)
    assert open_meteo.count("/") == 0


async def test_a_point_in_the_open_sea_is_answered_in_its_sea_time_zone(
    server: ServerProcess, nws: FakeNws
) -> None:
    result = await ask(server, "get_forecast", latitude=OPEN_PACIFIC[0], longitude=OPEN_PACIFIC[1])

    assert not result.is_error
    assert result.structured_content["timezone"] == "Etc/GMT+9"
    assert_local_now(result.structured_content["local_time"], timedelta(hours=-9))
    assert "(Etc/GMT+9, UTC-09:00)" in text(result).splitlines()[0]
    assert nws.count("/") == 0


@pytest.mark.parametrize(
    ("point", "source", "nws_points", "offset_hours"),
    [
        (SUVA, "Open-Meteo", 0, None),  # Fiji, 178.4 E
        (APIA, "Open-Meteo", 1, None),  # Samoa, 171.8 W: inside American Samoa's region, NWS says 404 once
        ((65.0, 179.9), "Open-Meteo", 0, 12),  # Chukotka, west of the date line
        ((65.0, -179.9), "NWS", 1, None),  # Alaska's side of the date line: NWS answers
    ],
    ids=["Suva", "Apia", "Chukotka", "Bering Sea, Alaska"],
)
async def test_points_near_the_date_line_go_to_the_source_of_their_side(
    server: ServerProcess,
    nws: FakeNws,
    open_meteo: FakeOpenMeteo,
    point: tuple[float, float],
    source: str,
    nws_points: int,
    offset_hours: int | None,
) -> None:
    result = await ask(server, "get_forecast", latitude=point[0], longitude=point[1])

    assert not result.is_error
    data = result.structured_content
    assert data.get("source", "NWS") == source
    assert nws.count("/points/") == nws_points
    if offset_hours is not None:
        assert data["utc_offset_seconds"] == offset_hours * 3600


async def test_longitude_180_and_minus_180_are_one_meridian_and_one_request(
    server: ServerProcess, open_meteo: FakeOpenMeteo
) -> None:
    east = await ask(server, "get_hourly_forecast", latitude=-5.0, longitude=180.0, hours=1)
    west = await ask(server, "get_hourly_forecast", latitude=-5.0, longitude=-180.0, hours=1)

    assert not east.is_error
    assert not west.is_error
    assert text(east).startswith("Hourly forecast for -5, 180 from Open-Meteo")
    assert text(west).startswith("Hourly forecast for -5, -180 from Open-Meteo")
    assert open_meteo.count("/v1/forecast") == 1


@pytest.mark.parametrize("point", [(90.0, 0.0), (-90.0, 0.0), LONGYEARBYEN, MCMURDO])
async def test_points_near_the_poles_are_answered(
    server: ServerProcess, nws: FakeNws, point: tuple[float, float]
) -> None:
    forecast = await ask(server, "get_forecast", latitude=point[0], longitude=point[1])
    conditions = await ask(server, "get_current_conditions", latitude=point[0], longitude=point[1])

    assert not forecast.is_error
    assert not conditions.is_error
    assert forecast.structured_content["days"][0]["date"] == forecast.structured_content["local_time"][:10]
    assert nws.count("/") == 0


async def test_at_nws_border_one_side_is_nws_and_the_other_open_meteo_asking_nws_once(
    server: ServerProcess, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    inside = await ask(server, "get_forecast", latitude=SOUTH_OF_BORDER[0], longitude=SOUTH_OF_BORDER[1])
    outside = [
        await ask(server, tool, latitude=NORTH_OF_BORDER[0], longitude=NORTH_OF_BORDER[1])
        for tool in ("get_forecast", "get_hourly_forecast", "get_current_conditions", "get_forecast")
    ]

    assert "(49.99, -100), NWS grid TOP/" in text(inside).splitlines()[0]
    assert all(not result.is_error for result in outside)
    assert all(result.structured_content["source"] == "Open-Meteo" for result in outside)
    # One /points request per coordinate: NWS's 404 north of the border is remembered.
    assert nws.count("/points/") == 2
    assert open_meteo.count("/v1/forecast") == 1


async def test_us_points_are_answered_by_nws_as_before_without_asking_open_meteo(
    server: ServerProcess, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    forecast = await ask(server, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])
    conditions = await ask(server, "get_current_conditions", latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert text(forecast).startswith("Forecast for Linn, KS (39.7456, -97.0892), NWS grid TOP/32,81")
    assert forecast.structured_content["grid"] == "TOP/32,81"
    assert "source" not in forecast.structured_content
    assert text(conditions).startswith("Current conditions near Linn, KS")
    assert open_meteo.count("/") == 0


async def test_values_open_meteo_sends_as_null_are_left_out_never_shown_as_none(
    server: ServerProcess,
) -> None:
    results = [
        await ask(server, tool, latitude=NULL_ISLAND[0], longitude=NULL_ISLAND[1])
        for tool in ("get_forecast", "get_hourly_forecast", "get_current_conditions", "get_air_quality")
    ]

    for result in results:
        assert not result.is_error
        assert "None" not in text(result)
        assert "null" not in text(result)
    assert "\nWeather not reported\n" in text(results[2])
    assert "Open-Meteo published no air quality values for this point right now." in text(results[3])


async def test_weather_codes_are_always_words_never_a_bare_number(server: ServerProcess) -> None:
    result = await ask(server, "get_forecast", latitude=ODD_CODES_POINT[0], longitude=ODD_CODES_POINT[1])

    days = result.structured_content["days"]
    assert days[0]["weather"] == "Weather not described by Open-Meteo's codes (WMO code 4)"
    assert days[1]["weather"] == "Weather not reported"  # Open-Meteo sent "rain", not a code
    assert days[2]["weather"][0].isalpha()
    for line in text(result).splitlines():
        assert not re.fullmatch(r".*: \d+", line), line


async def test_open_meteo_400_reason_and_5xx_reach_the_caller_as_tool_errors_naming_it(
    server: ServerProcess, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    open_meteo.fail(
        "/v1/forecast",
        400,
        reason="Cannot initialize WeatherVariable from invalid String value for key hourly",
    )
    refused = await ask(server, "get_forecast", latitude=-33.87, longitude=151.21)
    open_meteo.fail("/v1/forecast", 503, times=3)
    failed = await ask(server, "get_forecast", latitude=-34.87, longitude=151.21)
    us = await ask(server, "get_forecast", latitude=TOPEKA[0], longitude=TOPEKA[1])

    assert refused.is_error
    assert text(refused) == (
        "Open-Meteo rejected the request (HTTP 400: Cannot initialize WeatherVariable from invalid String"
        " value for key hourly). Retrying will not help."
    )
    assert failed.is_error
    assert text(failed).startswith("Open-Meteo is having trouble (HTTP 503).")
    assert open_meteo.count("/v1/forecast") == 4  # the 400 once, the 503 three times (retried)
    assert not us.is_error


async def test_the_api_key_reaches_open_meteo_and_never_the_logs(
    server: ServerProcess, open_meteo: FakeOpenMeteo
) -> None:
    await ask(server, "find_location", query="Kyoto")
    await ask(server, "get_air_quality", latitude=35.0, longitude=135.75)

    assert [request.params.get("apikey") for request in open_meteo.requests] == [API_KEY, API_KEY]
    logs = server.logs()
    assert '"tool": "get_air_quality"' in logs  # the logs are there, at DEBUG
    assert API_KEY not in logs


async def test_alerts_outside_nws_coverage_say_they_cover_us_points_only(
    server: ServerProcess, nws: FakeNws, open_meteo: FakeOpenMeteo
) -> None:
    result = await ask(server, "get_alerts_for_point", latitude=SEOUL[0], longitude=SEOUL[1])

    assert result.is_error  # not "No active weather alerts": there is no data, which is not the same
    assert text(result).startswith("Alerts cover US points only: the National Weather Service")
    assert "37.566, 126.9784" in text(result)
    assert (nws.count("/"), open_meteo.count("/")) == (0, 0)
