"""How long Open-Meteo answers are kept, how requests map to cache keys, and the cache lookup that notes
its outcome on the call and the trace.

Open-Meteo sends no freshness headers worth following, so each resource has a TTL that fits its
data (`OPEN_METEO_*_TTL_SECONDS`, defaults in `server.settings`: places do not move, a day; the
current conditions are 15-minute values and the models run hourly, 15 minutes; air quality is
hourly, 30 minutes). Coordinates are rounded to 0.01 degree
(about 1 km) for the request and the key: finer than any Open-Meteo model's grid (1.5 km and up),
so nearby points share one entry without changing the answer's grid cell in practice.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from server.cache import Fetch, Lookup, ResponseCache, V
from server.call_record import record_cache
from server.metrics import OPEN_METEO
from server.open_meteo.errors import OpenMeteoError
from server.tracing import lookup_span, set_cache_outcome

#: Decimals of the coordinates sent to Open-Meteo (0.01 degree: about 1.1 km of latitude).
COORDINATE_DECIMALS: Final = 2


def grid_key(latitude: float, longitude: float) -> tuple[float, float]:
    """The coordinates asked of Open-Meteo for a point: rounded, without '-0', longitude 180 as -180."""
    lat = round(latitude, COORDINATE_DECIMALS) + 0.0
    lon = round(longitude, COORDINATE_DECIMALS) + 0.0
    if lon == 180.0:
        lon = -180.0  # the same meridian: one cache entry
    return lat, lon


def normalize_query(query: str) -> str:
    """A place name as sent to Open-Meteo: Unicode NFC (a composed 'ü' and 'u' + combining diaeresis
    are one name), runs of white space as one space, no surrounding space."""
    return " ".join(unicodedata.normalize("NFC", query).split())


def query_key(query: str) -> str:
    """The cache key of a place name: `normalize_query` case-folded ('SEOUL', 'seoul' share an entry)."""
    return normalize_query(query).casefold()


async def lookup(cache: ResponseCache[V], kind: str, key: str, fetch: Fetch[V]) -> Lookup[V]:
    """A cache lookup whose outcome is noted on the current tool call's log record and trace."""
    with lookup_span(kind, OPEN_METEO) as span:
        try:
            found = await cache.get(key, fetch)
        except OpenMeteoError:
            record_cache(f"open_meteo_{kind}", "miss")
            set_cache_outcome(span, "miss", OPEN_METEO)
            raise
        record_cache(f"open_meteo_{kind}", found.status)
        set_cache_outcome(span, found.status, OPEN_METEO)
        return found
