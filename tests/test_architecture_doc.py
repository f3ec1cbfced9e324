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


#: `register_tools`, `LoadBalancer.allow_to`, `read_settings()`: a backticked Python name.
_NAME_RE = re.compile(r"`([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)(?:\(\))?`")
_CODE_FOLDERS = ("server", "stacks", "fakes", "bench", "export_hcl", "tests", "scripts")


def test_every_name_the_architecture_document_names_is_in_the_code() -> None:
    """A renamed function, class or module shows up here instead of misleading the next reader."""
    sources = [ROOT / "main.py", *(p for folder in _CODE_FOLDERS for p in (ROOT / folder).rglob("*.py"))]
    words = set()
    for source in sources:
        if source != Path(__file__).resolve():
            words.update(re.findall(r"\w+", source.read_text(encoding="utf-8")))
    named = set(_NAME_RE.findall(DOC.read_text(encoding="utf-8")))
    assert {"register_tools", "LoadBalancer.allow_to"} <= named  # the document is read
    missing = sorted(name for name in named if not all(part in words for part in name.split(".")))
    assert missing == []
