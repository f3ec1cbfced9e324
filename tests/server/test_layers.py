"""Dependencies point one way: the NWS client (the lowest layer) knows nothing of MCP or the tools."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def modules_loaded_by(module: str) -> set[str]:
    """Every module a fresh interpreter has loaded after importing `module` (and nothing else)."""
    script = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(completed.stdout))


def test_the_nws_client_imports_neither_fastmcp_nor_the_tool_layer() -> None:
    loaded = modules_loaded_by("server.nws")
    framework = sorted(name for name in loaded if name == "fastmcp" or name.startswith(("fastmcp.", "mcp.")))
    assert framework == [], f"server.nws pulls in MCP framework modules: {framework[:5]}"
    assert {"server.tools", "server.tool_call_log", "server.app"} & loaded == set()
    assert "server.call_record" in loaded  # what the client writes its upstream facts to


def test_the_serving_entry_point_leaves_fastmcp_to_the_workers() -> None:
    # uvicorn's supervisor process only runs server.serving; each worker imports the app itself.
    loaded = modules_loaded_by("server.__main__")
    assert "server.serving" in loaded
    assert not any(name == "fastmcp" or name.startswith("fastmcp.") for name in loaded)
