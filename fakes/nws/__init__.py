"""A fake National Weather Service API: a real HTTP server on loopback for tests and benchmarks.

Responses follow the shapes documented for api.weather.gov (GeoJSON features, RFC 7807
problem+json errors, Cache-Control max-age), including its awkward parts: explicit nulls, a 301
for coordinates with more than 4 decimals, 404 InvalidPoint outside coverage, 400 for unknown alert
areas, 403 without a User-Agent. Current conditions come from observation stations near each grid
cell (`/gridpoints/{office}/{x},{y}/stations`, nearest first) and their latest observations
(`/stations/{id}/observations/latest`), whose values are SI quantities with WMO unit codes; some
stations answer with an observation hours old, with nulls everywhere, or 404. Hourly forecasts
publish 156 one-hour periods; `/alerts/active?point=lat,lon` answers the alerts of the area that
contains the point, and 400 outside coverage.

In tests::

    with FakeNws() as nws:                # starts on 127.0.0.1 with a free port, in a thread
        nws.base_url                      # -> "http://127.0.0.1:PORT"
        nws.fail("/points/", 503, times=2)   # next 2 matching requests answer 503, then normal
        nws.slow("/alerts/", seconds=5)      # next matching request waits 5 s (less if its client leaves)
        hold = nws.hold("/alerts/", times=2) # next 2 matching requests wait until hold.release()
        hold.waiting                         # how many are held right now
        nws.malformed("/gridpoints/")        # next matching request is 200 with broken JSON
        nws.drop("/alerts/", times=3)        # next 3 matching requests lose the connection mid-body
        nws.latency_ms = 150                 # every request waits this long
        nws.count("/points/")                # requests received whose path starts with this
        nws.peak_in_flight                   # most requests it was answering at once

Standalone (for the benchmark): ``python -m fakes.nws --port 8081 --latency-ms 150``;
``GET /__fake__/stats`` returns request counts by path and ``POST /__fake__/reset`` clears them.

Modules: `fixtures` (coverage, fixture points, stations), `documents` (the GeoJSON bodies),
`responses` (problem+json, caching headers), `faults` (injected misbehaviour), `api` (routes, knobs,
serving).
"""

from fakes.nws.api import FakeNws
from fakes.nws.faults import Fault, Hold, RecordedRequest
from fakes.nws.fixtures import (
    ALERT_AREAS,
    CELLS_PER_DEGREE,
    COVERAGE,
    DENVER,
    FALLBACK_POINT,
    FRESH_OBSERVATION_AGE,
    GM_ALERTS,
    GRID_STATIONS,
    HOURLY_PERIODS,
    KS_ALERTS,
    LONDON,
    MID_ATLANTIC,
    MISSING_STATION_POINT,
    NO_GRID_POINT,
    NO_OBSERVATION_POINT,
    NO_STATIONS_POINT,
    NORTH_OF_BORDER,
    NULLS_POINT,
    OBSERVATION_VALUES,
    SOUTH_OF_BORDER,
    STALE_OBSERVATION_AGE,
    STATIONS,
    TOPEKA,
    TOPEKA_NEIGHBOUR,
    TX_ALERTS,
    FixtureStation,
    grid_for,
    station,
    stations_for,
)

__all__ = [
    "ALERT_AREAS",
    "CELLS_PER_DEGREE",
    "COVERAGE",
    "DENVER",
    "FALLBACK_POINT",
    "FRESH_OBSERVATION_AGE",
    "GM_ALERTS",
    "GRID_STATIONS",
    "HOURLY_PERIODS",
    "KS_ALERTS",
    "LONDON",
    "MID_ATLANTIC",
    "MISSING_STATION_POINT",
    "NORTH_OF_BORDER",
    "NO_GRID_POINT",
    "NO_OBSERVATION_POINT",
    "NO_STATIONS_POINT",
    "NULLS_POINT",
    "OBSERVATION_VALUES",
    "SOUTH_OF_BORDER",
    "STALE_OBSERVATION_AGE",
    "STATIONS",
    "TOPEKA",
    "TOPEKA_NEIGHBOUR",
    "TX_ALERTS",
    "FakeNws",
    "Fault",
    "FixtureStation",
    "Hold",
    "RecordedRequest",
    "grid_for",
    "station",
    "stations_for",
]
