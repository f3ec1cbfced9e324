"""Process and machine facts from /proc: process trees, memory, CPU time, hardware.

Linux only, like the machine the benchmark runs on. Everything is read, nothing is changed.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Final

PROC: Final = Path("/proc")
_TICKS_PER_SECOND: Final = os.sysconf("SC_CLK_TCK")


def children(pid: int, proc: Path = PROC) -> list[int]:
    """Direct children of a process (all its threads' children), [] if it is gone."""
    found: list[int] = []
    try:
        tasks = list((proc / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def process_tree(pid: int, proc: Path = PROC) -> list[int]:
    """The process and all its descendants (uvicorn's supervisor, workers, resource tracker)."""
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children(current, proc))
    return tree


def status_kib(pid: int, field: str, proc: Path = PROC) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM, ...); 0 if the process is gone."""
    try:
        for line in (proc / str(pid) / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid: int, proc: Path = PROC) -> int:
    """Proportional set size: shared pages split between the processes sharing them."""
    return smaps_rollup_kib(pid, proc).get("Pss", 0)


def smaps_rollup_kib(pid: int, proc: Path = PROC) -> dict[str, int]:
    """The `kB` fields of /proc/<pid>/smaps_rollup (Rss, Pss, Pss_Anon, Pss_File, Pss_Shmem, ...);
    {} if the process is gone."""
    fields: dict[str, int] = {}
    try:
        lines = (proc / str(pid) / "smaps_rollup").read_text().splitlines()
    except OSError:
        return fields
    for line in lines:  # the first line, the mapping's address range, has no "kB"
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            fields[name.strip()] = int(parts[0])
    return fields


def cpu_seconds(pid: int, proc: Path = PROC) -> float:
    """User + system CPU time a process has used so far (0 if it is gone)."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) may contain spaces and parentheses: split after its closing ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND  # utime, stime (fields 14, 15)


@dataclass(frozen=True)
class MachineCpu:
    """Cumulative CPU seconds of the whole machine, all cores together."""

    busy: float
    total: float


def machine_cpu(proc: Path = PROC) -> MachineCpu:
    """Busy and total CPU seconds since boot, from the aggregate line of /proc/stat."""
    first = (proc / "stat").read_text().splitlines()[0].split()
    values = [int(value) for value in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    # guest time is already included in user/nice: count only the first eight fields.
    total = sum(values[:8])
    return MachineCpu(busy=(total - idle) / _TICKS_PER_SECOND, total=total / _TICKS_PER_SECOND)


@dataclass(frozen=True)
class Machine:
    """What the numbers were measured on."""

    cpu_model: str
    cores: int
    memory_gib: float
    kernel: str


def machine(proc: Path = PROC) -> Machine:
    """CPU model, usable cores, RAM and kernel of this machine."""
    model = platform.processor() or "unknown"
    try:
        for line in (proc / "cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_kib = 0
    try:
        for line in (proc / "meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0))
    return Machine(model, cores, memory_kib / 1024 / 1024, platform.release())
