"""How long NWS answers are kept, and the cache lookup that notes its outcome on the call and the trace."""

from __future__ import annotations

import re
from typing import Final

import httpx

from server.cache import Fetch, Lookup, ResponseCache, V
from server.call_record import record_cache
from server.nws.errors import NwsError
from server.tracing import lookup_span, set_cache_outcome

_MAX_AGE_RE: Final = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d+)", re.IGNORECASE)
#: Latest observations are kept at least this long and at most this long, whatever max-age says:
#: stations report about once an hour, and a few minutes of reuse spares NWS most repeats.
OBSERVATION_TTL_FLOOR_SECONDS: Final = 60.0
OBSERVATION_TTL_CEILING_SECONDS: Final = 600.0


def ttl_from_cache_control(headers: httpx.Headers, *, floor: float, ceiling: float) -> float:
    """Seconds to keep a response: NWS's Cache-Control max-age clamped to [floor, ceiling]."""
    value = headers.get("cache-control", "")
    if "no-store" in value.lower():
        return 0.0
    match = _MAX_AGE_RE.search(value)
    max_age = float(match.group(1)) if match else floor
    return min(max(max_age, floor), ceiling)


async def lookup(cache: ResponseCache[V], kind: str, key: str, fetch: Fetch[V]) -> Lookup[V]:
    """A cache lookup whose outcome is noted on the current tool call's log record and trace."""
    with lookup_span(kind) as span:
        try:
            found = await cache.get(key, fetch)
        except NwsError:
            record_cache(kind, "miss")
            set_cache_outcome(span, "miss")
            raise
        record_cache(kind, found.status)
        set_cache_outcome(span, found.status)
        return found
