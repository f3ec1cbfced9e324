"""What the fake Open-Meteo knows: places (GeoNames-like records with names in several languages and
scripts), fixture points with their time zones, and the points whose answers are odd on purpose.

Tests and the benchmark pick names and coordinates from here; the documents the fake serves are built
from it (`fakes.open_meteo.documents`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FixturePlace:
    """A place the geocoding search finds, by its name or any alias (any case)."""

    id: int
    name: str
    latitude: float
    longitude: float
    country_code: str
    country: str
    timezone: str
    admin1: str | None = None
    admin2: str | None = None
    population: int | None = None
    elevation: float = 0.0
    feature_code: str = "PPL"
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def document(self) -> dict[str, object]:
        """The record as Open-Meteo's geocoding API sends it (absent fields left out, as it does)."""
        body: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "elevation": self.elevation,
            "feature_code": self.feature_code,
            "country_code": self.country_code,
            "timezone": self.timezone,
            "country": self.country,
        }
        if self.admin1:
            body["admin1"] = self.admin1
        if self.admin2:
            body["admin2"] = self.admin2
        if self.population:
            body["population"] = self.population
        return body


PLACES: tuple[FixturePlace, ...] = (
    FixturePlace(1835848, "Seoul", 37.566, 126.9784, "KR", "South Korea", "Asia/Seoul", "Seoul",
                 population=10349312, elevation=38.0, feature_code="PPLC",
                 aliases=("서울", "서울특별시", "ソウル", "Séoul", "Seúl", "首尔")),
    FixturePlace(1850147, "Tokyo", 35.6895, 139.6917, "JP", "Japan", "Asia/Tokyo", "Tokyo",
                 population=9733276, elevation=44.0, feature_code="PPLC",
                 aliases=("東京", "東京都", "とうきょう", "Tōkyō", "도쿄")),
    FixturePlace(1857910, "Kyoto", 35.0211, 135.7538, "JP", "Japan", "Asia/Tokyo", "Kyoto",
                 population=1459640, elevation=50.0, aliases=("京都", "교토")),
    FixturePlace(2867714, "Munich", 48.1374, 11.5755, "DE", "Germany", "Europe/Berlin", "Bavaria",
                 "Upper Bavaria", population=1260391, elevation=524.0, feature_code="PPLA",
                 aliases=("München", "Muenchen", "뮌헨", "ミュンヘン")),
    FixturePlace(2657896, "Zürich", 47.3667, 8.55, "CH", "Switzerland", "Europe/Zurich", "Zurich",
                 "Zürich District", population=341730, elevation=408.0, feature_code="PPLA",
                 aliases=("Zurich", "취리히")),
    FixturePlace(3448439, "São Paulo", -23.5475, -46.6361, "BR", "Brazil", "America/Sao_Paulo",
                 "São Paulo", population=10021295, elevation=769.0, feature_code="PPLA",
                 aliases=("Sao Paulo", "상파울루")),
    FixturePlace(3413829, "Reykjavík", 64.1355, -21.8954, "IS", "Iceland", "Atlantic/Reykjavik",
                 "Capital Region", population=118918, elevation=33.0, feature_code="PPLC",
                 aliases=("Reykjavik", "레이캬비크")),
    FixturePlace(4250542, "Springfield", 39.8017, -89.6437, "US", "United States", "America/Chicago",
                 "Illinois", "Sangamon", population=116250, elevation=180.0, feature_code="PPLA"),
    FixturePlace(4409896, "Springfield", 37.2153, -93.2982, "US", "United States", "America/Chicago",
                 "Missouri", "Greene", population=169176, elevation=396.0, feature_code="PPLA2"),
    FixturePlace(4951788, "Springfield", 42.1015, -72.5898, "US", "United States", "America/New_York",
                 "Massachusetts", "Hampden", population=155929, elevation=21.0, feature_code="PPLA2"),
    FixturePlace(5754005, "Springfield", 44.0462, -123.022, "US", "United States",
                 "America/Los_Angeles", "Oregon", "Lane", population=61851, elevation=140.0),
    FixturePlace(4525353, "Springfield", 39.9242, -83.8088, "US", "United States", "America/New_York",
                 "Ohio", "Clark", population=58662, elevation=300.0, feature_code="PPLA2"),
    FixturePlace(2988507, "Paris", 48.8534, 2.3488, "FR", "France", "Europe/Paris", "Île-de-France",
                 "Paris", population=2138551, elevation=42.0, feature_code="PPLC",
                 aliases=("파리", "パリ")),
    FixturePlace(4717560, "Paris", 33.6609, -95.5555, "US", "United States", "America/Chicago", "Texas",
                 "Lamar", population=24171, elevation=181.0, feature_code="PPLA2"),
    FixturePlace(4280539, "Topeka", 39.0483, -95.678, "US", "United States", "America/Chicago", "Kansas",
                 "Shawnee", population=127473, elevation=289.0, feature_code="PPLA"),
    FixturePlace(2198148, "Suva", -18.1416, 178.4415, "FJ", "Fiji", "Pacific/Fiji", "Central",
                 population=77366, elevation=10.0, feature_code="PPLC"),
    FixturePlace(4035413, "Apia", -13.8333, -171.7667, "WS", "Samoa", "Pacific/Apia", "Tuamasaga",
                 population=40407, elevation=2.0, feature_code="PPLC"),
    FixturePlace(2729907, "Longyearbyen", 78.2232, 15.6267, "SJ", "Svalbard and Jan Mayen",
                 "Arctic/Longyearbyen", population=2060, elevation=20.0, feature_code="PPLA"),
    FixturePlace(6696480, "McMurdo Station", -77.846, 166.676, "AQ", "Antarctica", "Antarctica/McMurdo",
                 elevation=24.0, feature_code="STNB"),
)  # fmt: skip

#: Fixture coordinates (latitude, longitude).
SEOUL = (37.566, 126.9784)
TOKYO = (35.6895, 139.6917)
MUNICH = (48.1374, 11.5755)
SUVA = (-18.1416, 178.4415)
APIA = (-13.8333, -171.7667)
LONGYEARBYEN = (78.2232, 15.6267)
MCMURDO = (-77.846, 166.676)
#: The open Pacific: no place, time zone GMT-09 (Etc/GMT+9), like Open-Meteo at sea.
OPEN_PACIFIC = (0.0, -140.0)
#: Null Island: the fake sends nulls wherever Open-Meteo may (current values, probabilities, ...).
NULL_ISLAND = (0.0, 0.0)
#: Its forecast carries a weather code no WMO table entry has (4), and one that is not a number.
ODD_CODES_POINT = (-40.0, -100.0)
#: Named time zones of the fixture points; any other point gets a whole-hour zone from its longitude.
POINT_ZONES: dict[tuple[float, float], str] = {
    (place.latitude, place.longitude): place.timezone for place in PLACES
}
