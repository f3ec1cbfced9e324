"""Which observation may answer "what is it like now", and how it is converted and written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.models import Freshness, Observation, Station
from server.tools.conditions import build_conditions, describe_age, unusable_reason
from server.tools.rendering import render_conditions

NOW = datetime(2025, 6, 3, 18, 0, tzinfo=UTC)
FRESHNESS = Freshness(stale=False, fetched_at="2025-06-03T18:00:00Z", age_seconds=0)
STATION = Station(
    id="KCNK", name="Concordia, Blosser Municipal Airport", latitude=39.5514, longitude=-97.6508
)


def observation(**values: object) -> Observation:
    defaults: dict[str, object] = {
        "timestamp": (NOW - timedelta(minutes=25)).isoformat(),
        "temperature_c": 0.0,
    }
    return Observation(**{**defaults, **values})


def test_a_recent_observation_with_a_temperature_is_usable() -> None:
    assert unusable_reason(observation(), NOW) is None
    assert unusable_reason(observation(timestamp=(NOW - timedelta(hours=2)).isoformat()), NOW) is None


@pytest.mark.parametrize(
    ("obs", "reason"),
    [
        (None, "NWS has no observations from it"),
        (observation(timestamp=None), "its latest observation has no time"),
        (observation(timestamp="yesterday"), "its latest observation has no time"),
        (
            observation(timestamp=(NOW - timedelta(hours=5)).isoformat()),
            "its latest observation is 5 hours old",
        ),
        (
            observation(timestamp=(NOW - timedelta(days=3)).isoformat()),
            "its latest observation is 3 days old",
        ),
        (observation(temperature_c=None), "its latest observation has no temperature"),
    ],
)
def test_old_timeless_or_temperatureless_observations_are_skipped(
    obs: Observation | None, reason: str
) -> None:
    assert unusable_reason(obs, NOW) == reason


def test_describe_age() -> None:
    assert [describe_age(s) for s in (0, 60, 25 * 60, 119 * 60, 2 * 3600, 47 * 3600, 72 * 3600)] == [
        "0 minutes",
        "1 minute",
        "25 minutes",
        "119 minutes",
        "2 hours",
        "47 hours",
        "3 days",
    ]


def test_conversions_to_us_and_metric_units() -> None:
    result = build_conditions(
        latitude=39.7456,
        longitude=-97.0892,
        place="Linn, KS",
        station=STATION,
        observation=observation(
            temperature_c=0.0,
            dewpoint_c=-40.0,
            wind_speed_kmh=100.0,
            wind_gust_kmh=1.609344,
            wind_direction_degrees=225,
            pressure_pa=101325,
            visibility_m=1609.344,
            wind_chill_c=-5.0,
        ),
        now=NOW,
        skipped=[],
        freshness=FRESHNESS,
    )

    assert (result.temperature_f, result.temperature_c) == (32.0, 0.0)
    assert (result.dewpoint_f, result.dewpoint_c) == (-40.0, -40.0)
    assert (result.wind_speed_mph, result.wind_speed_kmh) == (62.1, 100.0)
    assert result.wind_gust_mph == 1.0
    assert (result.wind_direction, result.wind_direction_degrees) == ("SW", 225)
    assert (result.pressure_inhg, result.pressure_hpa) == (29.92, 1013.2)
    assert (result.visibility_miles, result.visibility_km) == (1.0, 1.6)
    assert (result.wind_chill_f, result.wind_chill_c) == (23.0, -5.0)
    assert (result.heat_index_f, result.heat_index_c, result.relative_humidity) == (None, None, None)
    assert result.age_minutes == 25
    assert result.observed_at == "2025-06-03T17:35:00Z"
    # 0.1942 degrees of latitude (21.6 km) and 0.5616 of longitude (48.1 km at this latitude) apart
    assert (result.station.distance_km, result.station.distance_miles) == (52.7, 32.8)


def test_text_leaves_out_what_was_not_reported() -> None:
    result = build_conditions(
        latitude=39.7456,
        longitude=-97.0892,
        place=None,
        station=Station(id="KXYZ"),
        observation=observation(temperature_c=-0.04, wind_speed_kmh=0.0),
        now=NOW,
        skipped=[],
        freshness=FRESHNESS,
    )
    text = render_conditions(result)

    assert text.splitlines() == [
        "Current conditions at 39.7456, -97.0892, observed at station KXYZ, at 2025-06-03 17:35:00 UTC"
        " (25 minutes ago):",
        "Temperature: 32°F (0°C)",
        "Wind: calm",
    ]
    assert result.temperature_c == 0.0  # never -0.0
