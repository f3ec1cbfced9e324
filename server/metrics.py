"""CloudWatch Embedded Metric Format (EMF) members for the per-call log line.

CloudWatch Logs turns a JSON log event carrying an ``_aws`` member into metrics: no agent, no API
call, no extra permission. The tool call line gets these members next to its usual keys:

- by tool (dimension ``tool``): ``ToolLatency`` (ms) and ``ToolErrors`` (0 or 1);
- for the whole service (no dimension): ``CacheHits``, ``CacheMisses``, ``CacheStale`` (0 or 1 per
  call, from the call's cache summary), ``NwsRequests`` and ``NwsErrors`` (upstream attempts, and
  those that failed with 429, 5xx, a timeout or no connection), and ``NwsLatency`` (ms spent waiting
  on NWS; only on calls that asked NWS at all, so cache hits do not drag it to zero);
  ``OpenMeteoRequests``, ``OpenMeteoErrors`` and ``OpenMeteoLatency``, the same for Open-Meteo;
  ``SharedCacheUnavailable`` (0 or 1: the call went without the shared cache because it failed or
  is paused after a failure; see server/shared_cache.py).

The OAuth registration line (`server.oauth_registration`, one per POST /register) carries
``OAuthRegistrations`` (1 for a client registered) and ``OAuthRegistrationsRefused`` (1 for an
attempt refused: too large, rate-limited, or invalid), for the whole service.

Dependency-free on purpose: the stacks import the names below for the dashboard and alarms.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Final

#: CloudWatch namespace of the server's own metrics.
NAMESPACE: Final = "MCPWeatherServer"
#: Dimension of the per-tool metrics (its value is the tool name).
TOOL_DIMENSION: Final = "tool"

TOOL_LATENCY: Final = "ToolLatency"
TOOL_ERRORS: Final = "ToolErrors"
CACHE_HITS: Final = "CacheHits"
CACHE_MISSES: Final = "CacheMisses"
CACHE_STALE: Final = "CacheStale"
NWS_REQUESTS: Final = "NwsRequests"
NWS_ERRORS: Final = "NwsErrors"
NWS_LATENCY: Final = "NwsLatency"
OAUTH_REGISTRATIONS: Final = "OAuthRegistrations"
OAUTH_REGISTRATIONS_REFUSED: Final = "OAuthRegistrationsRefused"
OPEN_METEO_REQUESTS: Final = "OpenMeteoRequests"
OPEN_METEO_ERRORS: Final = "OpenMeteoErrors"
OPEN_METEO_LATENCY: Final = "OpenMeteoLatency"

#: The upstream services, as the clients name them when they note an attempt (`server.call_record`).
NWS: Final = "nws"
OPEN_METEO: Final = "open_meteo"
#: Per upstream service: its requests, errors and latency metrics, in the order they are reported.
UPSTREAM_METRICS: Final = {
    NWS: (NWS_REQUESTS, NWS_ERRORS, NWS_LATENCY),
    OPEN_METEO: (OPEN_METEO_REQUESTS, OPEN_METEO_ERRORS, OPEN_METEO_LATENCY),
}
SHARED_CACHE_UNAVAILABLE: Final = "SharedCacheUnavailable"

_FAILED_TRANSPORT: Final = frozenset({"timeout", "connect_error"})


def is_upstream_error(status: int | str) -> bool:
    """An upstream attempt that the service (or the path to it) failed: 429, 5xx, timeout, no connection."""
    if isinstance(status, str):
        return status in _FAILED_TRANSPORT
    return status == 429 or status >= 500


def emf_members(
    *,
    tool: str,
    outcome: str,
    duration_ms: float,
    cache: str | None,
    upstreams: Mapping[str, tuple[Sequence[int | str], float]],
    timestamp_ms: int | None = None,
    shared_cache_unavailable: bool = False,
) -> dict[str, object]:
    """The members to add to the tool call's log line (metric values plus the ``_aws`` directive).

    `upstreams`: per upstream service (`NWS`, `OPEN_METEO`), the statuses of the call's attempts and
    the milliseconds spent waiting on them; a service the call did not ask may be left out.
    """
    service_metrics = [
        {"Name": CACHE_HITS, "Unit": "Count"},
        {"Name": CACHE_MISSES, "Unit": "Count"},
        {"Name": CACHE_STALE, "Unit": "Count"},
        {"Name": SHARED_CACHE_UNAVAILABLE, "Unit": "Count"},
    ]
    members: dict[str, object] = {
        TOOL_DIMENSION: tool,
        TOOL_LATENCY: duration_ms,
        TOOL_ERRORS: int(outcome != "ok"),
        CACHE_HITS: int(cache == "hit"),
        CACHE_MISSES: int(cache == "miss"),
        CACHE_STALE: int(cache == "stale"),
        SHARED_CACHE_UNAVAILABLE: int(shared_cache_unavailable),
    }
    latencies = []
    for upstream, (requests, errors, latency) in UPSTREAM_METRICS.items():
        statuses, waited_ms = upstreams.get(upstream, ((), 0.0))
        members[requests] = len(statuses)
        members[errors] = sum(1 for status in statuses if is_upstream_error(status))
        service_metrics += [{"Name": requests, "Unit": "Count"}, {"Name": errors, "Unit": "Count"}]
        if statuses:
            members[latency] = round(waited_ms, 1)
            latencies.append({"Name": latency, "Unit": "Milliseconds"})
    service_metrics += latencies
    members["_aws"] = {
        "Timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": NAMESPACE,
                "Dimensions": [[TOOL_DIMENSION]],
                "Metrics": [
                    {"Name": TOOL_LATENCY, "Unit": "Milliseconds"},
                    {"Name": TOOL_ERRORS, "Unit": "Count"},
                ],
            },
            {"Namespace": NAMESPACE, "Dimensions": [[]], "Metrics": service_metrics},
        ],
    }
    return members


def registration_emf_members(*, registered: bool, timestamp_ms: int | None = None) -> dict[str, object]:
    """The members to add to a registration attempt's log line (one of the two counts is 1)."""
    return {
        OAUTH_REGISTRATIONS: int(registered),
        OAUTH_REGISTRATIONS_REFUSED: int(not registered),
        "_aws": {
            "Timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [[]],
                    "Metrics": [
                        {"Name": OAUTH_REGISTRATIONS, "Unit": "Count"},
                        {"Name": OAUTH_REGISTRATIONS_REFUSED, "Unit": "Count"},
                    ],
                }
            ],
        },
    }
