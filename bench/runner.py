"""Runs one scenario: a fresh server, the load generator against it, and the measurements around it."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench import procfs
from bench.loadgen import GO, READY, ClientKind, LoadResult
from bench.processes import ManagedProcess, read_line
from bench.results import CpuUsage, Memory, Scenario
from bench.run_types import WARMED_MODES, Mode
from bench.services import REPO_ROOT, FakeNwsProcess, FakeOpenMeteoProcess, ServerProcess, Tracing
from bench.stats import summarize_latencies
from bench.workloads import (
    Workload,
    build_plan,
    distinct_areas,
    distinct_grids,
    distinct_open_meteo_keys,
    distinct_points,
)

#: Seconds the load generator may take to open all its sessions.
CONNECT_TIMEOUT: Final = 120.0
#: Seconds one scenario's measured phase may take before the run is abandoned.
RUN_TIMEOUT: Final = 900.0
_KIB_PER_MIB: Final = 1024


@dataclass(frozen=True)
class ScenarioSpec:
    """What to run."""

    workload: Workload
    mode: Mode
    clients: int
    calls: int
    workers: int
    client: ClientKind = "sdk"
    call_timeout: float = 30.0
    seed: int = 6

    @property
    def label(self) -> str:
        """A file-name-safe name, e.g. hot-cached-100."""
        return f"{self.workload}-{self.mode}-{self.clients}"


@dataclass(frozen=True)
class _CpuSnapshot:
    server: float
    loadgen: float
    fake_nws: float
    machine: procfs.MachineCpu


def _snapshot(
    server: ServerProcess,
    loadgen: ManagedProcess,
    fake: FakeNwsProcess,
    open_meteo: FakeOpenMeteoProcess | None,
) -> _CpuSnapshot:
    fakes = procfs.cpu_seconds(fake.process.pid)
    if open_meteo is not None:
        fakes += procfs.cpu_seconds(open_meteo.process.pid)
    return _CpuSnapshot(
        server=sum(procfs.cpu_seconds(pid) for pid in procfs.process_tree(server.pid)),
        loadgen=procfs.cpu_seconds(loadgen.pid),
        fake_nws=fakes,  # both fake upstreams
        machine=procfs.machine_cpu(),
    )


def _memory(server: ServerProcess) -> Memory:
    pids = procfs.process_tree(server.pid)
    return Memory(
        peak_rss=sum(procfs.status_kib(pid, "VmHWM") for pid in pids) / _KIB_PER_MIB,
        end_rss=sum(procfs.status_kib(pid, "VmRSS") for pid in pids) / _KIB_PER_MIB,
        end_pss=sum(procfs.pss_kib(pid) for pid in pids) / _KIB_PER_MIB,
        processes=len(pids),
    )


def _drive(
    spec: ScenarioSpec,
    plan_path: Path,
    server: ServerProcess,
    fake: FakeNwsProcess,
    open_meteo: FakeOpenMeteoProcess | None,
    workdir: Path,
) -> tuple[LoadResult, CpuUsage]:
    """Start the load generator, let it connect, then measure exactly its run."""
    loadgen = ManagedProcess(
        f"load generator ({spec.label})",
        [
            sys.executable,
            "-m",
            "bench.loadgen",
            str(plan_path),
            server.mcp_url,
            "--clients",
            str(spec.clients),
            "--client",
            spec.client,
            "--timeout",
            str(spec.call_timeout),
            *(["--warm-up"] if spec.mode in WARMED_MODES else []),
        ],
        env=dict(os.environ),
        cwd=REPO_ROOT,
        log_path=workdir / f"loadgen-{spec.label}.log",
        pipes=True,
    )
    with loadgen:
        assert loadgen.process.stdin is not None
        assert loadgen.process.stdout is not None
        line = read_line(loadgen.process.stdout, CONNECT_TIMEOUT).strip()
        if line != READY:
            raise RuntimeError(f"load generator failed to connect ({line!r}):\n{loadgen.log_tail()}")
        fake.reset()
        if open_meteo is not None:
            open_meteo.reset()
        before = _snapshot(server, loadgen, fake, open_meteo)
        loadgen.process.stdin.write(GO + "\n")
        loadgen.process.stdin.flush()
        output = read_line(loadgen.process.stdout, RUN_TIMEOUT)
        after = _snapshot(server, loadgen, fake, open_meteo)
        if not output:
            raise RuntimeError(f"load generator exited without a result:\n{loadgen.log_tail()}")
    result = LoadResult(**json.loads(output))
    cpu = CpuUsage(
        server=after.server - before.server,
        # The load generator measures its own run precisely; /proc only has 10 ms ticks.
        loadgen=result.cpu_seconds,
        fake_nws=after.fake_nws - before.fake_nws,
        machine_busy=after.machine.busy - before.machine.busy,
        machine_capacity=after.machine.total - before.machine.total,
    )
    return result, cpu


def run_scenario(
    spec: ScenarioSpec,
    fake: FakeNwsProcess,
    workdir: Path,
    tracing: Tracing | None = None,
    open_meteo: FakeOpenMeteoProcess | None = None,
) -> Scenario:
    """Fresh server (empty cache), plan, load, measurements; the server is stopped afterwards."""
    plan = build_plan(spec.workload, spec.calls, seed=spec.seed)
    plan_path = workdir / f"plan-{spec.label}.json"
    plan_path.write_text(json.dumps([call.to_json() for call in plan]))
    server = ServerProcess(
        workdir,
        mode=spec.mode,
        workers=spec.workers,
        nws_url=fake.base_url,
        label=spec.label,
        tracing=tracing,
        **({"open_meteo_url": open_meteo.base_url} if open_meteo is not None else {}),
    )
    try:
        result, cpu = _drive(spec, plan_path, server, fake, open_meteo, workdir)
        memory = _memory(server)
        upstream = fake.counts()
        if open_meteo is not None:
            upstream = open_meteo.counts(upstream)
    finally:
        server.stop()
    return Scenario(
        workload=spec.workload,
        mode=spec.mode,
        clients=spec.clients,
        workers=spec.workers,
        calls=len(result.latencies),
        errors=result.errors,
        error_samples=result.error_samples,
        wall_seconds=result.wall_seconds,
        latency=summarize_latencies(result.latencies),
        upstream=upstream,
        cpu=cpu,
        memory=memory,
        plan_points=distinct_points(plan),
        plan_grids=distinct_grids(plan),
        plan_areas=distinct_areas(plan),
        plan_open_meteo_keys=distinct_open_meteo_keys(plan),
    )
