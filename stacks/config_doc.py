"""Render InfraConfig as the README's configuration table: `python -m stacks.config_doc`.

The README embeds the output between markers; tests/test_readme.py fails when they differ, so the
documentation cannot drift from the code.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import PydanticUndefined

from .config import ENV_PREFIX, InfraConfig

START = "<!-- infra-config-table:start (generated: python -m stacks.config_doc) -->"
END = "<!-- infra-config-table:end -->"


def _default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def config_table() -> str:
    rows = [
        "| key (`cdktf.json` context) | environment variable | default | meaning and accepted values |",
        "| --- | --- | --- | --- |",
    ]
    for name, field in InfraConfig.model_fields.items():
        default = (
            field.get_default(call_default_factory=True)
            if field.default is PydanticUndefined
            else field.default
        )
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | `{ENV_PREFIX}{name.upper()}` | `{_default(default)}` | {description} |")
    return "\n".join([START, *rows, END])


if __name__ == "__main__":
    print(config_table())
