"""The user's path on emulated AWS: `cdktf deploy` from an empty account, inspect, re-plan, change,
redeploy, `cdktf destroy`. Tests run in file order and share one deployment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from server.contract import LOG_GROUP_NAME
from stacks.config import DEFAULT_AMI_PARAMETER
from stacks.source_hash import image_source_hash
from tests.deploy.conftest import Emulator, Project, make_project
from tests.deploy.hcl_plans import plan_from_empty_state
from tests.terraform_cli import terraform

pytestmark = pytest.mark.timeout(600)

#: Room for a second task (desired 1 -> 2 later) without touching the Auto Scaling group.
HEADROOM = {"MCP_STACK_INSTANCE_MAX_COUNT": "3"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: Emulator) -> Project:
    project = make_project(tmp_path_factory.mktemp("lifecycle"), moto_endpoint)
    project.overrides.update(HEADROOM)
    return project


@pytest.fixture(scope="module")
def outputs(project: Project) -> dict[str, Any]:
    return project.deploy()


def test_first_deploy_logs_in_builds_for_arm64_and_pushes_the_content_tag(
    project: Project, outputs: dict[str, Any]
) -> None:
    tag = image_source_hash(project.root)
    repository = outputs["ecr_repository_url"]
    (build,) = project.stubs.builds()
    assert build[build.index("--platform") + 1] == "linux/arm64"
    assert build[build.index("--tag") + 1] == f"{repository}:{tag}"
    assert "--push" in build
    logins = [c for c in project.stubs.calls("docker") if c["args"][0] == "login"]
    assert [c["args"][-1] for c in logins] == [repository.split("/")[0]]
    assert outputs["image_uri"] == f"{repository}:{tag}"


def test_outputs_are_present_and_well_formed(outputs: dict[str, Any]) -> None:
    assert outputs["mcp_url"] == f"http://{outputs['alb_dns_name']}/mcp"
    assert outputs["mcp_url"].endswith("/mcp")
    assert outputs["cluster_name"] == "mcp-server"
    assert outputs["service_name"] == "mcp-server"
    assert outputs["listener_arn"].startswith("arn:aws:elasticloadbalancing:us-east-1:")
    assert outputs["vpc_id"].startswith("vpc-")
    assert outputs["log_group_name"] == LOG_GROUP_NAME


def test_resources_exist_with_the_properties_that_matter(project: Project, outputs: dict[str, Any]) -> None:
    ec2 = project.client("ec2")
    (version,) = ec2.describe_launch_template_versions(LaunchTemplateName="mcp-server-ecs")[
        "LaunchTemplateVersions"
    ]
    data = version["LaunchTemplateData"]
    assert data["InstanceType"] == "c6g.xlarge"
    assert data["ImageId"] == f"resolve:ssm:{DEFAULT_AMI_PARAMETER}"
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    # The public parameter the template points at resolves to an AMI.
    ami = project.client("ssm").get_parameter(Name=DEFAULT_AMI_PARAMETER)["Parameter"]["Value"]
    assert ami.startswith("ami-")

    (group,) = project.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["mcp-server-ecs"]
    )["AutoScalingGroups"]
    assert (group["MinSize"], group["MaxSize"]) == (1, 3)

    (target_group,) = project.client("elbv2").describe_target_groups(Names=["mcp-server-tasks"])[
        "TargetGroups"
    ]
    assert (target_group["HealthCheckPath"], target_group["HealthCheckIntervalSeconds"]) == ("/health", 5)
    assert target_group["TargetType"] == "ip"

    (log_group,) = project.client("logs").describe_log_groups(logGroupNamePrefix=LOG_GROUP_NAME)["logGroups"]
    assert log_group["retentionInDays"] == 30

    ecs = project.client("ecs")
    (service,) = ecs.describe_services(cluster="mcp-server", services=["mcp-server"])["services"]
    assert service["desiredCount"] == 1
    assert service["capacityProviderStrategy"][0]["capacityProvider"] == "mcp-server-ec2"
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert (task["cpu"], task["memory"]) == ("2048", "4096")
    assert task["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    assert task["containerDefinitions"][0]["image"] == outputs["image_uri"]


def test_plan_right_after_deploy_has_no_changes(project: Project, outputs: dict[str, Any]) -> None:
    result = project.terraform("plan", "-detailed-exitcode", "-input=false", check=False)
    assert result.returncode == 0, f"perpetual diff after deploy:\n{result.stdout}\n{result.stderr}"


def test_redeploy_without_source_changes_builds_nothing(project: Project, outputs: dict[str, Any]) -> None:
    project.stubs.clear()
    again = project.deploy()
    assert project.stubs.calls() == []
    assert again["image_uri"] == outputs["image_uri"]


def test_server_change_builds_exactly_once_and_rolls_the_task_definition(
    project: Project, outputs: dict[str, Any]
) -> None:
    tools = project.root / "server" / "tools" / "weather.py"
    tools.write_text(tools.read_text() + "\n# a change that must reach production\n")
    project.stubs.clear()
    after = project.deploy()
    new_tag = image_source_hash(project.root)
    assert after["image_uri"] == f"{outputs['ecr_repository_url']}:{new_tag}" != outputs["image_uri"]
    (build,) = project.stubs.builds()
    assert build[build.index("--tag") + 1] == after["image_uri"]
    (service,) = project.client("ecs").describe_services(cluster="mcp-server", services=["mcp-server"])[
        "services"
    ]
    assert service["taskDefinition"].endswith(":2")


def plan_changes(project: Project, directory: Path) -> dict[str, list[str]]:
    """Address -> actions of every resource the plan would touch."""
    plan = directory / "change.tfplan"
    project.terraform("plan", "-input=false", f"-out={plan}")
    shown = json.loads(project.terraform("show", "-json", str(plan)).stdout)
    return {
        change["address"]: change["change"]["actions"]
        for change in shown["resource_changes"]
        if change["change"]["actions"] not in (["no-op"], ["read"])
    }


def test_raising_desired_count_updates_only_the_service_in_place(project: Project, tmp_path: Path) -> None:
    project.overrides["MCP_STACK_DESIRED_TASK_COUNT"] = "2"
    try:
        project.synth()
        assert plan_changes(project, tmp_path) == {"aws_ecs_service.service_service": ["update"]}
    finally:
        del project.overrides["MCP_STACK_DESIRED_TASK_COUNT"]
        project.synth()


@pytest.fixture(scope="module")
def hcl_module(project: Project, outputs: dict[str, Any]) -> Path:
    """Leaving cdktf after deploying with it: `pipenv run export-hcl terraform` in the project."""
    return project.export_hcl()


@pytest.fixture
def plain_terraform(project: Project, tmp_path: Path) -> dict[str, str]:
    """The environment of a user who has only terraform (plus bash and coreutils for the image
    script, and the docker/aws stand-ins): no cdktf, no Node.js, no Python on PATH."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("terraform", "bash", "cut"):
        (tools / tool).symlink_to(shutil.which(tool) or tool)
    env = {k: v for k, v in project.command_env().items() if not k.startswith("PIPENV")}
    env["PATH"] = os.pathsep.join([str(project.stubs.bin_dir), str(tools)])
    for absent in ("python", "python3", "node", "npx", "cdktf", "pipenv"):
        assert shutil.which(absent, path=env["PATH"]) is None
    return env


def test_exported_hcl_plans_no_changes_against_the_cdktf_state(
    hcl_module: Path, plain_terraform: dict[str, str]
) -> None:
    terraform(["init", "-input=false"], hcl_module, plain_terraform)
    result = terraform(
        ["plan", "-detailed-exitcode", "-input=false"], hcl_module, plain_terraform, check=False
    )
    assert result.returncode == 0, (
        f"the exported module would change things:\n{result.stdout}\n{result.stderr}"
    )


def test_exported_hcl_plans_like_the_json_synth_from_an_empty_state(
    project: Project, hcl_module: Path, tmp_path: Path
) -> None:
    env = project.command_env()
    from_json = plan_from_empty_state(project.stack_dir(), tmp_path / "json", env)
    from_hcl = plan_from_empty_state(hcl_module, tmp_path / "hcl", env)
    assert sorted(from_hcl["resources"]) == sorted(from_json["resources"])
    for address, planned in from_json["resources"].items():
        assert from_hcl["resources"][address] == planned, address
    assert from_hcl["outputs"] == from_json["outputs"]


def test_desired_count_changed_in_hcl_is_applied_by_plain_terraform(
    project: Project, hcl_module: Path, plain_terraform: dict[str, str], tmp_path: Path
) -> None:
    service_tf = hcl_module / "service.tf"
    text, count = re.subn(r"(\n  desired_count\s*=) 1\n", r"\1 2\n", service_tf.read_text())
    assert count == 1
    service_tf.write_text(text)
    plan = tmp_path / "count.tfplan"
    terraform(["init", "-input=false"], hcl_module, plain_terraform)
    terraform(["plan", "-input=false", f"-out={plan}"], hcl_module, plain_terraform)
    shown = json.loads(terraform(["show", "-json", str(plan)], hcl_module, plain_terraform).stdout)
    changes = {
        c["address"]: c["change"]["actions"]
        for c in shown["resource_changes"]
        if c["change"]["actions"] not in (["no-op"], ["read"])
    }
    assert changes == {"aws_ecs_service.service_service": ["update"]}
    terraform(["apply", "-input=false", str(plan)], hcl_module, plain_terraform)
    (service,) = project.client("ecs").describe_services(cluster="mcp-server", services=["mcp-server"])[
        "services"
    ]
    assert service["desiredCount"] == 2
    settled = terraform(
        ["plan", "-detailed-exitcode", "-input=false"], hcl_module, plain_terraform, check=False
    )
    assert settled.returncode == 0, settled.stdout + settled.stderr


def test_new_image_tag_in_hcl_builds_and_rolls_out_with_plain_terraform(
    project: Project, hcl_module: Path, plain_terraform: dict[str, str]
) -> None:
    image_tf = hcl_module / "image.tf"
    text, count = re.subn(r'(\n  image_tag\s*=\s*)"[0-9a-f]{20}"', r'\1"release-2"', image_tf.read_text())
    assert count == 1
    image_tf.write_text(text)
    project.stubs.clear()
    terraform(["init", "-input=false"], hcl_module, plain_terraform)
    terraform(["apply", "-input=false", "-auto-approve"], hcl_module, plain_terraform)

    (build,) = [c for c in project.stubs.calls("docker") if c["args"][:2] == ["buildx", "build"]]
    (repository,) = project.client("ecr").describe_repositories()["repositories"]
    image_uri = f"{repository['repositoryUri']}:release-2"
    assert build["args"][build["args"].index("--tag") + 1] == image_uri
    assert build["args"][build["args"].index("--file") + 1] == "server/Dockerfile"
    assert Path(build["cwd"]) == project.root  # the build context is the project checkout
    ecs = project.client("ecs")
    (service,) = ecs.describe_services(cluster="mcp-server", services=["mcp-server"])["services"]
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert task["containerDefinitions"][0]["image"] == image_uri


def test_destroy_completes_and_leaves_nothing_of_ours(project: Project, outputs: dict[str, Any]) -> None:
    project.destroy()
    assert project.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert project.client("elbv2").describe_target_groups()["TargetGroups"] == []
    assert project.client("ecr").describe_repositories()["repositories"] == []
    assert project.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert project.client("ec2").describe_launch_templates()["LaunchTemplates"] == []
    assert project.client("logs").describe_log_groups(logGroupNamePrefix=LOG_GROUP_NAME)["logGroups"] == []
    clusters = project.client("ecs").describe_clusters(clusters=["mcp-server"])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    ours = [
        r["RoleName"]
        for r in project.client("iam").list_roles()["Roles"]
        if r["RoleName"].startswith("mcp-server")
    ]
    assert ours == []
    vpcs = project.client("ec2").describe_vpcs(
        Filters=[{"Name": "tag:project", "Values": ["mcp-server-amazon-ecs"]}]
    )["Vpcs"]
    assert vpcs == []
    addresses = project.client("ec2").describe_addresses()["Addresses"]
    assert addresses == []
