"""The fake Open-Meteo answers like the real API where the server depends on it: shapes, errors, counts."""

from __future__ import annotations

import httpx
import pytest

from fakes.open_meteo import SEOUL, FakeOpenMeteo

pytestmark = pytest.mark.timeout(30)


def get(fake: FakeOpenMeteo, path: str, **params: str) -> httpx.Response:
    return httpx.get(fake.base_url + path, params=params, timeout=10)


def test_one_port_serves_all_three_apis_and_counts_requests_by_path(open_meteo: FakeOpenMeteo) -> None:
    urls = open_meteo.environment()
    point = {"latitude": str(SEOUL[0]), "longitude": str(SEOUL[1])}
    forecast = httpx.get(urls["OPEN_METEO_FORECAST_URL"], params={**point, "hourly": "temperature_2m"})
    places = httpx.get(urls["OPEN_METEO_GEOCODING_URL"], params={"name": "서울"})
    air = httpx.get(urls["OPEN_METEO_AIR_QUALITY_URL"], params={**point, "current": "us_aqi"})

    assert {url.split("/v1/")[0] for url in urls.values()} == {open_meteo.base_url}
    assert forecast.json()["hourly"]["time"][0].endswith("T00:00")  # from today 00:00, local time
    assert places.json()["results"][0]["name"] == "Seoul"
    assert air.json()["current"]["us_aqi"] == 57
    assert [open_meteo.count(path) for path in ("/v1/forecast", "/v1/search", "/v1/air-quality")] == [1, 1, 1]
    assert httpx.get(open_meteo.base_url + "/__fake__/stats").json()["total"] == 3


def test_bad_requests_get_open_meteos_error_document(open_meteo: FakeOpenMeteo) -> None:
    latitude = get(open_meteo, "/v1/forecast", latitude="91", longitude="0")
    variable = get(open_meteo, "/v1/forecast", latitude="0", longitude="0", hourly="rain_colour")

    assert latitude.status_code == variable.status_code == 400
    assert latitude.json() == {
        "error": True,
        "reason": "Latitude must be in range of -90 to 90°. Given: 91.0.",
    }
    assert "rain_colour" in variable.json()["reason"]


def test_a_search_without_a_match_has_no_results_key(open_meteo: FakeOpenMeteo) -> None:
    assert "results" not in get(open_meteo, "/v1/search", name="Xyzzyville").json()
    assert "results" not in get(open_meteo, "/v1/search", name="津").json()  # one character finds nothing


def test_injected_failures_apply_to_their_path_only_then_stop(open_meteo: FakeOpenMeteo) -> None:
    open_meteo.fail("/v1/forecast", 502, times=1)
    failed = get(open_meteo, "/v1/forecast", latitude="0", longitude="0")
    other = get(open_meteo, "/v1/search", name="Seoul")
    healed = get(open_meteo, "/v1/forecast", latitude="0", longitude="0")

    assert (failed.status_code, other.status_code, healed.status_code) == (502, 200, 200)
    assert "application/json" not in failed.headers["content-type"]  # a gateway's page, not JSON


def test_a_dropped_connection_is_a_transport_error_for_the_client(open_meteo: FakeOpenMeteo) -> None:
    open_meteo.drop("/v1/air-quality")

    with pytest.raises(httpx.RemoteProtocolError):
        get(open_meteo, "/v1/air-quality", latitude="0", longitude="0", current="pm10")
