"""What one benchmark run produced: dataclasses rendered by `bench.report`, judged by `bench.targets`."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.run_types import Mode, UpstreamCounts
from bench.stats import LatencySummary, rate, ratio


@dataclass(frozen=True)
class CpuUsage:
    """CPU seconds used during the measured phase, per process and for the whole machine."""

    server: float
    loadgen: float
    fake_nws: float
    machine_busy: float
    machine_capacity: float  # wall time x cores

    @property
    def others(self) -> float:
        """CPU used by processes that are not part of the benchmark (noise on a shared machine)."""
        return max(0.0, self.machine_busy - self.server - self.loadgen - self.fake_nws)


@dataclass(frozen=True)
class Memory:
    """Server memory in MiB, summed over its processes (uvicorn supervisor, workers, resource tracker)."""

    peak_rss: float  # sum of each process's VmHWM: an upper bound of the simultaneous peak
    end_rss: float
    end_pss: float  # shared pages counted once: closest to what a container limit sees
    processes: int


@dataclass(frozen=True)
class Scenario:
    """One workload against one server mode at one concurrency."""

    workload: str
    mode: Mode
    clients: int
    workers: int
    calls: int
    errors: int
    error_samples: dict[str, int]
    wall_seconds: float
    latency: LatencySummary
    upstream: UpstreamCounts
    cpu: CpuUsage
    memory: Memory
    plan_points: int = 0  # distinct coordinates asked
    plan_grids: int = 0  # distinct grid cells asked
    plan_areas: int = 0  # distinct alert areas asked
    plan_open_meteo_keys: int = 0  # distinct Open-Meteo cache keys asked (names, 0.01-degree cells)
    runs: int = 1  # repetitions this scenario stands for (see combine_repeats)
    rate_range: tuple[float, float] | None = None  # lowest and highest calls/s of the repetitions

    @property
    def key(self) -> tuple[str, str, int]:
        """What identifies a scenario within a run."""
        return (self.workload, self.mode, self.clients)

    @property
    def calls_per_second(self) -> float:
        """Completed calls (successful or not) per second of the measured phase."""
        return rate(self.calls, self.wall_seconds)

    @property
    def upstream_per_call(self) -> float:
        """Upstream requests (NWS and Open-Meteo) per tool call."""
        return ratio(self.upstream.total, self.calls)

    def cpu_ms_per_call(self, seconds: float) -> float:
        """CPU milliseconds per call for a CPU total of this scenario."""
        return ratio(seconds * 1000, self.calls)


def combine_repeats(scenarios: list[Scenario]) -> list[Scenario]:
    """One scenario per key, in first-seen order: the median-throughput repetition.

    Nothing is hidden by the choice: errors are summed over every repetition, peak memory is the
    highest of them, and the range of calls/s is kept for the report.
    """
    groups: dict[tuple[str, str, int], list[Scenario]] = {}
    for scenario in scenarios:
        groups.setdefault(scenario.key, []).append(scenario)
    combined = []
    for group in groups.values():
        if len(group) == 1:
            combined.append(group[0])
            continue
        ordered = sorted(group, key=lambda scenario: scenario.calls_per_second)
        median = ordered[(len(ordered) - 1) // 2]
        samples: Counter[str] = Counter()
        for scenario in group:
            samples.update(scenario.error_samples)
        peak = max(group, key=lambda scenario: scenario.memory.peak_rss).memory
        combined.append(
            dataclasses.replace(
                median,
                errors=sum(scenario.errors for scenario in group),
                error_samples=dict(samples.most_common(5)),
                memory=dataclasses.replace(median.memory, peak_rss=peak.peak_rss),
                runs=len(group),
                rate_range=(ordered[0].calls_per_second, ordered[-1].calls_per_second),
            )
        )
    return combined


@dataclass(frozen=True)
class SynthTiming:
    """Wall seconds of each synth run (the project's and the minimal app's)."""

    project: list[float]
    minimal: list[float]

    @property
    def project_best(self) -> float:
        """Fastest project synth: the least disturbed by other load."""
        return min(self.project)

    @property
    def minimal_best(self) -> float:
        """Fastest minimal synth."""
        return min(self.minimal)

    @property
    def overhead_percent(self) -> float:
        """How much longer the project's synth takes than the minimal app's."""
        return (ratio(self.project_best, self.minimal_best) - 1) * 100


@dataclass
class RunResults:
    """Everything one `python -m bench` run measured."""

    scenarios: list[Scenario] = field(default_factory=list)
    synth: SynthTiming | None = None
    #: The multi-task part (bench/fleet.py): its own records.
    fleet: list[Any] = field(default_factory=list)

    def find(self, workload: str, mode: Mode, clients: int) -> Scenario | None:
        """The scenario with these parameters, if it ran."""
        for scenario in self.scenarios:
            if (scenario.workload, scenario.mode, scenario.clients) == (workload, mode, clients):
                return scenario
        return None

    def background_share(self) -> float:
        """CPU used by processes outside the benchmark, as a share of the machine's capacity
        during all measured phases (0 on a quiet machine)."""
        capacity = sum(scenario.cpu.machine_capacity for scenario in self.scenarios)
        return ratio(sum(scenario.cpu.others for scenario in self.scenarios), capacity)

    def client_levels(self) -> list[int]:
        """Concurrency levels that ran, highest first."""
        return sorted({scenario.clients for scenario in self.scenarios}, reverse=True)
