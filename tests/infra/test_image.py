"""Image: ECR repository, content-hash tag, and the build-and-push step (or a prebuilt image)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stacks.source_hash import image_source_hash
from tests.infra.conftest import Synth
from tests.stub_tools import install_stub_tools

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY_URL = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/mcp-server"


def container(synth: Synth) -> dict[str, object]:
    (definition,) = json.loads(synth.resource("aws_ecs_task_definition")["container_definitions"])
    return definition


def test_repository_has_immutable_tags_scanning_and_encryption(default_synth: Synth) -> None:
    repository = default_synth.resource("aws_ecr_repository")
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["image_scanning_configuration"] == {"scan_on_push": True}
    assert repository["encryption_configuration"] == [{"encryption_type": "KMS"}]
    assert repository["force_delete"] is True  # destroy must not fail on a non-empty repository


def test_lifecycle_policy_keeps_the_last_ten_images(default_synth: Synth) -> None:
    policy = json.loads(default_synth.resource("aws_ecr_lifecycle_policy")["policy"])
    (rule,) = policy["rules"]
    assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}
    assert rule["action"] == {"type": "expire"}


def test_lifecycle_policy_keeps_the_configured_number_of_images(tuned_synth: Synth) -> None:
    (rule,) = json.loads(tuned_synth.resource("aws_ecr_lifecycle_policy")["policy"])["rules"]
    assert rule["selection"]["countNumber"] == 25
    assert rule["description"] == "Keep the last 25 images"


def test_image_tag_is_the_content_hash_of_the_server_sources(default_synth: Synth) -> None:
    tag = image_source_hash(ROOT)
    assert (
        container(default_synth)["image"] == f"${{aws_ecr_repository.image_repository.repository_url}}:{tag}"
    )
    build = default_synth.resource("terraform_data")
    assert build["triggers_replace"] == [tag, "${aws_ecr_repository.image_repository.repository_url}"]


def test_build_step_runs_the_push_script_for_arm64_from_the_repository_root(default_synth: Synth) -> None:
    (provisioner,) = default_synth.resource("terraform_data")["provisioner"]
    local_exec = provisioner["local-exec"]
    assert local_exec["command"] == "bash stacks/scripts/push_image.sh"
    assert local_exec["working_dir"] == "${path.module}/../../.."
    assert local_exec["environment"]["IMAGE_PLATFORM"] == "linux/arm64"
    # cdktf runs terraform in cdktf.out/stacks/<stack>: the working directory is the project root.
    stack_dir = ROOT / "cdktf.out" / "stacks" / "McpServerAmazonECSStack"
    assert (stack_dir / local_exec["working_dir"].removeprefix("${path.module}/")).resolve() == ROOT
    assert (ROOT / "stacks/scripts/push_image.sh").is_file()


def test_task_definition_waits_for_the_build(default_synth: Synth) -> None:
    assert default_synth.resource("aws_ecs_task_definition")["depends_on"] == ["terraform_data.image_build"]


def test_prebuilt_image_skips_repository_and_build(variant_synth: Synth) -> None:
    assert variant_synth.resources("aws_ecr_repository") == {}
    assert variant_synth.resources("terraform_data") == {}
    assert (
        container(variant_synth)["image"]
        == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/mcp-weather:1.4.2"
    )
    assert "depends_on" not in variant_synth.resource("aws_ecs_task_definition")


@pytest.fixture
def source_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "repo"
    shutil.copytree(ROOT / "server", tree / "server", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Pipfile", "Pipfile.lock"):
        shutil.copy(ROOT / name, tree / name)
    return tree


def test_hash_changes_with_any_server_file_and_only_with_inputs(source_tree: Path) -> None:
    before = image_source_hash(source_tree)
    (source_tree / "README.md").write_text("not an image input")
    (source_tree / "server" / "__pycache__").mkdir(exist_ok=True)
    (source_tree / "server" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert image_source_hash(source_tree) == before
    (source_tree / "server" / "tools" / "weather.py").write_text(
        (source_tree / "server" / "tools" / "weather.py").read_text() + "\n# change\n"
    )
    assert image_source_hash(source_tree) != before


def test_hash_changes_with_the_lock_file(source_tree: Path) -> None:
    before = image_source_hash(source_tree)
    (source_tree / "Pipfile.lock").write_text((source_tree / "Pipfile.lock").read_text() + " ")
    assert image_source_hash(source_tree) != before


def run_push_script(tmp_path: Path, tag: str) -> subprocess.CompletedProcess[str]:
    stubs = install_stub_tools(tmp_path / "stubs")
    return subprocess.run(
        ["bash", "stacks/scripts/push_image.sh"],
        cwd=ROOT,
        env={
            **os.environ,
            "PATH": f"{stubs.bin_dir}:{os.environ['PATH']}",
            "REPOSITORY_URL": REPOSITORY_URL,
            "IMAGE_TAG": tag,
            "IMAGE_PLATFORM": "linux/arm64",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_push_script_logs_in_builds_for_arm64_and_pushes_the_tag(tmp_path: Path) -> None:
    result = run_push_script(tmp_path, "abc123")
    assert result.returncode == 0, result.stderr
    stubs = install_stub_tools(tmp_path / "stubs")
    login = [c for c in stubs.calls("docker") if c["args"][0] == "login"]
    assert login[0]["args"] == [
        "login",
        "--username",
        "AWS",
        "--password-stdin",
        "123456789012.dkr.ecr.eu-central-1.amazonaws.com",
    ]
    assert login[0]["stdin"].strip() == "stub-ecr-password"
    get_password = [c for c in stubs.calls("aws") if c["args"][:2] == ["ecr", "get-login-password"]]
    assert get_password[0]["args"][2:] == ["--region", "eu-central-1"]
    (build,) = stubs.builds()
    assert build[build.index("--platform") + 1] == "linux/arm64"
    assert build[build.index("--tag") + 1] == f"{REPOSITORY_URL}:abc123"
    assert "--push" in build
    assert build[build.index("--file") + 1] == "server/Dockerfile"


def test_push_script_skips_a_tag_already_in_the_repository(tmp_path: Path) -> None:
    assert run_push_script(tmp_path, "abc123").returncode == 0
    second = run_push_script(tmp_path, "abc123")
    assert second.returncode == 0
    assert "already in ECR" in second.stdout
    assert len(install_stub_tools(tmp_path / "stubs").builds()) == 1


def test_push_script_requires_its_inputs(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", "stacks/scripts/push_image.sh"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "REPOSITORY_URL is required" in result.stderr
