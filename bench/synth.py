"""Synth time: `python main.py` against a minimal cdktf app on the same provider bindings.

Both run as fresh processes (the import of the jsii provider bindings is most of the cost, and it
is paid once per process), interleaved so that background load hits both alike; the fastest run of
each is compared. Output goes to a temporary directory through CDKTF_OUTDIR, never to cdktf.out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from bench.results import SynthTiming
from stacks.node_env import JSII_QUIET_ENV

#: Both apps run with the jsii end-of-life banner silenced, as `main.py` does by default.
SYNTH_ENV: Final = JSII_QUIET_ENV
PROJECT_COMMAND: Final = (sys.executable, "main.py")
MINIMAL_COMMAND: Final = (sys.executable, "-m", "bench.minimal_synth")
SYNTH_TIMEOUT: Final = 600.0


def time_command(argv: Sequence[str], cwd: Path, outdir: Path) -> float:
    """Wall seconds of one synth, which must succeed and write a manifest into `outdir`."""
    env = {**os.environ, **SYNTH_ENV, "CDKTF_OUTDIR": str(outdir)}
    started = time.perf_counter()
    completed = subprocess.run(
        list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=SYNTH_TIMEOUT, check=False
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0 or not (outdir / "manifest.json").exists():
        raise RuntimeError(
            f"{' '.join(argv)} failed with exit code {completed.returncode}:\n{completed.stderr[-2000:]}"
        )
    return elapsed


def measure_synth(
    cwd: Path,
    repeats: int,
    *,
    timer: Callable[[Sequence[str], Path, Path], float] = time_command,
    progress: Callable[[str], None] = print,
) -> SynthTiming:
    """`repeats` timings of each app, alternating project and minimal."""
    project: list[float] = []
    minimal: list[float] = []
    for attempt in range(1, repeats + 1):
        for label, argv, samples in (
            ("project", PROJECT_COMMAND, project),
            ("minimal", MINIMAL_COMMAND, minimal),
        ):
            with tempfile.TemporaryDirectory(prefix=f"bench-synth-{label}-") as outdir:
                samples.append(timer(argv, cwd, Path(outdir)))
            progress(f"synth {label} #{attempt}: {samples[-1]:.2f} s")
    return SynthTiming(project=project, minimal=minimal)
