"""Every process the benchmark starts is stopped: on stop(), when the orchestrator dies, on SIGTERM."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.processes import ManagedProcess, read_line, wait_until_healthy
from tests.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(30)


def gone(pid: int) -> bool:
    """True once the process no longer runs (exited, or a zombie waiting for its reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def start(tmp_path: Path, code: str, *, pipes: bool = False) -> ManagedProcess:
    return ManagedProcess(
        "test child",
        [sys.executable, "-c", code],
        env=dict(os.environ),
        cwd=tmp_path,
        log_path=tmp_path / "child.log",
        pipes=pipes,
    )


def test_stop_kills_a_child_that_ignores_sigterm_and_the_grandchildren_it_left(tmp_path: Path) -> None:
    # Like a uvicorn supervisor that hangs on shutdown while its workers keep running.
    child = start(
        tmp_path,
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "open('worker.pid', 'w').write(str(worker.pid))\n"
        "time.sleep(60)\n",
    )
    pid_file = tmp_path / "worker.pid"
    wait_until(lambda: pid_file.exists() and pid_file.read_text(), "the grandchild to start")
    worker = int(pid_file.read_text())

    child.stop(grace=0.2)

    assert gone(child.pid)
    wait_until(lambda: gone(worker), "the grandchild to be killed with the group")


def test_children_die_with_the_orchestrator(tmp_path: Path) -> None:
    orchestrator = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys, time\n"
            "from pathlib import Path\n"
            "from bench.processes import ManagedProcess\n"
            "child = ManagedProcess('sleeper', [sys.executable, '-c', 'import time; time.sleep(60)'],"
            " env=dict(os.environ), cwd=Path('.'), log_path=Path(sys.argv[1]))\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(60)\n",
            str(tmp_path / "sleeper.log"),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert orchestrator.stdout is not None
        child = int(read_line(orchestrator.stdout, 20))
        assert not gone(child)
        orchestrator.kill()  # SIGKILL: no cleanup code runs in the orchestrator
        orchestrator.wait(10)
        wait_until(lambda: gone(child), "the orphan to receive its parent-death signal")
    finally:
        orchestrator.kill()
        orchestrator.wait(10)


def test_sigterm_runs_cleanup_like_ctrl_c(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, signal, time\n"
            "from bench.processes import Terminated, sigterm_raises\n"
            # Whatever handled SIGTERM before (the default, or coverage's when CI measures) is back after.
            "before = signal.getsignal(signal.SIGTERM)\n"
            "with sigterm_raises():\n"
            "    try:\n"
            "        os.kill(os.getpid(), signal.SIGTERM)\n"
            "        time.sleep(30)\n"
            "    except Terminated:\n"
            "        print('cleaned up')\n"
            "print(signal.getsignal(signal.SIGTERM) is before)\n",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    assert completed.stdout.split() == ["cleaned", "up", "True"]


def test_read_line_gives_up_instead_of_hanging(tmp_path: Path) -> None:
    with start(tmp_path, "import time; print('ready', flush=True); time.sleep(60)", pipes=True) as child:
        assert child.process.stdout is not None
        assert read_line(child.process.stdout, 10) == "ready\n"
        with pytest.raises(TimeoutError):
            read_line(child.process.stdout, 0.05)
    assert gone(child.pid)


def test_a_server_that_exits_at_start_fails_fast_with_its_log(tmp_path: Path) -> None:
    child = start(tmp_path, "import sys; print('MCP_PORT: bad value'); sys.exit(2)")
    with pytest.raises(RuntimeError, match="exited with 2:\nMCP_PORT: bad value"):
        wait_until_healthy(child, "http://127.0.0.1:9/health", timeout=20)
    child.stop()
