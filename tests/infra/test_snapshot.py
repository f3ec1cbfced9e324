"""The synthesized stacks match the reviewed snapshots in tests/snapshots/.

Any change to what `terraform plan` would see shows up as a diff of these files in review.
After an intended change, refresh them with:
    UPDATE_SNAPSHOTS=1 pipenv run pytest tests/infra/test_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from server.contract import MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME
from stacks.source_hash import image_source_hash
from tests.infra.conftest import Synth

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
ROOT = Path(__file__).resolve().parents[2]
#: The image tag changes with every server edit; the snapshot is about the infrastructure.
HASH_PLACEHOLDER = "<image-source-hash>"
EMBEDDED_JSON = ("container_definitions", "dashboard_body", "policy")


def ci_run() -> bool:
    """True in CI: CI=true (or any value but empty, 0 or false), as CI services set it."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def normalized(synth: Synth, stack: str) -> str:
    text = synth.text(stack).replace(image_source_hash(ROOT), HASH_PLACEHOLDER)

    def strip(value: Any) -> Any:  # cdktf's "//" metadata (construct paths) is noise in review
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "//"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    document = strip(json.loads(text))
    # Documents embedded as one JSON string (containers, dashboard, lifecycle rules) are expanded
    # so a change shows up as a readable line diff.
    for resources in document.get("resource", {}).values():
        for resource in resources.values():
            for key in EMBEDDED_JSON:
                if isinstance(resource.get(key), str) and resource[key][:1] in "[{":
                    resource[key] = json.loads(resource[key])
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("stack", [MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME])
def test_synthesized_stack_matches_snapshot(default_synth: Synth, stack: str) -> None:
    snapshot = SNAPSHOTS / f"{stack}.tf.json"
    actual = normalized(default_synth, stack)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        # In CI a refreshed snapshot would make this test pass whatever changed.
        assert not ci_run(), (
            "UPDATE_SNAPSHOTS=1 refuses to run in CI (CI is set): refresh locally, commit the diff"
        )
        snapshot.write_text(actual)
    assert snapshot.exists(), f"no snapshot yet: run UPDATE_SNAPSHOTS=1 pytest {__file__}"
    assert actual == snapshot.read_text(), (
        f"{stack} changed. Review the diff; if intended, refresh with "
        "UPDATE_SNAPSHOTS=1 pytest tests/infra/test_snapshot.py"
    )


def test_the_snapshot_refresh_refuses_to_run_in_ci(
    monkeypatch: pytest.MonkeyPatch, default_synth: Synth
) -> None:
    snapshot = SNAPSHOTS / f"{MAIN_STACK_NAME}.tf.json"
    before = snapshot.read_text()
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(AssertionError, match="refuses to run in CI"):
        test_synthesized_stack_matches_snapshot(default_synth, MAIN_STACK_NAME)
    assert snapshot.read_text() == before
