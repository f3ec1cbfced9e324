"""`python -m bench`: run the parts, print progress, write bench/RESULTS.md."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from bench.fleet import fleet_section, run_fleet, splice
from bench.invocation import run_harness
from bench.report import RunInfo, render
from bench.results import RunResults, Scenario, combine_repeats
from bench.run_types import Mode
from bench.runner import ScenarioSpec, run_scenario
from bench.services import REPO_ROOT, FakeNwsProcess, FakeOpenMeteoProcess, OtlpSinkProcess, Tracing
from bench.synth import measure_synth
from bench.targets import evaluate
from bench.workloads import WEATHER_WORKLOADS, Workload

PARTS: Final = ("load", "floor", "synth", "fleet")
DEFAULT_OUTPUT: Final = REPO_ROOT / "bench" / "RESULTS.md"
COMMENTARY: Final = REPO_ROOT / "bench" / "TUNING.md"


def _csv(choices: Sequence[str]) -> Callable[[str], list[str]]:
    """An argparse type for a comma list drawn from `choices`."""

    def parse(value: str) -> list[str]:
        items = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in items if item not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown)} (choose from {', '.join(choices)})"
            )
        return items

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; every default gives the run that RESULTS.md records."""
    parser = argparse.ArgumentParser(
        prog="pipenv run bench",
        description="Load benchmark of the MCP weather server against a fake NWS and a fake Open-Meteo,"
        " plus synth timing.",
    )
    parser.add_argument(
        "--parts",
        type=_csv(PARTS),
        default=list(PARTS),
        help="comma list of load (cached vs caching disabled), floor (echo tool), synth, fleet (1 and 3"
        " tasks, per-task caches vs the fleet cache) (default: all). `--parts fleet` alone refreshes the"
        " fleet section of an existing report in place",
    )
    parser.add_argument(
        "--fleet-calls", type=int, default=600, help="forecast calls of each fleet scenario (default 600)"
    )
    parser.add_argument(
        "--fleet-points",
        type=int,
        default=40,
        help="distinct points (grid cells) the fleet scenarios ask for (default 40)",
    )
    parser.add_argument(
        "--workloads",
        type=_csv(WEATHER_WORKLOADS),
        default=list(WEATHER_WORKLOADS),
        help="comma list of hot, cold, alerts, mixed, point-hot, point-cold, locate-hot, locate-cold,"
        " world-hot, world-cold (default: all)",
    )
    parser.add_argument(
        "--clients", type=int, default=100, help="concurrent MCP clients of the target run (default 100)"
    )
    parser.add_argument(
        "--sweep",
        type=int,
        nargs="*",
        default=[10],
        metavar="N",
        help="further client counts for the speedup by concurrency (default: 10; none: --sweep)",
    )
    parser.add_argument(
        "--sweep-workloads",
        type=_csv(WEATHER_WORKLOADS),
        default=["hot", "alerts", "locate-hot", "world-hot"],
        help="workloads repeated at the --sweep client counts (default: hot,alerts,locate-hot,world-hot)",
    )
    parser.add_argument("--calls", type=int, default=3000, help="tool calls per scenario (default 3000)")
    parser.add_argument(
        "--floor-repeat",
        type=int,
        default=3,
        help="runs of the short cache-hit/floor pair at --clients, alternating; the median run of each"
        " is kept (default 3)",
    )
    parser.add_argument(
        "--baseline-calls-per-client",
        type=int,
        default=30,
        help="caching-disabled scenarios make at most this many calls per client (default 30): each"
        " call waits for NWS, so their rate is steady after the first round",
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=150.0,
        help="fake NWS and fake Open-Meteo latency per request (default 150)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="uvicorn worker processes (default 2: the task's vCPUs)"
    )
    parser.add_argument(
        "--client",
        choices=("sdk", "fastmcp"),
        default="sdk",
        help="MCP client library of the load generator (default: the official SDK, the cheaper one)",
    )
    parser.add_argument(
        "--tracing-sample-percent",
        type=float,
        metavar="PERCENT",
        help="turn the server's tracing on, recording this share of calls (0-100) and exporting to a"
        " stand-in collector on loopback (bench/otlp_sink.py); default: tracing off, as shipped",
    )
    parser.add_argument("--synth-repeats", type=int, default=2, help="runs of each synth (default 2)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the cold workload's coordinates")
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="markdown report to write (default bench/RESULTS.md)",
    )
    parser.add_argument("--workdir", type=Path, help="keep plans and process logs here (default: a temp dir)")
    args = parser.parse_args(argv)
    for name in (
        "clients",
        "calls",
        "baseline_calls_per_client",
        "floor_repeat",
        "workers",
        "synth_repeats",
        "fleet_calls",
        "fleet_points",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if any(level < 1 for level in args.sweep):
        parser.error("--sweep values must be at least 1")
    if args.tracing_sample_percent is not None and not 0 <= args.tracing_sample_percent <= 100:
        parser.error("--tracing-sample-percent must be between 0 and 100")
    return args


def plan_specs(args: argparse.Namespace) -> list[ScenarioSpec]:
    """Every scenario of the run, in order: per level, per workload, cached then baseline."""
    levels = [args.clients, *(level for level in args.sweep if level != args.clients)]
    specs = []
    for clients in levels:
        workloads = args.workloads if clients == args.clients else args.sweep_workloads
        pairs: list[tuple[Workload, Mode]] = []
        for workload in workloads if "load" in args.parts else []:
            pairs += [(workload, "cached"), (workload, "baseline")]
            if workload == "hot" and "floor" in args.parts:
                # Cache hits against the floor, right after hot and alternating: same conditions.
                # Repeated where the target is judged; once at the other client counts.
                repeat = args.floor_repeat if clients == args.clients else 1
                pairs += [("hot", "warm"), ("floor", "floor")] * repeat
        if "floor" in args.parts and ("floor", "floor") not in pairs:
            pairs.append(("floor", "floor"))
        for workload, mode in pairs:
            calls = args.calls
            if mode == "baseline":
                calls = min(calls, args.baseline_calls_per_client * clients)
            specs.append(
                ScenarioSpec(workload, mode, clients, calls, args.workers, client=args.client, seed=args.seed)
            )
    return specs


def describe(scenario: Scenario) -> str:
    """One progress line."""
    return (
        f"{scenario.workload:>11} {scenario.mode:<8} {scenario.clients:>4} clients: "
        f"{scenario.calls_per_second:7.1f} calls/s  p50 {scenario.latency.p50_ms:6.0f} ms"
        f"  p99 {scenario.latency.p99_ms:6.0f} ms  errors {scenario.errors}"
        f"  upstream/call {scenario.upstream_per_call:.3f}  peak RSS {scenario.memory.peak_rss:.0f} MiB"
    )


def run(args: argparse.Namespace, workdir: Path) -> RunResults:
    """Run the selected parts; servers and the fake are always stopped."""
    results = RunResults()
    specs = plan_specs(args)
    if "fleet" in args.parts:
        fake = FakeNwsProcess(workdir, args.latency_ms)
        try:
            results.fleet = run_fleet(
                fake,
                workdir,
                clients=args.clients,
                workers=args.workers,
                calls=args.fleet_calls,
                points=args.fleet_points,
                seed=args.seed,
            )
        finally:
            fake.stop()
    if specs:
        fake = FakeNwsProcess(workdir, args.latency_ms)
        open_meteo = FakeOpenMeteoProcess(workdir, args.latency_ms)
        sink = OtlpSinkProcess(workdir) if args.tracing_sample_percent is not None else None
        tracing = Tracing(sink.base_url, args.tracing_sample_percent) if sink is not None else None
        try:
            for spec in specs:
                scenario = run_scenario(spec, fake, workdir, tracing, open_meteo)
                results.scenarios.append(scenario)
                print(describe(scenario), flush=True)
                if scenario.errors:
                    print(f"        errors: {scenario.error_samples}", flush=True)
        finally:
            fake.stop()
            open_meteo.stop()
            if sink is not None:
                sink.stop()
        results.scenarios = combine_repeats(results.scenarios)
    if "synth" in args.parts:
        results.synth = measure_synth(REPO_ROOT, args.synth_repeats)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; exit code 0 when the run completed (whether or not the targets are met)."""
    args = parse_args(argv)
    outcome = run_harness("bench", argv, args.workdir, lambda workdir: run(args, workdir))
    if outcome is None:
        return 130
    results, invocation = outcome
    info = RunInfo(
        invocation=invocation,
        latency_ms=args.latency_ms,
        workers=args.workers,
        client=args.client,
        target_clients=args.clients,
        tracing_sample_percent=args.tracing_sample_percent,
    )
    commentary = COMMENTARY.read_text() if COMMENTARY.exists() else ""
    section = ""
    if results.fleet:
        section = fleet_section(
            results.fleet,
            header=invocation.header_lines(),
            clients=args.clients,
            workers=args.workers,
            points=args.fleet_points,
        )
    if args.parts == ["fleet"] and args.output.exists():
        # Only the fleet part ran: refresh its section, keep the rest of the report as it was.
        first_heading = next((line for line in commentary.splitlines() if line.startswith("## ")), None)
        args.output.write_text(splice(args.output.read_text(), section, before=first_heading))
    else:
        args.output.write_text(render(results, info, args.workloads, commentary, fleet=section))
    print(f"\nwrote {args.output}")
    print(
        f"background load: other processes used {results.background_share():.1%} of the CPU while measuring"
    )
    for check in evaluate(results, args.clients):
        state = {True: "met", False: "NOT MET", None: "not measured"}[check.met]
        print(f"  [{state}] {check.target}: {check.measured}")
    return 0
