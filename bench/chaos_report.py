"""bench/CHAOS.md: the chaos run's phases as tables, and its targets judged. Pure rendering."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

from bench.chaos_outcomes import LOST_KINDS, PhaseSummary
from bench.invocation import Invocation
from bench.report import number, table

#: What a server's breaker lets through per worker process (default settings): the
#: NWS_BREAKER_FAILURES failed requests that open it plus the requests already in flight then (at
#: most NWS_MAX_CONCURRENT_REQUESTS), each of NWS_RETRY_ATTEMPTS attempts; then one probe (of as
#: many attempts) per open interval, the shortest jittered interval being 0.8 x NWS_BREAKER_OPEN_SECONDS.
BREAKER_FAILURES: Final = 5
MAX_CONCURRENT_REQUESTS: Final = 10
RETRY_ATTEMPTS: Final = 3
SHORTEST_OPEN_SECONDS: Final = 8.0
SERVERS: Final = 2
RSS_GROWTH_LIMIT: Final = 0.10
#: The memory target compares the last mark with the first mark at or after this many calls (the
#: caches fill during the first phases: their bound is reached, not a leak).
MEMORY_BASELINE_CALLS: Final = 20_000


@dataclass(frozen=True)
class MemoryMark:
    """Both servers' memory after `calls` calls in all, MiB, summed over their processes."""

    calls: int
    rss: float
    pss: float
    #: PSS split: anonymous (heap), file-backed (code, mapped files), shared memory (tmpfs maps).
    pss_anon: float = 0.0
    pss_file: float = 0.0
    pss_shmem: float = 0.0


@dataclass
class Check:
    """One target of the issue, judged on this run."""

    target: str
    measured: str
    met: bool


@dataclass
class ChaosRun:
    """How, where and what."""

    invocation: Invocation
    clients: int
    workers: int
    latency_ms: float
    phases: list[PhaseSummary]
    memory_marks: list[MemoryMark] = field(default_factory=list)
    #: The servers' caches sit behind a fleet cache server (--shared-cache).
    shared_cache: bool = False
    #: No fault phases (--soak-only): NWS answers everything.
    soak_only: bool = False


def outage_upstream_bound(wall_seconds: float, worker_processes: int) -> int:
    """Most NWS requests a breaker-bounded fleet makes during an outage of this length."""
    probes = math.ceil(wall_seconds / SHORTEST_OPEN_SECONDS)
    return worker_processes * RETRY_ATTEMPTS * (BREAKER_FAILURES + MAX_CONCURRENT_REQUESTS + probes)


def _phase(run: ChaosRun, name: str) -> PhaseSummary | None:
    return next((phase for phase in run.phases if phase.name == name), None)


def evaluate(run: ChaosRun) -> list[Check]:
    """The issue's targets, measured."""
    checks = []
    lost = sum(phase.lost for phase in run.phases)
    calls = sum(phase.calls for phase in run.phases)
    unclear = sum(
        count
        for phase in run.phases
        for kind, count in phase.kinds.items()
        if kind in ("tool_error:other", "tool_error:internal")
    )
    checks.append(
        Check(
            "Zero 5xx, zero unhandled errors; every failed call a clear tool error",
            f"{lost} lost and {unclear} unclear of {calls} calls",
            lost == 0 and unclear == 0,
        )
    )
    outage = _phase(run, "outage")
    if outage is not None:
        share = outage.cached_key_answer_share
        checks.append(
            Check(
                "Outage: calls for keys cached before it are answered (stale), 100 %",
                f"{outage.cached_key_answered} of {outage.cached_key_calls}"
                + (f" ({share:.1%})" if share is not None else ""),
                share == 1.0,
            )
        )
        bound = outage_upstream_bound(outage.wall_seconds, SERVERS * run.workers)
        checks.append(
            Check(
                "Outage: NWS requests bounded by the breaker, not one per call",
                f"{outage.upstream_requests} requests for {outage.calls} calls in {outage.wall_seconds:.0f} s"
                f" (breaker bound {bound})",
                outage.upstream_requests <= bound,
            )
        )
    restart = _phase(run, "restart")
    if restart is not None:
        checks.append(
            Check("Zero calls lost during the SIGTERM restart", f"{restart.lost} lost", restart.lost == 0)
        )
    marks = [mark for mark in run.memory_marks if mark.calls >= MEMORY_BASELINE_CALLS]
    if len(marks) >= 2:
        first, last = marks[0], marks[-1]
        growth = (last.pss - first.pss) / first.pss if first.pss else math.inf
        checks.append(
            Check(
                f"PSS after {last.calls} calls within 10 % of PSS after {first.calls}",
                f"{first.pss:.0f} MiB -> {last.pss:.0f} MiB ({growth:+.1%};"
                f" RSS {first.rss:.0f} -> {last.rss:.0f})",
                growth <= RSS_GROWTH_LIMIT,
            )
        )
    return checks


def _kinds(phase: PhaseSummary) -> str:
    errors = {kind: count for kind, count in phase.kinds.items() if kind not in ("ok", "stale")}
    if not errors:
        return "-"
    return ", ".join(f"{kind.removeprefix('tool_error:')} {count}" for kind, count in sorted(errors.items()))


def render(run: ChaosRun, notes: str = "") -> str:
    """The whole report; `notes` (markdown) goes after the tables."""
    lines = [
        "# Soak run: memory over a long healthy run" if run.soak_only else "# Chaos run: faults under load",
        "",
        "Generated by `pipenv run chaos` (`bench/chaos.py`); do not edit by hand: rerun it."
        + (" The notes after the tables are kept in `bench/CHAOS_NOTES.md`." if notes else ""),
        "",
        *run.invocation.header_lines(
            "; shared with other work while measuring" + (" (see the notes)" if notes else "")
        ),
        f"- Setup: {run.clients} official-SDK MCP clients -> loopback proxy (ALB-like round robin) -> 2 x"
        f" `python -m server` with {run.workers} uvicorn workers each and the default settings"
        + (
            " (their caches behind one fleet cache server, a private redis-server)"
            if run.shared_cache
            else ""
        )
        + f" -> fake NWS ({run.latency_ms:g} ms per request)"
        + (" answering every request." if run.soak_only else " playing the fault schedule."),
        "",
        "## Targets",
        "",
        table(
            ["target", "measured", "result"],
            [
                [check.target, check.measured, "met" if check.met else "**not met**"]
                for check in evaluate(run)
            ],
        ),
        "",
        "## Phases",
        "",
        table(
            [
                "phase",
                "calls",
                "s",
                "ok",
                "stale",
                "tool errors (retryable)",
                "lost",
                "cached keys answered",
                "NWS req",
                "NWS/call",
                "p50 ms",
                "p99 ms",
                "peak RSS MiB",
            ],
            [
                [
                    phase.name,
                    str(phase.calls),
                    number(phase.wall_seconds),
                    str(phase.kinds["ok"]),
                    str(phase.stale),
                    f"{phase.tool_errors} ({phase.retryable_errors})",
                    str(phase.lost),
                    "-" if phase.cached_key_answer_share is None else f"{phase.cached_key_answer_share:.1%}",
                    str(phase.upstream_requests),
                    number(phase.upstream_per_call, 2),
                    number(phase.latency.p50_ms),
                    number(phase.latency.p99_ms),
                    number(phase.peak_rss_mib),
                ]
                for phase in run.phases
            ],
        ),
        "",
        "## Errors by kind",
        "",
        f"Lost kinds (no clear answer): {', '.join(sorted(LOST_KINDS))}. Everything else is a tool error"
        " whose text says what failed; 'retryable' counts those that tell the user to try again.",
        "",
        table(
            ["phase", "fault", "errors by kind", "what happened"],
            [
                [
                    phase.name,
                    phase.notes[0] if phase.notes else "",
                    _kinds(phase),
                    "; ".join(phase.notes[1:]) or "-",
                ]
                for phase in run.phases
            ],
        ),
        "",
    ]
    if run.memory_marks:
        lines += [
            "## Memory",
            "",
            "Both servers, every process summed (uvicorn supervisors, resource trackers, workers). RSS"
            " counts a page shared by several processes once per process; PSS splits it between them, as"
            " a container's memory limit counts it once.",
            "",
            table(
                ["calls so far", "RSS MiB", "PSS MiB", "PSS anon", "PSS file", "PSS shmem"],
                [
                    [
                        str(mark.calls),
                        number(mark.rss),
                        number(mark.pss),
                        number(mark.pss_anon),
                        number(mark.pss_file),
                        number(mark.pss_shmem),
                    ]
                    for mark in run.memory_marks
                ],
            ),
            "",
        ]
    if notes:
        lines += [notes.rstrip(), ""]
    return "\n".join(lines)
