"""Content hash of everything the server image is built from: its tag, so only a change rebuilds."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

#: What the image build reads (the Dockerfile's context after .dockerignore), relative to the repo.
IMAGE_INPUTS: tuple[str, ...] = ("server", "Pipfile", "Pipfile.lock", ".dockerignore")
_IGNORED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".ruff_cache"})
_IGNORED_SUFFIXES = frozenset({".pyc", ".pyo"})


def _files(root: Path, inputs: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for entry in inputs:
        path = root / entry
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        found.extend(
            p
            for p in candidates
            if p.is_file()
            and not _IGNORED_PARTS.intersection(p.relative_to(root).parts)
            and p.suffix not in _IGNORED_SUFFIXES
        )
    return sorted(found)


def image_source_hash(root: Path, inputs: Iterable[str] = IMAGE_INPUTS, length: int = 20) -> str:
    """Hex digest over the relative paths and bytes of the image inputs (missing inputs are skipped)."""
    digest = hashlib.sha256()
    for path in _files(root, inputs):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:length]
