"""What each call of the chaos run came to, and the per-phase summary: pure functions, tested alone.

A call's outcome is one of these kinds:
- ``ok`` / ``stale``: answered, fresh or from an older cache entry (labelled stale);
- ``tool_error:<reason>``: a tool error (isError) whose text a person can act on; `retryable` says
  whether it tells them to try again;
- ``http_5xx``, ``connection_lost``, ``client_timeout``, ``unhandled``: anything else, which the
  targets count as failures of the server (a lost call).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from bench.stats import LatencySummary, summarize_latencies

#: Tool error texts, first match wins: (substring, reason).
TOOL_ERROR_REASONS: Final = (
    ("is busy", "shed"),
    ("paused its requests", "breaker_open"),
    ("rate-limiting", "nws_429"),
    ("is having trouble (HTTP", "nws_5xx"),
    ("did not answer within", "nws_timeout"),
    ("timed out", "nws_timeout"),
    ("Could not connect", "nws_connection"),
    ("slow to answer", "nws_busy"),
    ("could not read", "nws_bad_response"),
    ("could not use", "nws_bad_response"),
    ("internal error", "internal"),
)
#: Kinds that are not a clear tool error: the call was lost as far as the user can tell.
LOST_KINDS: Final = frozenset({"http_5xx", "connection_lost", "client_timeout", "unhandled", "not_made"})


def tool_error_reason(text: str) -> str:
    """The reason of a tool error from its text ("other" when none is recognised)."""
    for needle, reason in TOOL_ERROR_REASONS:
        if needle in text:
            return reason
    return "other"


def is_retryable_text(text: str) -> bool:
    """Whether an error text tells the user that trying again later may work."""
    lowered = text.lower()
    return "try again" in lowered or "retry in" in lowered


def classify_result(is_error: bool, text: str, structured: dict[str, Any] | None) -> tuple[str, bool]:
    """(kind, retryable) of a call that returned a tool result."""
    if is_error:
        return f"tool_error:{tool_error_reason(text)}", is_retryable_text(text)
    freshness = (structured or {}).get("freshness") or {}
    return ("stale" if freshness.get("stale") else "ok"), False


def classify_exception(error: BaseException) -> str:
    """The kind of a call that raised instead of returning a result."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    name = type(error).__name__
    text = str(error)
    if isinstance(error, TimeoutError) or "Timeout" in name:
        return "client_timeout"
    if "HTTPStatusError" in name or any(f" {code}" in text for code in ("500", "502", "503", "504")):
        return "http_5xx"
    if any(word in name for word in ("Connect", "Read", "Write", "Protocol", "Closed", "Network")):
        return "connection_lost"
    if "Connection closed" in text or "connection" in text.lower():
        return "connection_lost"
    return "unhandled"


@dataclass(frozen=True)
class CallRecord:
    """One call: latency (s), kind, whether its error was retryable, whether its key was cached."""

    latency: float
    kind: str
    retryable: bool
    cached_key: bool

    def to_json(self) -> list[Any]:
        """Compact form on the load generator's stdout."""
        return [round(self.latency, 5), self.kind, self.retryable, self.cached_key]

    @classmethod
    def from_json(cls, raw: list[Any]) -> CallRecord:
        """The inverse of `to_json`."""
        latency, kind, retryable, cached = raw
        return cls(float(latency), str(kind), bool(retryable), bool(cached))


@dataclass
class PhaseSummary:
    """The per-phase figures of the report."""

    name: str
    calls: int
    wall_seconds: float
    kinds: Counter[str] = field(default_factory=Counter)
    retryable_errors: int = 0
    cached_key_calls: int = 0
    cached_key_answered: int = 0  # ok or stale
    stale: int = 0
    latency: LatencySummary = field(default_factory=lambda: summarize_latencies([]))
    upstream_requests: int = 0
    peak_rss_mib: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def tool_errors(self) -> int:
        """Calls answered with a tool error."""
        return sum(count for kind, count in self.kinds.items() if kind.startswith("tool_error:"))

    @property
    def lost(self) -> int:
        """Calls that got no clear answer at all (5xx, dropped connection, timeout, other exception)."""
        return sum(self.kinds[kind] for kind in LOST_KINDS)

    @property
    def upstream_per_call(self) -> float:
        """NWS requests per call made."""
        return self.upstream_requests / self.calls if self.calls else 0.0

    @property
    def cached_key_answer_share(self) -> float | None:
        """Share of calls for cached keys that were answered (fresh or stale); None if there were none."""
        return self.cached_key_answered / self.cached_key_calls if self.cached_key_calls else None


def summarize_phase(name: str, records: list[CallRecord], wall_seconds: float) -> PhaseSummary:
    """Counts, shares and latency percentiles of one phase's calls."""
    summary = PhaseSummary(name=name, calls=len(records), wall_seconds=wall_seconds)
    for record in records:
        summary.kinds[record.kind] += 1
        if record.kind.startswith("tool_error:") and record.retryable:
            summary.retryable_errors += 1
        if record.kind == "stale":
            summary.stale += 1
        if record.cached_key:
            summary.cached_key_calls += 1
            summary.cached_key_answered += record.kind in ("ok", "stale")
    summary.latency = summarize_latencies([record.latency for record in records])
    return summary
