"""Dependencies point one way: the modules both halves share need only the standard library, the
NWS client (the lowest layer) knows nothing of MCP or the tools, and the infrastructure app knows
nothing of the server's runtime."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.node_env import JSII_QUIET_ENV

ROOT = Path(__file__).resolve().parents[2]
#: The server's runtime frameworks: the infrastructure app (synth, the CLI) must not need them.
SERVER_RUNTIME = ("fastmcp", "mcp", "httpx", "httpcore", "starlette", "uvicorn", "anyio", "structlog")


def modules_loaded_by(module: str) -> set[str]:
    """Every module a fresh interpreter has loaded after importing `module` (and nothing else)."""
    script = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, **JSII_QUIET_ENV},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(completed.stdout))


def outside_the_standard_library(module: str) -> list[str]:
    """The top-level packages, other than `server`, that importing `module` adds to a fresh
    interpreter beyond what the interpreter loads at start-up (site hooks such as _distutils_hack)."""
    added = modules_loaded_by(module) - modules_loaded_by("sys")
    packages = {name.split(".")[0] for name in added}
    return sorted(packages - set(sys.stdlib_module_names) - {"server"})


@pytest.mark.parametrize(
    "module", ["server.contract", "server.metrics", "server.problems", "server.coordinates"]
)
def test_modules_the_two_halves_share_need_only_the_standard_library(module: str) -> None:
    # stacks/ imports the first three without the server's runtime; the NWS client and the tools'
    # rendering both use the last without depending on each other.
    assert outside_the_standard_library(module) == []


def test_the_nws_client_imports_neither_fastmcp_nor_the_tool_layer() -> None:
    loaded = modules_loaded_by("server.nws")
    framework = sorted(name for name in loaded if name == "fastmcp" or name.startswith(("fastmcp.", "mcp.")))
    assert framework == [], f"server.nws pulls in MCP framework modules: {framework[:5]}"
    assert {"server.tools", "server.tool_call_log", "server.app"} & loaded == set()
    assert "server.call_record" in loaded  # what the client writes its upstream facts to


def test_the_open_meteo_client_imports_neither_fastmcp_the_tools_nor_the_nws_client() -> None:
    loaded = modules_loaded_by("server.open_meteo")
    framework = sorted(name for name in loaded if name == "fastmcp" or name.startswith(("fastmcp.", "mcp.")))
    assert framework == [], f"server.open_meteo pulls in MCP framework modules: {framework[:5]}"
    assert {"server.tools", "server.tool_call_log", "server.app", "server.nws"} & loaded == set()
    assert {"server.call_record", "server.retry", "server.breaker"} <= loaded  # the shared layers


def test_the_serving_entry_point_leaves_fastmcp_to_the_workers() -> None:
    # uvicorn's supervisor process only runs server.serving; each worker imports the app itself.
    loaded = modules_loaded_by("server.__main__")
    assert "server.serving" in loaded
    assert not any(name == "fastmcp" or name.startswith("fastmcp.") for name in loaded)


def test_the_infrastructure_app_loads_none_of_the_server_runtime() -> None:
    loaded = modules_loaded_by("stacks.app")  # loads jsii and the AWS provider bindings: ~10 s
    assert "server.contract" in loaded  # what the infrastructure does share with the server
    runtime = sorted(name for name in loaded if name.split(".")[0] in SERVER_RUNTIME)
    assert runtime == [], f"stacks.app pulls in the server's runtime: {runtime[:5]}"
