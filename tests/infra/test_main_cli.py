"""`python main.py --config FILE --outdir DIR`, the command the README gives, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from server.contract import MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "full-featured.json"


def main_py(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_config_and_outdir_synthesize_that_file_into_that_directory(tmp_path: Path) -> None:
    outdir = tmp_path / "out"

    result = main_py("--config", str(EXAMPLE), "--outdir", str(outdir))

    assert result.returncode == 0, result.stderr
    assert (outdir / "stacks" / STATE_BACKEND_STACK_NAME / "cdk.tf.json").is_file()
    stack = json.loads((outdir / "stacks" / MAIN_STACK_NAME / "cdk.tf.json").read_text())
    # Settings only the example file holds: the project's cdktf.json sets neither.
    assert [provider["region"] for provider in stack["provider"]["aws"]] == ["us-east-1"]
    assert stack["output"]["mcp_url"]["value"] == "https://mcp.example.com/mcp"


def test_a_bad_config_file_exits_2_naming_the_key_before_any_synth(tmp_path: Path) -> None:
    config = tmp_path / "staging.json"
    config.write_text(json.dumps({"context": {"desired_task_count": "many", "instance_tpye": "c6g.large"}}))
    outdir = tmp_path / "out"

    result = main_py("--config", str(config), "--outdir", str(outdir))

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "error: invalid infrastructure configuration:"
    # The file the user gave is named as the place to fix it, not the project's cdktf.json.
    assert any(
        line.startswith("  - desired_task_count (staging.json context 'desired_task_count' or ")
        and "valid integer" in line
        for line in lines
    )
    assert any(line.startswith("  - instance_tpye") and "unknown key" in line for line in lines)
    assert "Traceback" not in result.stderr
    assert not outdir.exists()


def test_a_missing_config_file_exits_2_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"

    result = main_py("--config", str(missing))

    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == f"main.py: error: --config {missing}: no such file"
