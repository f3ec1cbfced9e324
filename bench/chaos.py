"""`pipenv run chaos`: faults under load, on loopback, bounded in time; writes bench/CHAOS.md.

The fake NWS (one process) plays the fault schedule of bench/chaos_plan.py; two `python -m server`
processes (the deployed worker count each, like two ECS tasks) sit behind bench/chaos_proxy.py,
which routes like the ALB; one load generator process holds `--clients` official-SDK sessions
(bench/chaos_loadgen.py). Each phase sets the fault, runs a fixed number of calls and records every
call's outcome, the NWS requests it caused and the servers' memory. The last phase SIGTERMs one
server mid-phase after deregistering it from the proxy (as ECS does on a rolling deploy), starts a
replacement and registers it once healthy.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Final

import httpx

from bench import procfs
from bench.chaos_outcomes import CallRecord, PhaseSummary, summarize_phase
from bench.chaos_plan import Phase, plan_json, schedule
from bench.chaos_report import ChaosRun, MemoryMark, render
from bench.invocation import run_harness
from bench.loadgen import READY
from bench.processes import LOOPBACK, ManagedProcess, free_port, read_line
from bench.services import REPO_ROOT, FakeNwsProcess, ServerProcess
from fakes.redis_server import RedisServer
from server.contract import EnvVar

DEFAULT_OUTPUT: Final = REPO_ROOT / "bench" / "CHAOS.md"
NOTES: Final = REPO_ROOT / "bench" / "CHAOS_NOTES.md"
#: Seconds one phase may take before the run is abandoned (the whole run is bounded by this x phases).
PHASE_TIMEOUT: Final = 600.0
#: Seconds into the restart phase before the server is deregistered and sent SIGTERM.
RESTART_AFTER: Final = 15.0
_KIB_PER_MIB: Final = 1024


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; the defaults give the run that CHAOS.md records."""
    parser = argparse.ArgumentParser(prog="pipenv run chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100, help="concurrent MCP clients (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server (default 2)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiplies every phase's calls but the soak"
    )
    parser.add_argument(
        "--soak-calls", type=int, default=100_000, help="calls in all when the soak ends (default 100000)"
    )
    parser.add_argument("--latency-ms", type=float, default=150.0, help="fake NWS latency (default 150)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="report (default bench/CHAOS.md)")
    parser.add_argument("--workdir", type=Path, help="keep plans and logs here (default: a temp dir)")
    parser.add_argument(
        "--shared-cache",
        action="store_true",
        help="put both servers' caches behind one fleet cache server (a private redis-server)",
    )
    parser.add_argument(
        "--soak-only",
        action="store_true",
        help="the memory soak alone: the healthy phase, then healthy calls to --soak-calls (no faults)",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.workers < 1 or args.scale <= 0:
        parser.error("--clients and --workers must be at least 1, --scale above 0")
    return args


class Rig:
    """The processes of one run and the few things the orchestrator asks of them."""

    def __init__(self, stack: ExitStack, workdir: Path, args: argparse.Namespace) -> None:
        self.workdir = workdir
        self.args = args
        self.fake = FakeNwsProcess(workdir, args.latency_ms)
        stack.callback(self.fake.stop)
        self.server_env: dict[str, str] = {}
        if args.shared_cache:
            cache = RedisServer(workdir / "fleet-cache")
            cache.start()
            stack.callback(cache.stop)
            self.server_env[EnvVar.SHARED_CACHE_URL] = cache.url
        self.servers = [self._server(f"task-{index}") for index in (1, 2)]
        stack.callback(lambda: [server.stop() for server in self.servers])
        port = free_port()
        self.proxy_url = f"http://{LOOPBACK}:{port}"
        targets = ",".join(server.base_url for server in self.servers)
        self.proxy = ManagedProcess(
            "proxy",
            [sys.executable, "-m", "bench.chaos_proxy", "--port", str(port), "--targets", targets],
            env=dict(os.environ),
            cwd=REPO_ROOT,
            log_path=workdir / "proxy.log",
        )
        stack.callback(self.proxy.stop)
        self._wait_in_service(len(self.servers))
        self.loadgen = ManagedProcess(
            "load generator",
            [
                sys.executable,
                "-m",
                "bench.chaos_loadgen",
                self.proxy_url + "/mcp",
                "--clients",
                str(args.clients),
            ],
            env=dict(os.environ),
            cwd=REPO_ROOT,
            log_path=workdir / "loadgen.log",
            pipes=True,
        )
        stack.callback(self.loadgen.stop)
        assert self.loadgen.process.stdout is not None
        line = read_line(self.loadgen.process.stdout, 300).strip()
        if line != READY:
            raise RuntimeError(f"load generator failed to connect ({line!r}):\n{self.loadgen.log_tail()}")
        self.restarted: list[str] = []

    def _server(self, label: str) -> ServerProcess:
        return ServerProcess(
            self.workdir,
            mode="cached",
            workers=self.args.workers,
            nws_url=self.fake.base_url,
            label=label,
            extra_env=self.server_env,
        )

    def _proxy_state(self) -> list[dict[str, object]]:
        return httpx.get(self.proxy_url + "/__proxy__/state", timeout=10).json()

    def _wait_in_service(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if sum(1 for t in self._proxy_state() if t["registered"] and t["healthy"]) >= count:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the proxy did not see {count} healthy targets:\n{self.proxy.log_tail()}")

    def set_fault(self, phase: Phase) -> None:
        fields = asdict(phase.fault) if phase.fault else {}
        httpx.post(self.fake.base_url + "/__fake__/fault", json=fields, timeout=10).raise_for_status()

    def upstream_total(self) -> int:
        return int(httpx.get(self.fake.base_url + "/__fake__/stats", timeout=10).json()["total"])

    def rss_mib(self) -> tuple[float, float]:
        """(current RSS, peak RSS) of every server process, summed, in MiB."""
        pids = self._pids()
        current = sum(procfs.status_kib(pid, "VmRSS") for pid in pids) / _KIB_PER_MIB
        peak = sum(procfs.status_kib(pid, "VmHWM") for pid in pids) / _KIB_PER_MIB
        return current, peak

    def memory(self, calls: int) -> MemoryMark:
        """Every server process's RSS and PSS (with its split), summed, in MiB."""
        totals: dict[str, int] = {}
        for pid in self._pids():
            for name, kib in procfs.smaps_rollup_kib(pid).items():
                totals[name] = totals.get(name, 0) + kib

        def mib(name: str) -> float:
            return totals.get(name, 0) / _KIB_PER_MIB

        return MemoryMark(calls, mib("Rss"), mib("Pss"), mib("Pss_Anon"), mib("Pss_File"), mib("Pss_Shmem"))

    def _pids(self) -> list[int]:
        return [pid for server in self.servers for pid in procfs.process_tree(server.pid)]

    def restart_one(self) -> list[str]:
        """Deregister task-1, SIGTERM it, start and register its replacement; what happened, in order."""
        notes = []
        old = self.servers[0]
        httpx.post(self.proxy_url + "/__proxy__/deregister", json={"url": old.base_url}, timeout=10)
        old.process.process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        code = old.process.process.wait(60)
        notes.append(
            f"task-1 deregistered and sent SIGTERM; exited with {code} after {time.monotonic() - sent:.1f} s"
        )
        self.servers[0] = self._server("task-1-replacement")
        httpx.post(self.proxy_url + "/__proxy__/register", json={"url": self.servers[0].base_url}, timeout=10)
        self._wait_in_service(2)
        notes.append(f"replacement healthy and in service {time.monotonic() - sent:.1f} s after the SIGTERM")
        return notes

    def run_phase(self, phase: Phase, start: int) -> tuple[list[CallRecord], float, list[str], int]:
        plan_path = self.workdir / f"plan-{start}.json"
        plan_path.write_text(json.dumps(plan_json(phase.calls, start)))
        assert self.loadgen.process.stdin is not None
        assert self.loadgen.process.stdout is not None
        self.loadgen.process.stdin.write(json.dumps({"phase": phase.name, "plan": str(plan_path)}) + "\n")
        self.loadgen.process.stdin.flush()
        notes: list[str] = []
        if phase.restart:
            time.sleep(RESTART_AFTER)
            notes = self.restart_one()
        line = read_line(self.loadgen.process.stdout, PHASE_TIMEOUT)
        if not line:
            raise RuntimeError(f"load generator exited:\n{self.loadgen.log_tail()}")
        result = json.loads(line)
        records = [CallRecord.from_json(raw) for raw in result["records"]]
        return records, float(result["wall"]), notes, int(result["broken_sessions"])


def run(args: argparse.Namespace, workdir: Path) -> tuple[list[PhaseSummary], list[MemoryMark]]:
    """Every phase in order; returns the summaries and the memory marks."""
    summaries, marks = [], []
    calls_so_far = 0
    with ExitStack() as stack:
        rig = Rig(stack, workdir, args)
        for phase in schedule(scale=args.scale, soak_calls=args.soak_calls, soak_only=args.soak_only):
            rig.set_fault(phase)
            upstream_before = rig.upstream_total()
            records, wall, notes, broken = rig.run_phase(phase, calls_so_far)
            calls_so_far += phase.calls
            summary = summarize_phase(phase.name, records, wall)
            if len(records) < phase.calls:  # clients that gave up after broken sessions
                summary.kinds["not_made"] += phase.calls - len(records)
                summary.calls = phase.calls
            if broken:
                notes.append(f"{broken} client sessions broke and were reopened")
            summary.upstream_requests = rig.upstream_total() - upstream_before
            current, summary.peak_rss_mib = rig.rss_mib()
            summary.notes = [phase.description, *notes]
            memory = rig.memory(calls_so_far)
            if phase.rss_mark:
                marks.append(memory)
            summaries.append(summary)
            print(
                f"{phase.name:>16}: {summary.calls} calls in {wall:.0f} s, lost {summary.lost},"
                f" tool errors {summary.tool_errors}, stale {summary.stale}, NWS {summary.upstream_requests},"
                f" p99 {summary.latency.p99_ms:.0f} ms, RSS {current:.0f} MiB, PSS {memory.pss:.0f} MiB",
                flush=True,
            )
        rig.set_fault(Phase("end", 0))
    return summaries, marks


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; 0 when the run completed (whether or not the targets are met)."""
    args = parse_args(argv)
    outcome = run_harness("chaos", argv, args.workdir, lambda workdir: run(args, workdir))
    if outcome is None:
        return 130
    (summaries, marks), invocation = outcome
    chaos = ChaosRun(
        invocation=invocation,
        clients=args.clients,
        workers=args.workers,
        latency_ms=args.latency_ms,
        phases=summaries,
        memory_marks=marks,
        shared_cache=args.shared_cache,
        soak_only=args.soak_only,
    )
    # The notes discuss bench/CHAOS.md's run: another report (a soak, a variant) goes without them.
    notes = NOTES.read_text() if NOTES.exists() and args.output.resolve() == DEFAULT_OUTPUT else ""
    args.output.write_text(render(chaos, notes))
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
