"""Unit conversions for NWS observations: SI values with WMO unit codes in, US and metric units out.

NWS sends observation values as `{"unitCode": "wmoUnit:degC", "value": 22.8, ...}`. `to_si` turns
one of those into this server's canonical unit for its kind (degC, km/h, Pa, m, percent, degrees),
whatever known unit code it carries; the `*_to_*` functions give what people read. Every factor is
an exact definition (international mile and inch, standard gravity for inches of mercury at 0 degC).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, Literal

#: Metres in an international mile (exact).
METRES_PER_MILE: Final = 1609.344
#: Pascals in one inch of mercury at 0 degC (conventional value, NIST SP 811).
PASCALS_PER_INCH_OF_MERCURY: Final = 3386.389

Kind = Literal["temperature", "speed", "pressure", "length", "percent", "angle"]

# unit code (without the "wmoUnit:"/"unit:" prefix) -> function into the kind's canonical unit
_TO_CANONICAL: Final[dict[Kind, dict[str, Callable[[float], float]]]] = {
    "temperature": {
        "degC": lambda value: value,
        "degF": lambda value: (value - 32) * 5 / 9,
        "K": lambda value: value - 273.15,
    },
    "speed": {
        "km_h-1": lambda value: value,
        "m_s-1": lambda value: value * 3.6,
        "kt": lambda value: value * 1.852,
        "mi_h-1": lambda value: value * METRES_PER_MILE / 1000,
    },
    "pressure": {
        "Pa": lambda value: value,
        "hPa": lambda value: value * 100,
    },
    "length": {
        "m": lambda value: value,
        "km": lambda value: value * 1000,
        "mi": lambda value: value * METRES_PER_MILE,
    },
    "percent": {"percent": lambda value: value},
    "angle": {"degree_(angle)": lambda value: value},
}

_COMPASS: Final = (
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
)  # fmt: skip


def to_si(quantity: object, kind: Kind) -> float | None:
    """The value of an NWS QuantitativeValue in the canonical unit of `kind`.

    None when the value is null or not a finite number, or the unit code is missing or not one of
    `kind`'s known units (a wrong unit is worse than no value).
    """
    if not isinstance(quantity, dict):
        return None
    value, code = quantity.get("value"), quantity.get("unitCode")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    if not isinstance(code, str):
        return None
    convert = _TO_CANONICAL[kind].get(code.split(":", 1)[-1])
    return None if convert is None else convert(float(value))


def celsius_to_fahrenheit(celsius: float) -> float:
    """degC to degF."""
    return celsius * 9 / 5 + 32


def kmh_to_mph(kmh: float) -> float:
    """km/h to miles per hour."""
    return kmh * 1000 / METRES_PER_MILE


def pa_to_inhg(pascals: float) -> float:
    """Pascals to inches of mercury."""
    return pascals / PASCALS_PER_INCH_OF_MERCURY


def metres_to_miles(metres: float) -> float:
    """Metres to miles."""
    return metres / METRES_PER_MILE


def compass_point(degrees: float) -> str:
    """The 16-point compass direction of a bearing in degrees (0 = N, 90 = E)."""
    return _COMPASS[round((degrees % 360) / 22.5) % 16]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance between two coordinates along the Earth's surface (haversine, mean radius 6371.0088 km)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = math.radians(lat2 - lat1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))
