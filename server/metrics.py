"""CloudWatch Embedded Metric Format (EMF) members for the per-call log line.

CloudWatch Logs turns a JSON log event carrying an ``_aws`` member into metrics: no agent, no API
call, no extra permission. The tool call line gets these members next to its usual keys:

- by tool (dimension ``tool``): ``ToolLatency`` (ms) and ``ToolErrors`` (0 or 1);
- for the whole service (no dimension): ``CacheHits``, ``CacheMisses``, ``CacheStale`` (0 or 1 per
  call, from the call's cache summary), ``NwsRequests`` and ``NwsErrors`` (upstream attempts, and
  those that failed with 429, 5xx, a timeout or no connection), and ``NwsLatency`` (ms spent waiting
  on NWS; only on calls that asked NWS at all, so cache hits do not drag it to zero);
  ``SharedCacheUnavailable`` (0 or 1: the call went without the shared cache because it failed or
  is paused after a failure; see server/shared_cache.py).

Dependency-free on purpose: the stacks import the names below for the dashboard and alarms.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
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
SHARED_CACHE_UNAVAILABLE: Final = "SharedCacheUnavailable"

_FAILED_TRANSPORT: Final = frozenset({"timeout", "connect_error"})


def is_nws_error(status: int | str) -> bool:
    """An upstream attempt that NWS (or the path to it) failed: 429, 5xx, timeout, no connection."""
    if isinstance(status, str):
        return status in _FAILED_TRANSPORT
    return status == 429 or status >= 500


def emf_members(
    *,
    tool: str,
    outcome: str,
    duration_ms: float,
    cache: str | None,
    upstream_statuses: Sequence[int | str],
    upstream_ms: float,
    timestamp_ms: int | None = None,
    shared_cache_unavailable: bool = False,
) -> dict[str, object]:
    """The members to add to the tool call's log line (metric values plus the ``_aws`` directive)."""
    service_metrics = [
        {"Name": CACHE_HITS, "Unit": "Count"},
        {"Name": CACHE_MISSES, "Unit": "Count"},
        {"Name": CACHE_STALE, "Unit": "Count"},
        {"Name": NWS_REQUESTS, "Unit": "Count"},
        {"Name": NWS_ERRORS, "Unit": "Count"},
        {"Name": SHARED_CACHE_UNAVAILABLE, "Unit": "Count"},
    ]
    members: dict[str, object] = {
        TOOL_DIMENSION: tool,
        TOOL_LATENCY: duration_ms,
        TOOL_ERRORS: int(outcome != "ok"),
        CACHE_HITS: int(cache == "hit"),
        CACHE_MISSES: int(cache == "miss"),
        CACHE_STALE: int(cache == "stale"),
        NWS_REQUESTS: len(upstream_statuses),
        NWS_ERRORS: sum(1 for status in upstream_statuses if is_nws_error(status)),
        SHARED_CACHE_UNAVAILABLE: int(shared_cache_unavailable),
    }
    if upstream_statuses:
        members[NWS_LATENCY] = round(upstream_ms, 1)
        service_metrics.append({"Name": NWS_LATENCY, "Unit": "Milliseconds"})
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
