"""The fake NWS behaves like the documented API, so tests against it mean something."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import httpx
import pytest

from fakes.nws import LONDON, TOPEKA, FakeNws
from server.tools.conditions import MAX_OBSERVATION_AGE_SECONDS
from tests.server.conftest import REPO_ROOT, free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(30)

UA = {"User-Agent": "fake-nws-tests (tests@example.com)"}


def get(nws: FakeNws, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(nws.base_url + path, headers=UA if headers is None else headers, follow_redirects=False)


def test_point_returns_the_documented_grid_and_forecast_link(nws: FakeNws) -> None:
    response = get(nws, f"/points/{TOPEKA[0]},{TOPEKA[1]}")

    properties = response.json()["properties"]
    assert response.headers["content-type"] == "application/geo+json"
    assert (properties["gridId"], properties["gridX"], properties["gridY"]) == ("TOP", 32, 81)
    assert properties["forecast"] == f"{nws.base_url}/gridpoints/TOP/32,81/forecast"
    assert properties["relativeLocation"]["properties"]["city"] == "Linn"


def test_more_than_four_decimals_get_a_301_to_the_rounded_point(nws: FakeNws) -> None:
    response = get(nws, "/points/39.74561,-97.08921")

    assert response.status_code == 301
    assert response.headers["location"] == "/points/39.7456,-97.0892"
    assert response.json()["type"].endswith("/AdjustPointPrecision")


def test_point_outside_coverage_is_404_invalid_point_problem(nws: FakeNws) -> None:
    response = get(nws, f"/points/{LONDON[0]},{LONDON[1]}")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "https://api.weather.gov/problems/InvalidPoint"
    assert response.json()["title"] == "Data Unavailable For Requested Point"


def test_missing_user_agent_is_403(nws: FakeNws) -> None:
    with httpx.Client() as client:
        client.headers.pop("user-agent")
        response = client.get(nws.base_url + "/alerts/active/area/KS")

    assert response.status_code == 403


def test_unknown_alert_area_is_400_with_parameter_errors(nws: FakeNws) -> None:
    response = get(nws, "/alerts/active/area/XX")

    assert response.status_code == 400
    assert response.json()["parameterErrors"][0]["parameter"] == "path.area"


def test_forecast_carries_cache_control_and_explicit_nulls(nws: FakeNws) -> None:
    response = get(nws, "/gridpoints/TOP/32,81/forecast")

    assert "max-age=900" in response.headers["cache-control"]
    periods = response.json()["properties"]["periods"]
    # What NWS publishes: seven days of 12-hour periods, night and day in turn, starting tonight.
    assert [period["isDaytime"] for period in periods] == [False, True] * 7
    starts = [datetime.fromisoformat(period["startTime"]) for period in periods]
    assert {later - earlier for earlier, later in pairwise(starts)} == {timedelta(hours=12)}
    assert periods[0]["temperatureTrend"] is None
    assert periods[2]["probabilityOfPrecipitation"] == {"unitCode": "wmoUnit:percent", "value": None}


def test_injected_failures_happen_n_times_then_normal_answers_resume(nws: FakeNws) -> None:
    nws.fail("/alerts/", 503, times=2)

    statuses = [get(nws, "/alerts/active/area/KS").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert nws.count("/alerts/active/area/KS") == 3


def test_standalone_fake_serves_with_latency_and_reports_stats(tmp_path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fakes.nws", "--port", str(port), "--latency-ms", "150"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == f"fake NWS listening on http://127.0.0.1:{port}"
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        response = httpx.get(base + "/alerts/active/area/KS", headers=UA)
        elapsed = time.perf_counter() - started
        stats = httpx.get(base + "/__fake__/stats").json()
    finally:
        process.terminate()
        process.wait(10)

    assert response.status_code == 200
    assert elapsed >= 0.15
    assert stats == {"total": 1, "by_path": {"/alerts/active/area/KS": 1}, "peak_in_flight": 1}


def test_point_links_its_observation_stations_and_hourly_forecast(nws: FakeNws) -> None:
    properties = get(nws, f"/points/{TOPEKA[0]},{TOPEKA[1]}").json()["properties"]

    assert properties["observationStations"] == f"{nws.base_url}/gridpoints/TOP/32,81/stations"
    assert properties["forecastHourly"] == f"{nws.base_url}/gridpoints/TOP/32,81/forecast/hourly"
    stations = get(nws, "/gridpoints/TOP/32,81/stations").json()
    assert [feature["properties"]["stationIdentifier"] for feature in stations["features"]] == [
        "KCNK",
        "KMYZ",
        "KTOP",
    ]
    assert stations["features"][0]["geometry"]["coordinates"] == [-97.6508, 39.5514]  # lon, lat


def test_latest_observation_values_carry_wmo_unit_codes(nws: FakeNws) -> None:
    properties = get(nws, "/stations/KCNK/observations/latest").json()["properties"]

    units = {
        name: properties[name]["unitCode"] for name in ("temperature", "windSpeed", "barometricPressure")
    }
    assert units == {
        "temperature": "wmoUnit:degC",
        "windSpeed": "wmoUnit:km_h-1",
        "barometricPressure": "wmoUnit:Pa",
    }
    assert properties["visibility"] == {"unitCode": "wmoUnit:m", "value": 16090, "qualityControl": "V"}
    assert properties["windChill"]["value"] is None


def test_observations_can_be_stale_all_null_or_missing(nws: FakeNws) -> None:
    stale = get(nws, "/stations/KOLD/observations/latest").json()["properties"]
    nulls = get(nws, "/stations/KNUL/observations/latest").json()["properties"]
    missing = get(nws, "/stations/KGON/observations/latest")

    fresh = get(nws, "/stations/KCNK/observations/latest").json()["properties"]
    # One older than the server accepts (it then tries the next station), one well within it.
    limit = timedelta(seconds=MAX_OBSERVATION_AGE_SECONDS)
    assert datetime.now(UTC) - datetime.fromisoformat(stale["timestamp"]) > limit
    assert datetime.now(UTC) - datetime.fromisoformat(fresh["timestamp"]) < limit
    weather = ("temperature", "dewpoint", "windSpeed", "windDirection", "barometricPressure", "visibility")
    assert [nulls[name]["value"] for name in weather] == [None] * len(weather)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_hourly_forecast_publishes_156_hours(nws: FakeNws) -> None:
    periods = get(nws, "/gridpoints/TOP/32,81/forecast/hourly").json()["properties"]["periods"]

    assert len(periods) == 156  # 6.5 days of hours: what NWS publishes
    assert periods[0]["probabilityOfPrecipitation"]["unitCode"] == "wmoUnit:percent"
    assert periods[0]["name"] == ""  # hourly periods are not named


def test_point_alerts_answer_400_outside_coverage(nws: FakeNws) -> None:
    inside = get(nws, f"/alerts/active?point={TOPEKA[0]},{TOPEKA[1]}")
    kansas = get(nws, "/alerts/active/area/KS")
    outside = get(nws, f"/alerts/active?point={LONDON[0]},{LONDON[1]}")

    # Topeka is in Kansas: the point's alerts are the Kansas alerts (there are some to compare).
    assert [feature["id"] for feature in inside.json()["features"]] == [
        feature["id"] for feature in kansas.json()["features"]
    ]
    assert inside.json()["features"]
    assert outside.status_code == 400
    assert outside.json()["parameterErrors"][0]["parameter"] == "point"


def test_drop_loses_the_connection_mid_response_then_serves_normally(nws: FakeNws) -> None:
    nws.drop("/alerts/", times=1)

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(nws.base_url + "/alerts/active/area/KS", headers=UA, timeout=5)
    assert httpx.get(nws.base_url + "/alerts/active/area/KS", headers=UA, timeout=5).status_code == 200


def test_a_standing_fault_hits_every_nth_request_until_cleared(nws: FakeNws) -> None:
    url = nws.base_url + "/alerts/active/area/KS"
    control = httpx.post(nws.base_url + "/__fake__/fault", json={"every": 2, "status": 429, "retry_after": 3})
    assert control.status_code == 204

    statuses = [httpx.get(url, headers=UA, timeout=5) for _ in range(4)]
    httpx.post(nws.base_url + "/__fake__/fault", json={})
    after = httpx.get(url, headers=UA, timeout=5)

    assert [response.status_code for response in statuses] == [200, 429, 200, 429]
    assert statuses[1].headers["retry-after"] == "3"
    assert after.status_code == 200
    assert httpx.post(nws.base_url + "/__fake__/fault", json={"every": 0}).status_code == 400


def test_a_held_request_is_answered_when_the_test_releases_it(nws: FakeNws) -> None:
    hold = nws.hold("/alerts/")
    answer: dict[str, httpx.Response] = {}
    caller = threading.Thread(target=lambda: answer.update(response=get(nws, "/alerts/active/area/KS")))
    caller.start()
    try:
        wait_until(lambda: hold.waiting == 1, "the request to be held")
        assert "response" not in answer  # held: no answer yet, however long that takes
    finally:
        hold.release()
        caller.join(timeout=20)

    assert answer["response"].status_code == 200
    assert hold.waiting == 0


def test_a_request_whose_client_leaves_stops_waiting_and_counting_as_in_flight(nws: FakeNws) -> None:
    nws.slow("/alerts/", 600)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(nws.base_url + "/alerts/active/area/KS", headers=UA, timeout=0.5)

    # Not 600 s later: the fake noticed the client hang up, as a real server would.
    wait_until(lambda: nws.in_flight == 0, "the abandoned request to end")
    assert [request.status for request in nws.requests] == [499]
