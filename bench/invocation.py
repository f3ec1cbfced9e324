"""How a harness run starts, stops and introduces itself: shared by `pipenv run bench` and `chaos`.

Both run their work in a scratch directory, stop every process they started on Ctrl-C or SIGTERM,
and open their report with the same lines: the command, the date, the machine, the versions.
"""

from __future__ import annotations

import importlib.metadata
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TypeVar

from bench import procfs
from bench.processes import Terminated, sigterm_raises

#: Libraries whose versions the numbers depend on (named in every report).
VERSIONED: Final = (
    "fastmcp",
    "mcp",
    "uvicorn",
    "uvloop",
    "httptools",
    "starlette",
    "httpx",
    "httpx2",
    "pydantic",
    "cdktf",
    "cdktf-cdktf-provider-aws",
)

T = TypeVar("T")


def versions() -> dict[str, str]:
    """Installed versions of the libraries that matter for the numbers."""
    found = {}
    for name in VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


@dataclass(frozen=True)
class Invocation:
    """How, when and where a harness ran."""

    command: str
    date: str
    machine: procfs.Machine
    python: str
    versions: dict[str, str]
    wall_seconds: float

    def header_lines(self, machine_remark: str = "") -> list[str]:
        """The report's first bullet points (`machine_remark` is appended to the machine line)."""
        machine = self.machine
        return [
            f"- Command: `{self.command}` (took {self.wall_seconds / 60:.1f} min)",
            f"- Date: {self.date}",
            f"- Machine: {machine.cores} cores ({machine.cpu_model}), {machine.memory_gib:.1f} GiB RAM,"
            f" Linux {machine.kernel}{machine_remark}",
            f"- Python {self.python}; "
            + ", ".join(f"{name} {version}" for name, version in self.versions.items()),
        ]


def run_harness(
    script: str, argv: Sequence[str] | None, workdir: Path | None, body: Callable[[Path], T]
) -> tuple[T, Invocation] | None:
    """Run `body` in `workdir` (default: a temporary directory); None when interrupted.

    `script` is the pipenv script name (`bench`, `chaos`): the report names the command as typed.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = f"pipenv run {script}" + (" " + shlex.join(arguments) if arguments else "")
    started = time.perf_counter()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        with sigterm_raises(), ExitStack() as stack:
            if workdir is None:
                workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"{script}-")))
            workdir.mkdir(parents=True, exist_ok=True)
            result = body(workdir)
    except (KeyboardInterrupt, Terminated):
        print(f"{script}: interrupted; every process it started has been stopped", file=sys.stderr)
        return None
    invocation = Invocation(
        command=command,
        date=date,
        machine=procfs.machine(),
        python=platform.python_version(),
        versions=versions(),
        wall_seconds=time.perf_counter() - started,
    )
    return result, invocation
