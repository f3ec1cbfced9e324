"""Words for the numbers Open-Meteo sends: WMO weather codes, and the categories of the US and European
air quality indexes. An answer never shows one of these as a bare number.
"""

from __future__ import annotations

from typing import Final

#: WMO weather interpretation codes (WMO 4677, as Open-Meteo documents the subset its models produce).
WEATHER_CODES: Final = {
    0: "Clear sky",
    1: "Mainly clear",
    2: "Partly cloudy",
    3: "Overcast",
    45: "Fog",
    48: "Depositing rime fog",
    51: "Light drizzle",
    53: "Moderate drizzle",
    55: "Dense drizzle",
    56: "Light freezing drizzle",
    57: "Dense freezing drizzle",
    61: "Slight rain",
    63: "Moderate rain",
    65: "Heavy rain",
    66: "Light freezing rain",
    67: "Heavy freezing rain",
    71: "Slight snowfall",
    73: "Moderate snowfall",
    75: "Heavy snowfall",
    77: "Snow grains",
    80: "Slight rain showers",
    81: "Moderate rain showers",
    82: "Violent rain showers",
    85: "Slight snow showers",
    86: "Heavy snow showers",
    95: "Thunderstorm",
    96: "Thunderstorm with slight hail",
    99: "Thunderstorm with heavy hail",
}

#: US AQI (EPA): (highest value of the category, its name).
US_AQI_CATEGORIES: Final = (
    (50, "Good"),
    (100, "Moderate"),
    (150, "Unhealthy for sensitive groups"),
    (200, "Unhealthy"),
    (300, "Very unhealthy"),
)
US_AQI_TOP: Final = "Hazardous"
#: European AQI (EEA, as Open-Meteo computes it): (upper bound of the category, its name).
EUROPEAN_AQI_CATEGORIES: Final = (
    (20, "Good"),
    (40, "Fair"),
    (60, "Moderate"),
    (80, "Poor"),
    (100, "Very poor"),
)
EUROPEAN_AQI_TOP: Final = "Extremely poor"


def weather_words(code: int | None) -> str:
    """The weather a WMO code stands for ('Slight rain'); words, never a bare number, for any input."""
    if code is None:
        return "Weather not reported"
    return WEATHER_CODES.get(code, f"Weather not described by Open-Meteo's codes (WMO code {code})")


def _category(value: float | None, bounds: tuple[tuple[int, str], ...], top: str) -> str | None:
    if value is None or value < 0:
        return None
    for bound, name in bounds:
        if value <= bound:
            return name
    return top


def us_aqi_category(value: float | None) -> str | None:
    """The EPA category of a US AQI value ('Moderate'), None without a value."""
    return _category(value, US_AQI_CATEGORIES, US_AQI_TOP)


def european_aqi_category(value: float | None) -> str | None:
    """The EEA category of a European AQI value ('Fair'), None without a value."""
    return _category(value, EUROPEAN_AQI_CATEGORIES, EUROPEAN_AQI_TOP)
