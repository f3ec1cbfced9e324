"""What the tool call in progress did upstream: cache outcome per lookup, HTTP statuses, time waited,
per upstream service (NWS, Open-Meteo).

A context variable, so concurrent calls do not mix. The upstream clients write to it (`record_cache`,
`record_upstream`) without knowing who reads it; the per-call log line (`server.tool_call_log`)
opens a record around each tool call (`recording`) and writes it out. This module imports nothing
from FastMCP or the rest of the server: the HTTP client sits below the tool layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

#: The upstream of `record_upstream` when none is named (the NWS client's requests).
NWS_UPSTREAM = "nws"


@dataclass
class UpstreamAttempts:
    """The HTTP attempts one call made to one upstream service."""

    statuses: list[int | str] = field(default_factory=list)
    #: Milliseconds spent waiting on these attempts, summed.
    ms: float = 0.0


@dataclass
class CallRecord:
    """What one tool call did upstream: cache outcome per lookup, HTTP statuses seen."""

    cache: dict[str, str] = field(default_factory=dict)
    #: Every attempt's status, whichever upstream it went to, in order.
    upstream_statuses: list[int | str] = field(default_factory=list)
    #: Milliseconds spent waiting on upstream attempts, summed.
    upstream_ms: float = 0.0
    #: The same attempts by upstream service ("nws", "open_meteo").
    by_upstream: dict[str, UpstreamAttempts] = field(default_factory=dict)
    #: The shared cache failed or was skipped (marked unavailable) during this call.
    shared_cache_unavailable: bool = False

    def summary(self) -> str | None:
        """One word for the whole call: stale beats miss beats hit."""
        outcomes = set(self.cache.values())
        for word, members in (
            ("stale", {"stale"}),
            ("miss", {"miss", "coalesced"}),
            ("bypass", {"bypass"}),
            ("hit", {"hit"}),
        ):
            if outcomes & members:
                return word
        return None


_current_call: ContextVar[CallRecord | None] = ContextVar("current_tool_call", default=None)


@contextmanager
def recording() -> Iterator[CallRecord]:
    """A fresh record that `record_cache` and `record_upstream` fill until the block ends."""
    record = CallRecord()
    token = _current_call.set(record)
    try:
        yield record
    finally:
        _current_call.reset(token)


def record_cache(kind: str, status: str) -> None:
    """Note a cache outcome (kind: points, forecast, alerts) on the current tool call, if any."""
    record = _current_call.get()
    if record is not None:
        record.cache[kind] = status


def record_upstream(status: int | str, elapsed_ms: float = 0.0, upstream: str = NWS_UPSTREAM) -> None:
    """Note an upstream HTTP status (or "timeout", "connect_error") and how long the attempt took
    on the current tool call, if any, for the upstream service it went to."""
    record = _current_call.get()
    if record is not None:
        record.upstream_statuses.append(status)
        record.upstream_ms += elapsed_ms
        attempts = record.by_upstream.setdefault(upstream, UpstreamAttempts())
        attempts.statuses.append(status)
        attempts.ms += elapsed_ms


def record_shared_cache_unavailable() -> None:
    """Note on the current tool call, if any, that it went without the shared cache."""
    record = _current_call.get()
    if record is not None:
        record.shared_cache_unavailable = True
