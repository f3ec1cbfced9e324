"""Synthesized configurations on disk, shared by the xdist workers of a test session and, in CI, by the
security scan that runs beside the tests (a synth costs ~11 s of CPU; each configuration is made once).

An entry is a directory named after its configuration: `default`, `full-featured`, `oauth` for the
files as they are (what the scan checks), `<name>-<hash>` with overrides. Its `done` file holds the
configuration key and a fingerprint of every input of a synth (the stacks, the server, the examples,
the lock file): an entry made from other sources is made again, never reused.

`python -m tests.synth_cache wait DIR NAME [--timeout S]` prints the entry's `stacks` directory once it
is done with today's sources (exit 0), or exits 1 after the timeout: the scan then synthesizes itself.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: What a synth reads: the cdktf app and its configuration, and the image's inputs (its tag).
_INPUTS = ("main.py", "cdktf.json", "Pipfile", "Pipfile.lock", ".dockerignore")
_INPUT_FOLDERS = ("stacks", "server", "examples")


def fingerprint(root: Path = ROOT) -> str:
    """A hash of every file a synth reads, so a cached entry is tied to the sources it was made from."""
    digest = hashlib.sha256()
    files = [root / name for name in _INPUTS if (root / name).is_file()]
    for folder in _INPUT_FOLDERS:
        files += sorted(p for p in (root / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def entry_name(config_file: Path | None, overrides: dict[str, Any]) -> str:
    """`default`, or the config file's stem; with overrides, a hash of them after it."""
    name = config_file.stem if config_file is not None else "default"
    if not overrides:
        return name
    return f"{name}-{hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:12]}"


def _done(entry: Path, stamp: str) -> bool:
    marker = entry / "done"
    return marker.is_file() and marker.read_text() == stamp


def synthesized(
    cache_root: Path, config_file: Path | None, overrides: dict[str, Any], build: Callable[[Path], None]
) -> Path:
    """The entry of this configuration, made by `build(outdir)` under a file lock unless it is done."""
    cache_root.mkdir(parents=True, exist_ok=True)
    entry = cache_root / entry_name(config_file, overrides)
    stamp = json.dumps([str(config_file), overrides, fingerprint()], sort_keys=True)
    with (cache_root / f"{entry.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not _done(entry, stamp):
            shutil.rmtree(entry, ignore_errors=True)  # other sources, or a worker that died half-way
            build(entry)
            (entry / "done").write_text(stamp)
    return entry


def wait_for(cache_root: Path, name: str, config_file: Path | None, timeout: float) -> Path | None:
    """The `stacks` directory of a plain configuration's entry once done with today's sources."""
    stamp = json.dumps([str(config_file), {}, fingerprint()], sort_keys=True)
    deadline = time.monotonic() + timeout
    while True:
        if _done(cache_root / name, stamp):
            return cache_root / name / "stacks"
        if time.monotonic() > deadline:
            return None
        time.sleep(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.synth_cache")
    commands = parser.add_subparsers(dest="command", required=True)
    wait = commands.add_parser("wait", help="print an entry's stacks directory once it is done")
    wait.add_argument("directory", type=Path)
    wait.add_argument("name", help="default, or an example's name (full-featured, oauth)")
    wait.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)
    config_file = None if args.name == "default" else (ROOT / "examples" / f"{args.name}.json").resolve()
    stacks = wait_for(args.directory, args.name, config_file, args.timeout)
    if stacks is None:
        print(f"synth_cache: {args.name} was not synthesized in {args.directory} in time", file=sys.stderr)
        return 1
    print(stacks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
