"""Synth timing: both apps alternate, each into its own fresh output directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.synth import MINIMAL_COMMAND, PROJECT_COMMAND, measure_synth


def test_project_and_minimal_alternate_and_the_best_runs_are_compared(tmp_path: Path) -> None:
    calls: list[tuple[tuple[str, ...], Path]] = []
    durations = iter([12.0, 10.0, 11.0, 10.5])

    def timer(argv: Sequence[str], cwd: Path, outdir: Path) -> float:
        assert cwd == tmp_path
        assert outdir.is_dir()
        calls.append((tuple(argv), outdir))
        return next(durations)

    timing = measure_synth(tmp_path, 2, timer=timer, progress=lambda _line: None)

    assert [argv for argv, _ in calls] == [PROJECT_COMMAND, MINIMAL_COMMAND] * 2
    assert len({outdir for _, outdir in calls}) == 4
    assert not any(outdir.exists() for _, outdir in calls)  # temporary, removed afterwards
    assert (timing.project, timing.minimal) == ([12.0, 11.0], [10.0, 10.5])
    assert round(timing.overhead_percent) == 10
