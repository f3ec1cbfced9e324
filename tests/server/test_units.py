"""Unit conversion of NWS observations: known values, unit codes, and what is refused."""

from __future__ import annotations

import pytest

from server.units import (
    celsius_to_fahrenheit,
    compass_point,
    great_circle_km,
    kmh_to_mph,
    metres_to_miles,
    pa_to_inhg,
    to_si,
)


@pytest.mark.parametrize(
    ("celsius", "fahrenheit"), [(0, 32), (100, 212), (-40, -40), (37, 98.6), (22.8, 73.04)]
)
def test_celsius_to_fahrenheit_known_values(celsius: float, fahrenheit: float) -> None:
    assert celsius_to_fahrenheit(celsius) == pytest.approx(fahrenheit)


def test_kmh_to_mph_known_values() -> None:
    assert round(kmh_to_mph(100), 1) == 62.1
    assert kmh_to_mph(1.609344) == pytest.approx(1.0)
    assert kmh_to_mph(0) == 0


def test_pascals_to_inches_of_mercury_known_values() -> None:
    assert round(pa_to_inhg(101325), 2) == 29.92  # one standard atmosphere
    assert pa_to_inhg(3386.389) == pytest.approx(1.0)


def test_metres_to_miles_known_values() -> None:
    assert metres_to_miles(1609.344) == pytest.approx(1.0)
    assert round(metres_to_miles(16090), 1) == 10.0  # the visibility NWS reports as "10 miles"


@pytest.mark.parametrize(
    ("quantity", "kind", "expected"),
    [
        ({"unitCode": "wmoUnit:degC", "value": 22.8, "qualityControl": "V"}, "temperature", 22.8),
        ({"unitCode": "wmoUnit:degF", "value": 212}, "temperature", 100.0),
        ({"unitCode": "wmoUnit:K", "value": 273.15}, "temperature", 0.0),
        ({"unitCode": "wmoUnit:km_h-1", "value": 18.36}, "speed", 18.36),
        ({"unitCode": "wmoUnit:m_s-1", "value": 10}, "speed", 36.0),
        ({"unitCode": "wmoUnit:Pa", "value": 101325}, "pressure", 101325.0),
        ({"unitCode": "wmoUnit:hPa", "value": 1013.25}, "pressure", 101325.0),
        ({"unitCode": "wmoUnit:m", "value": 16090}, "length", 16090.0),
        ({"unitCode": "wmoUnit:percent", "value": 41.2}, "percent", 41.2),
        ({"unitCode": "wmoUnit:degree_(angle)", "value": 190}, "angle", 190.0),
        ({"unitCode": "unit:degC", "value": 5}, "temperature", 5.0),  # the older prefix
    ],
)
def test_quantities_are_read_in_the_unit_their_code_names(
    quantity: dict[str, object], kind: str, expected: float
) -> None:
    assert to_si(quantity, kind) == pytest.approx(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "quantity",
    [
        {"unitCode": "wmoUnit:degC", "value": None, "qualityControl": "Z"},  # NWS's usual gap
        {"unitCode": "wmoUnit:Pa", "value": 20},  # a pressure unit for a temperature
        {"unitCode": "wmoUnit:furlong", "value": 3},
        {"value": 20},  # no unit code: guessing would be worse than nothing
        {"unitCode": "wmoUnit:degC", "value": "20"},
        {"unitCode": "wmoUnit:degC", "value": True},
        {"unitCode": "wmoUnit:degC", "value": float("nan")},
        None,
        20,
    ],
)
def test_null_unknown_or_mismatched_quantities_are_none(quantity: object) -> None:
    assert to_si(quantity, "temperature") is None


@pytest.mark.parametrize(
    ("degrees", "point"),
    [(0, "N"), (360, "N"), (190, "S"), (200, "SSW"), (225, "SW"), (340, "NNW"), (89, "E")],
)
def test_compass_points(degrees: float, point: str) -> None:
    assert compass_point(degrees) == point


def test_great_circle_distance_known_value() -> None:
    # One degree of latitude is 111.2 km on the mean-radius sphere.
    assert great_circle_km(39.0, -97.0, 40.0, -97.0) == pytest.approx(111.19, abs=0.01)
    assert great_circle_km(39.0, -97.0, 39.0, -97.0) == 0
