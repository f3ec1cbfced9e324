"""Plans of the JSON synth and of the exported HCL module, side by side, on emulated AWS."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.terraform_cli import terraform

#: Points either module at a state file of its own (an override file wins over the backend block).
EMPTY_STATE_OVERRIDE = {"terraform": {"backend": {"local": {"path": "empty.tfstate"}}}}


def _semantic(value: Any) -> Any:
    """JSON documents held in strings compare by content: jsonencode() and json.dumps() differ
    in whitespace and key order only (the provider normalizes both the same way)."""
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, dict):
        return {key: _semantic(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


def plan_from_empty_state(module: Path, scratch: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """Copy the module's configuration, plan it against an empty state, and summarize the plan:
    address -> (actions, planned values, which values are unknown), and the outputs."""
    scratch.mkdir(parents=True)
    for path in module.iterdir():
        if path.suffix in {".tf", ".json"} and path.is_file():
            shutil.copy2(path, scratch / path.name)
    (scratch / "override.tf.json").write_text(json.dumps(EMPTY_STATE_OVERRIDE))
    terraform(["init", "-input=false"], scratch, env)
    terraform(["plan", "-input=false", "-out=empty.tfplan"], scratch, env)
    shown = json.loads(terraform(["show", "-json", "empty.tfplan"], scratch, env).stdout)
    return {
        "resources": {
            change["address"]: (
                change["change"]["actions"],
                _semantic(change["change"]["after"]),
                change["change"]["after_unknown"],
            )
            for change in shown["resource_changes"]
        },
        "outputs": {name: _semantic(change.get("after")) for name, change in shown["output_changes"].items()},
    }
