"""The chaos run's script: which fault the fake NWS plays in each phase, and which calls are made.

Pure data and arithmetic (no processes, no clock), so the harness's logic is testable on its own.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from bench.workloads import HOT_LOCATIONS, Call, cold_coordinates, forecast
from fakes.nws import Fault

#: Alert areas asked throughout: cached in the first phase, so the outage can serve them stale.
HOT_STATES: Final = ("KS", "TX", "CA", "NY", "FL", "WA", "CO", "IL", "GA", "OH")
#: One call in COLD_EVERY asks a coordinate never asked before (it needs NWS, or fails clearly).
COLD_EVERY: Final = 4


@dataclass(frozen=True)
class Phase:
    """One step of the schedule: a fault (None: NWS healthy) for a fixed number of calls."""

    name: str
    calls: int
    fault: Fault | None = None
    description: str = ""
    #: SIGTERM one server mid-phase (the proxy drains it), start a replacement, register it.
    restart: bool = False
    #: Read the servers' memory (RSS and PSS) at the end of this phase (for the leak check).
    rss_mark: bool = False


#: The soak is split into phases that end at multiples of this many calls, each a memory mark.
MARK_EVERY: Final = 10_000


def schedule(*, scale: float = 1.0, soak_calls: int = 100_000, soak_only: bool = False) -> list[Phase]:
    """The fault schedule; `scale` multiplies the calls of every phase but the soak.

    The first phase ends at 10,000 calls (scale 1), the fault phases at 27,000 (the `resets` phase at
    20,000), and the soak, split at every multiple of MARK_EVERY, at `soak_calls` in all: the
    servers' memory is read at each of those marks (no process is replaced before then), then one
    server is restarted. `soak_only`: the first phase and the soak, no faults and no restart.
    """

    def n(calls: int) -> int:
        return max(100, round(calls * scale))

    phases = [Phase("healthy", n(10_000), None, "NWS answers everything; fills the caches", rss_mark=True)]
    if not soak_only:
        phases += [
            Phase("burst 500", n(2000), Fault(every=2, status=500), "every 2nd NWS request: 500"),
            Phase("burst 503", n(2000), Fault(every=2, status=503), "every 2nd NWS request: 503"),
            Phase(
                "429 Retry-After", n(2000), Fault(every=2, status=429, retry_after=2), "every 2nd: 429, 2 s"
            ),
            Phase("timeouts", n(2000), Fault(every=3, delay=7.0), "every 3rd NWS request: no answer for 7 s"),
            Phase(
                "resets",
                n(2000),
                Fault(every=3, drop=True),
                "every 3rd: connection lost mid-response",
                rss_mark=True,
            ),
            Phase("slow", n(2000), Fault(every=1, delay=1.5), "every NWS request takes 1.5 s"),
            Phase("outage", n(3000), Fault(every=1, status=503), "NWS answers nothing but 503"),
            Phase("recovery", n(2000), None, "NWS healthy again"),
        ]
    done = sum(phase.calls for phase in phases)
    while soak_calls > done:
        end = min(soak_calls, (done // MARK_EVERY + 1) * MARK_EVERY)
        phases.append(Phase("soak", end - done, None, f"healthy until {end} calls in all", rss_mark=True))
        done = end
    if not soak_only:
        phases.append(
            Phase("restart", n(4000), None, "one server: SIGTERM mid-phase, replaced", restart=True)
        )
    return phases


def is_cached_key(call: Call) -> bool:
    """Whether the call asks for a key the healthy phase cached (hot states and locations)."""
    if call.tool == "get_alerts":
        return call.arguments["state"] in HOT_STATES
    return (call.arguments["latitude"], call.arguments["longitude"]) in HOT_LOCATIONS


def calls(seed: int = 14) -> Iterator[Call]:
    """The endless call mix: hot alerts and hot forecasts, and every COLD_EVERY-th call a new point."""
    rng = random.Random(seed)
    hot: Iterator[Call] = itertools.cycle(
        [Call("get_alerts", {"state": state}) for state in HOT_STATES]
        + [forecast(lat, lon) for lat, lon in HOT_LOCATIONS]
    )
    batch: list[tuple[float, float]] = []
    for index in itertools.count(1):
        if index % COLD_EVERY:
            yield next(hot)
            continue
        if not batch:
            batch = cold_coordinates(1000, rng)
        lat, lon = batch.pop()
        yield forecast(lat, lon)


def plan_json(phase_calls: int, start: int, seed: int = 14) -> list[list[Any]]:
    """Calls `start` .. `start + phase_calls` of the endless mix, as the load generator reads them."""
    return [call.to_json() for call in itertools.islice(calls(seed), start, start + phase_calls)]
