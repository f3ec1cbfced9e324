"""A deploy with a prebuilt image (`image_uri`): the user's own registry and tag, nothing built here.

From an empty account: no docker or aws CLI call, no ECR repository, the service runs exactly that
image, the re-plan is empty, and destroy leaves nothing behind. Tests run in file order and share
one deployment (see tests/deploy/conftest.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.deploy.conftest import Emulator, Project, make_project
from tests.deploy.leftovers import assert_nothing_left, inventory

pytestmark = pytest.mark.timeout(600)

#: An image the user's own pipeline built and pushed (another account's registry).
IMAGE = "210987654321.dkr.ecr.us-east-1.amazonaws.com/platform/mcp-weather:2026.12.1"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: Emulator) -> Project:
    project = make_project(tmp_path_factory.mktemp("prebuilt"), moto_endpoint)
    project.overrides["MCP_STACK_IMAGE_URI"] = IMAGE
    return project


@pytest.fixture(scope="module")
def outputs(project: Project) -> dict[str, Any]:
    return project.deploy()


def test_nothing_is_built_and_no_repository_is_made(project: Project, outputs: dict[str, Any]) -> None:
    assert project.stubs.calls() == []
    assert project.client("ecr").describe_repositories()["repositories"] == []
    assert outputs["image_uri"] == IMAGE
    assert "ecr_repository_url" not in outputs


def test_the_service_runs_exactly_that_image(project: Project, outputs: dict[str, Any]) -> None:
    ecs = project.client("ecs")
    (service,) = ecs.describe_services(cluster="mcp-server", services=["mcp-server"])["services"]
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    (container,) = task["containerDefinitions"]
    assert container["image"] == IMAGE
    state = json.loads((project.root / "terraform.McpServerAmazonECSStack.tfstate").read_text())
    assert not [r for r in state["resources"] if r["type"] in ("terraform_data", "aws_ecr_repository")]


def test_plan_after_deploy_has_no_changes(project: Project, outputs: dict[str, Any]) -> None:
    result = project.terraform("plan", "-detailed-exitcode", "-input=false", check=False)
    assert result.returncode == 0, f"perpetual diff after deploy:\n{result.stdout}\n{result.stderr}"


def test_destroy_leaves_nothing(project: Project, outputs: dict[str, Any]) -> None:
    before = inventory(project)
    project.destroy()
    assert_nothing_left(project, before)
