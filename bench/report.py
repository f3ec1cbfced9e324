"""bench/RESULTS.md: the run rendered as markdown tables, with the targets judged."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bench.invocation import Invocation
from bench.results import RunResults, Scenario, SynthTiming
from bench.targets import Check, evaluate, floor_share, speedup

_MET: Final = {True: "met", False: "**not met**", None: "not measured"}


@dataclass(frozen=True)
class RunInfo:
    """How and where the run happened."""

    invocation: Invocation
    latency_ms: float
    workers: int
    client: str
    target_clients: int
    #: Share of calls traced and exported (None: tracing off, as shipped).
    tracing_sample_percent: float | None = None


def _tracing(info: RunInfo) -> str:
    if info.tracing_sample_percent is None:
        return "tracing off"
    return (
        f"tracing on ({info.tracing_sample_percent:g}% of calls recorded, exported over OTLP/HTTP to"
        " a stand-in collector)"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table; numeric-looking columns are right-aligned."""

    def numeric(column: int) -> bool:
        cells = [row[column] for row in rows if row[column] not in ("", "-")]
        return bool(cells) and all(
            cell.lstrip("+-~").rstrip("x%").replace(".", "", 1).isdigit() for cell in cells
        )

    aligns = ["---:" if rows and numeric(index) else "---" for index in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(aligns) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def number(value: float, digits: int = 0) -> str:
    """A number for a table: fixed digits, '-' for nothing, 'inf' spelled out."""
    if math.isinf(value):
        return "inf"
    return f"{value:,.{digits}f}".replace(",", "")


def times(value: float | None) -> str:
    """A ratio such as 12.3x, or '-'."""
    return "-" if value is None else f"{value:.1f}x"


def _scenario_row(scenario: Scenario, vs: str) -> list[str]:
    return [
        f"`{scenario.workload}`",
        scenario.mode,
        str(scenario.calls),
        number(scenario.calls_per_second),
        number(scenario.latency.p50_ms),
        number(scenario.latency.p95_ms),
        number(scenario.latency.p99_ms),
        str(scenario.errors),
        number(scenario.upstream_per_call, 2),
        number(scenario.memory.peak_rss),
        vs,
    ]


def load_section(results: RunResults, clients: int, workloads: Sequence[str]) -> str:
    """Cached vs caching-disabled per workload at one concurrency, then cache hits and the floor."""
    rows = []
    for workload in workloads:
        ratio = speedup(results, workload, clients)
        for mode in ("cached", "baseline"):
            scenario = results.find(workload, mode, clients)
            if scenario is not None:
                rows.append(_scenario_row(scenario, times(ratio) if mode == "cached" else "1.0x"))
    for workload, mode in (("hot", "warm"), ("floor", "floor")):
        scenario = results.find(workload, mode, clients)
        if scenario is not None:
            rows.append(_scenario_row(scenario, "-"))
    headers = [
        "workload",
        "server",
        "calls",
        "calls/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
        "upstream req/call",
        "peak RSS MiB",
        "vs baseline",
    ]
    return f"### {clients} concurrent clients\n\n" + table(headers, rows)


def floor_section(results: RunResults, clients: int) -> str:
    """Cache-hit calls against the echo floor: calls/s and CPU per call."""
    floor = results.find("floor", "floor", clients)
    hot = results.find("hot", "warm", clients)
    if floor is None or hot is None:
        return "Not run (needs the `hot` workload and the `floor` part)."
    rows = []
    labelled = [("echo tool (floor)", floor), ("`hot` forecast, warm cache (hits only)", hot)]
    cold_start = results.find("hot", "cached", clients)
    if cold_start is not None:
        labelled.append(("`hot` forecast, empty cache at start", cold_start))
    for label, scenario in labelled:
        low, high = scenario.rate_range or (scenario.calls_per_second, scenario.calls_per_second)
        rows.append(
            [
                label,
                str(scenario.runs),
                number(scenario.calls_per_second),
                f"{number(low)}-{number(high)}" if scenario.runs > 1 else "-",
                number(scenario.latency.p50_ms),
                number(scenario.latency.p99_ms),
                number(scenario.cpu_ms_per_call(scenario.cpu.server), 2),
                number(scenario.cpu_ms_per_call(scenario.cpu.loadgen), 2),
            ]
        )
    share = floor_share(results, clients) or 0.0
    hot_cpu = hot.cpu_ms_per_call(hot.cpu.server)
    floor_cpu = floor.cpu_ms_per_call(floor.cpu.server)
    cpu_share = floor_cpu / hot_cpu if hot_cpu else 0.0
    return "\n".join(
        [
            table(
                [
                    "server",
                    "runs",
                    "calls/s (median run)",
                    "range",
                    "p50 ms",
                    "p99 ms",
                    "server CPU ms/call",
                    "load generator CPU ms/call",
                ],
                rows,
            ),
            "",
            f"Cache-hit calls reach **{share:.1%}** of the floor's calls/s at {clients} clients. Per call,"
            f" the weather server spends {hot_cpu - floor_cpu:.2f} ms of CPU more than the echo server:"
            f" its throughput per CPU second is {cpu_share:.0%} of the floor's. Both are measured after"
            " one untimed call per client (which fills the weather server's caches), alternating, and"
            " the median run of each is shown (a 3-second run on a shared machine varies by 10-20%)."
            " The load generator shares the cores with the server, and decoding a forecast costs it"
            " more than an echo.",
        ]
    )


def cpu_section(results: RunResults) -> str:
    """Where the CPU went during each measured phase."""
    rows = []
    for scenario in results.scenarios:
        cpu = scenario.cpu
        busy = 100 * cpu.machine_busy / cpu.machine_capacity if cpu.machine_capacity else 0.0
        rows.append(
            [
                f"`{scenario.workload}` {scenario.mode}",
                str(scenario.clients),
                number(scenario.wall_seconds, 1),
                number(scenario.cpu_ms_per_call(cpu.server), 2),
                number(scenario.cpu_ms_per_call(cpu.loadgen), 2),
                number(scenario.cpu_ms_per_call(cpu.fake_nws), 2),
                number(cpu.others, 1),
                f"{busy:.0f}%",
            ]
        )
    headers = [
        "scenario",
        "clients",
        "seconds",
        "server ms/call",
        "load gen ms/call",
        "fake upstreams ms/call",
        "other processes CPU s",
        "machine busy",
    ]
    return table(headers, rows)


def upstream_section(results: RunResults, clients: int) -> str:
    """NWS and Open-Meteo requests by endpoint against what the plans asked for."""
    rows = []
    for scenario in results.scenarios:
        if scenario.clients != clients or scenario.mode == "floor":
            continue
        rows.append(
            [
                f"`{scenario.workload}` {scenario.mode}",
                str(scenario.calls),
                str(scenario.upstream.points),
                str(scenario.upstream.forecasts),
                str(scenario.upstream.hourly),
                str(scenario.upstream.stations),
                str(scenario.upstream.observations),
                str(scenario.upstream.alerts),
                str(scenario.upstream.open_meteo_forecasts),
                str(scenario.upstream.open_meteo_searches),
                str(scenario.plan_points),
                str(scenario.plan_grids),
                str(scenario.plan_areas),
                str(scenario.plan_open_meteo_keys),
            ]
        )
    headers = [
        "scenario",
        "calls",
        "points req",
        "forecast req",
        "hourly req",
        "stations req",
        "observation req",
        "alerts req",
        "Open-Meteo forecast req",
        "Open-Meteo search req",
        "distinct coordinates",
        "distinct grids",
        "distinct areas",
        "distinct Open-Meteo keys",
    ]
    return table(headers, rows)


def memory_section(results: RunResults) -> str:
    """Server memory per scenario: summed peak RSS, and RSS/PSS at the end of the run."""
    rows = [
        [
            f"`{scenario.workload}` {scenario.mode}",
            str(scenario.clients),
            str(scenario.memory.processes),
            number(scenario.memory.peak_rss),
            number(scenario.memory.end_rss),
            number(scenario.memory.end_pss),
        ]
        for scenario in results.scenarios
    ]
    return table(["scenario", "clients", "processes", "peak RSS MiB", "end RSS MiB", "end PSS MiB"], rows)


def synth_section(synth: SynthTiming | None) -> str:
    """Project synth against the minimal app."""
    if synth is None:
        return "Not run."
    rows = [
        [
            "`python main.py` (both stacks)",
            ", ".join(f"{value:.2f}" for value in synth.project),
            f"{synth.project_best:.2f}",
        ],
        [
            "minimal app (provider + 1 bucket)",
            ", ".join(f"{value:.2f}" for value in synth.minimal),
            f"{synth.minimal_best:.2f}",
        ],
    ]
    return "\n".join(
        [
            table(["app", "wall seconds per run", "best"], rows),
            "",
            f"Overhead of the project's stacks over importing the bindings and synthesizing one resource:"
            f" **{synth.overhead_percent:+.0f}%** (best against best).",
        ]
    )


def checks_section(checks: Sequence[Check]) -> str:
    """The targets table."""
    return table(
        ["target", "measured", "result"],
        [[check.target, check.measured, _MET[check.met]] for check in checks],
    )


def ratio_levels_section(results: RunResults, workloads: Sequence[str]) -> str:
    """The speedups at every concurrency that ran: the baseline is latency-bound, so they depend on it."""
    levels = results.client_levels()
    rows = []
    for workload in workloads:
        rows.append([f"`{workload}`", *(times(speedup(results, workload, level)) for level in levels)])
    floor_row = ["cache hits vs floor"]
    for level in levels:
        share = floor_share(results, level)
        floor_row.append("-" if share is None else f"{share:.0%}")
    rows.append(floor_row)
    return table(["", *(f"{level} clients" for level in levels)], rows)


def render(
    results: RunResults, info: RunInfo, workloads: Sequence[str], commentary: str = "", fleet: str = ""
) -> str:
    """The whole RESULTS.md; `fleet` is the multi-task part's section (bench/fleet.py), `commentary`
    (bench/TUNING.md: analysis and tuning log) goes at the end."""
    parts = [
        "# Benchmark results",
        "",
        "Generated by the benchmark itself (`bench/report.py`); do not edit by hand: rerun it."
        " The analysis and tuning log at the end come from `bench/TUNING.md`.",
        "",
        *info.invocation.header_lines(),
        f"- Setup: fake NWS and fake Open-Meteo with {info.latency_ms:g} ms per request; server with"
        f" {info.workers} uvicorn worker(s), LOG_LEVEL=INFO, {_tracing(info)}; load from"
        f" {info.client!r} MCP clients (one session and one connection each; see bench/loadgen.py)"
        " in one separate process; a fresh server for every scenario.",
        f"- Background load: processes outside the benchmark used {results.background_share():.1%} of the"
        " machine's CPU during the measured phases (see the CPU table).",
        "",
        "## Targets",
        "",
        f"Judged at {info.target_clients} concurrent clients, from this run only.",
        "",
        checks_section(evaluate(results, info.target_clients)),
        "",
        "## Throughput and latency: cached vs caching disabled",
        "",
        "`cached` is the server as shipped, starting with an empty cache; `baseline` is the same"
        " server with `NWS_CACHE_ENABLED=false` (no cache, no request coalescing, for NWS and Open-Meteo"
        " alike; the HTTP connection pools stay); `warm` is `cached` after one untimed call per client"
        " (cache hits only); `floor` is an echo tool on the same transport, also after one untimed"
        " call per client.",
        "",
    ]
    for level in results.client_levels():
        parts += [load_section(results, level, workloads), ""]
    if len(results.client_levels()) > 1:
        parts += ["### Speedup by concurrency", "", ratio_levels_section(results, workloads), ""]
    parts += [
        "## Framework floor",
        "",
        floor_section(results, info.target_clients),
        "",
        f"## Upstream requests, NWS and Open-Meteo ({info.target_clients} clients)",
        "",
        upstream_section(results, info.target_clients),
        "",
        "## CPU per call",
        "",
        cpu_section(results),
        "",
        "## Server memory",
        "",
        "Summed over every process of the server (uvicorn supervisor, multiprocessing resource tracker,"
        " workers). Peak RSS is the sum of each process's high-water mark (VmHWM), an upper bound of"
        " the simultaneous peak; PSS counts shared library pages once, as a container's memory limit does.",
        "",
        memory_section(results),
        "",
        "## Synth time",
        "",
        synth_section(results.synth),
        "",
    ]
    if fleet:
        parts += [fleet, ""]
    if commentary.strip():
        parts += [commentary.strip(), ""]
    return "\n".join(parts)
