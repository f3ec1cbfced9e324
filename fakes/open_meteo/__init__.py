"""A fake Open-Meteo: forecast (`/v1/forecast`), geocoding (`/v1/search`) and air quality
(`/v1/air-quality`) on one loopback port, for tests and the benchmark.

Answers follow the shapes Open-Meteo documents: local times without offset with `timezone=auto`,
one array per variable, `{"error": true, "reason": ...}` with HTTP 400 for a bad request (an unknown
variable, a latitude out of range), and no `results` key when a search finds nothing. Places are
found by name or alias in several languages and scripts (서울, 東京, München); one-character names
find nothing, as with Open-Meteo. Values are deterministic, computed from the coordinates and the
current time; Null Island answers nulls and one point answers weather codes no table has.

In tests: see `FakeOpenMeteo` (fault injection, request counts, `environment()` for the server).
Standalone (for the benchmark): ``python -m fakes.open_meteo --port 8082 --latency-ms 150``;
``GET /__fake__/stats`` returns request counts by path and ``POST /__fake__/reset`` clears them.

Modules: `fixtures` (places, points), `documents` (the JSON bodies), `api` (routes, knobs, serving).
"""

from fakes.open_meteo.api import (
    AIR_QUALITY_PATH,
    FORECAST_PATH,
    GEOCODING_PATH,
    FakeOpenMeteo,
    OpenMeteoRequest,
)
from fakes.open_meteo.fixtures import (
    APIA,
    LONGYEARBYEN,
    MCMURDO,
    MUNICH,
    NULL_ISLAND,
    ODD_CODES_POINT,
    OPEN_PACIFIC,
    PLACES,
    SEOUL,
    SUVA,
    TOKYO,
    FixturePlace,
)

__all__ = [
    "AIR_QUALITY_PATH",
    "APIA",
    "FORECAST_PATH",
    "GEOCODING_PATH",
    "LONGYEARBYEN",
    "MCMURDO",
    "MUNICH",
    "NULL_ISLAND",
    "ODD_CODES_POINT",
    "OPEN_PACIFIC",
    "PLACES",
    "SEOUL",
    "SUVA",
    "TOKYO",
    "FakeOpenMeteo",
    "FixturePlace",
    "OpenMeteoRequest",
]
