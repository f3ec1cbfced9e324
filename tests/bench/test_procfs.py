"""Reading /proc: process trees, memory and CPU counters, parsed from a fake /proc tree."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import procfs


@pytest.fixture
def proc(tmp_path: Path) -> Path:
    """A /proc with a supervisor (10) -> workers (11, 12), one of which has a child (13)."""
    tree = {10: "11 12 ", 11: "13", 12: "", 13: ""}
    for pid, kids in tree.items():
        task = tmp_path / str(pid) / "task" / str(pid)
        task.mkdir(parents=True)
        (task / "children").write_text(kids)
        (tmp_path / str(pid) / "status").write_text(
            f"Name:\tpython\nVmHWM:\t  {pid * 1000} kB\nVmRSS:\t  {pid * 900} kB\n"
        )
    ticks = os.sysconf("SC_CLK_TCK")
    fields = ["S", *["0"] * 10, str(3 * ticks), str(ticks), *["0"] * 30]  # utime 3 s, stime 1 s
    (tmp_path / "10" / "stat").write_text(f"10 (python -m (weird) name) {' '.join(fields)}\n")
    (tmp_path / "10" / "smaps_rollup").write_text("Rss:  900 kB\nPss:  640 kB\n")
    (tmp_path / "stat").write_text(f"cpu  {ticks * 5} 0 {ticks * 3} {ticks * 10} {ticks * 2} 0 0 0 0 0\n")
    return tmp_path


def test_process_tree_follows_children_recursively(proc: Path) -> None:
    assert sorted(procfs.process_tree(10, proc)) == [10, 11, 12, 13]
    assert procfs.process_tree(12, proc) == [12]


def test_a_vanished_process_reads_as_empty(proc: Path) -> None:
    assert procfs.children(99, proc) == []
    assert procfs.status_kib(99, "VmRSS", proc) == 0
    assert procfs.cpu_seconds(99, proc) == 0.0
    assert procfs.pss_kib(99, proc) == 0


def test_memory_fields_are_read_in_kib(proc: Path) -> None:
    assert procfs.status_kib(11, "VmHWM", proc) == 11_000
    assert procfs.status_kib(11, "VmRSS", proc) == 9_900
    assert procfs.pss_kib(10, proc) == 640


def test_cpu_seconds_survive_a_command_name_with_spaces_and_parentheses(proc: Path) -> None:
    assert procfs.cpu_seconds(10, proc) == 4.0


def test_machine_cpu_counts_idle_and_iowait_as_not_busy(proc: Path) -> None:
    cpu = procfs.machine_cpu(proc)
    assert (cpu.busy, cpu.total) == (8.0, 20.0)


def test_this_machine_is_described() -> None:
    machine = procfs.machine()
    assert machine.cores >= 1
    assert machine.memory_gib > 0


def test_smaps_rollup_splits_pss_into_anonymous_file_and_shared_memory(tmp_path: Path) -> None:
    (tmp_path / "12").mkdir()
    (tmp_path / "12" / "smaps_rollup").write_text(
        "55d0e1-7ffc00 ---p 00000000 00:00 0    [rollup]\n"
        "Rss:  900 kB\nPss:  640 kB\nPss_Anon:  500 kB\nPss_File:  100 kB\nPss_Shmem:  40 kB\n"
    )

    fields = procfs.smaps_rollup_kib(12, tmp_path)

    assert fields == {"Rss": 900, "Pss": 640, "Pss_Anon": 500, "Pss_File": 100, "Pss_Shmem": 40}
    assert procfs.smaps_rollup_kib(13, tmp_path) == {}
