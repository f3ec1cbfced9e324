"""docs/ARCHITECTURE.md names only files and folders that exist: a newcomer follows it to the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ARCHITECTURE.md"
#: `server/app.py`, `server/tools/`, `fakes/nws/`: a backticked path in one of the project's folders.
_PATH_RE = re.compile(r"`((?:server|stacks|tests|fakes|bench|docs)/[\w./-]*)`")


def test_every_path_the_architecture_document_names_exists() -> None:
    named = set(_PATH_RE.findall(DOC.read_text(encoding="utf-8")))
    assert "server/tools/weather.py" in named  # the document is read, and names modules
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert missing == []
