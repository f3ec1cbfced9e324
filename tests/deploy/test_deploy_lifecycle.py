"""The user's path on emulated AWS: `cdktf deploy` from an empty account with local state, inspect,
re-plan, redeploy; a server change whose image build fails (nothing rolls, the re-run converges);
bootstrap the state bucket, move the state into it with --migrate-state and show that S3-native
locking stops a concurrent run; leave cdktf for plain Terraform (HCL export) against the state in
the bucket; `cdktf destroy` with remote state, leaving nothing behind. Tests run in file order and
share one deployment (see tests/deploy/conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from server.contract import LOG_GROUP_NAME, MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME
from stacks.config import DEFAULT_AMI_PARAMETER
from stacks.source_hash import image_source_hash
from tests.deploy.conftest import SKIP_LOCK, Emulator, Project, make_project
from tests.deploy.hcl_plans import plan_from_empty_state
from tests.deploy.leftovers import assert_nothing_left, inventory
from tests.terraform_cli import terraform

pytestmark = pytest.mark.timeout(600)

#: Room for a second task (desired 1 -> 2 later) without touching the Auto Scaling group.
HEADROOM = {"MCP_STACK_INSTANCE_MAX_COUNT": "3"}
STATE_KEY = f"{MAIN_STACK_NAME}/terraform.tfstate"


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


def test_a_failing_image_build_stops_the_deploy_and_production_keeps_running(
    project: Project, outputs: dict[str, Any], tmp_path: Path
) -> None:
    tools = project.root / "server" / "tools" / "weather.py"
    tools.write_text(tools.read_text() + "\n# a change that must reach production\n")
    project.stubs.clear()
    project.overrides["STUB_DOCKER_BUILD_FAILS"] = "1"
    try:
        failed = project.cdktf_result("deploy", MAIN_STACK_NAME, *SKIP_LOCK, "--auto-approve")
    finally:
        del project.overrides["STUB_DOCKER_BUILD_FAILS"]
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    # The user sees which step failed and buildx's own reason.
    assert "terraform_data.image_build" in output
    assert "failed to solve" in output
    # Nothing was rolled: the service still runs the first revision, with the image that exists.
    ecs = project.client("ecs")
    (service,) = ecs.describe_services(cluster="mcp-server", services=["mcp-server"])["services"]
    assert service["taskDefinition"].endswith(":1")
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert task["containerDefinitions"][0]["image"] == outputs["image_uri"]
    # The state is consistent: what is left to do is exactly the build and the roll-out it gates.
    # Terraform deregistered the old revision before the build (a replacement destroys first); ECS
    # keeps running a service's tasks on an INACTIVE revision, and the re-run registers the new one.
    assert plan_changes(project, tmp_path) == {
        "terraform_data.image_build": ["delete", "create"],  # tainted by the failed build
        "aws_ecs_task_definition.service_task_definition": ["create"],
        "aws_ecs_service.service_service": ["update"],
    }


def test_the_rerun_after_a_failed_build_builds_exactly_once_and_rolls_the_task_definition(
    project: Project, outputs: dict[str, Any]
) -> None:
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


def test_raising_desired_count_updates_only_the_service_in_place(project: Project, tmp_path: Path) -> None:
    project.overrides["MCP_STACK_DESIRED_TASK_COUNT"] = "2"
    try:
        project.synth()
        assert plan_changes(project, tmp_path) == {"aws_ecs_service.service_service": ["update"]}
    finally:
        del project.overrides["MCP_STACK_DESIRED_TASK_COUNT"]
        project.synth()


@pytest.fixture(scope="module")
def bucket(project: Project, outputs: dict[str, Any]) -> str:
    """`cdktf deploy` of the state stack, after the main stack has lived on local state for a while."""
    outputs = project.deploy(STATE_BACKEND_STACK_NAME)
    return outputs["state_bucket_name"]


@pytest.fixture(scope="module")
def deployed(project: Project, bucket: str) -> dict[str, Any]:
    project.overrides.update({"MCP_STACK_STATE_BUCKET": bucket, "MCP_STACK_STATE_BUCKET_PATH_STYLE": "true"})
    return project.deploy(migrate_state=True)


def read_state(s3: Any, bucket: str) -> dict[str, Any]:
    state = json.loads(s3.get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read())
    return {key: state[key] for key in ("lineage", "serial", "resources")}


def test_bootstrap_creates_a_private_versioned_encrypted_tls_only_bucket(
    project: Project, bucket: str
) -> None:
    s3 = project.client("s3")
    assert bucket == "mcp-server-tfstate-123456789012-us-east-1"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90


def test_bootstrap_keeps_its_own_state_locally(project: Project, bucket: str) -> None:
    assert (project.root / f"terraform.{STATE_BACKEND_STACK_NAME}.tfstate").is_file()


def test_migration_moves_the_local_state_into_the_bucket_unchanged(
    project: Project, bucket: str, outputs: dict[str, Any], deployed: dict[str, Any]
) -> None:
    state = json.loads(project.client("s3").get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read())
    addresses = {f"{r['type']}.{r['name']}" for r in state["resources"] if r["mode"] == "managed"}
    assert "aws_ecs_service.service_service" in addresses
    # The same infrastructure, adopted rather than recreated.
    assert deployed["vpc_id"] == outputs["vpc_id"]
    assert deployed["mcp_url"] == outputs["mcp_url"]


def test_a_run_holding_the_lock_stops_a_concurrent_plan(
    project: Project, bucket: str, deployed: dict[str, Any]
) -> None:
    s3 = project.client("s3")
    state_before = read_state(s3, bucket)

    # A real terraform run that holds the lock: an interactive apply waiting at its approval prompt.
    holder = subprocess.Popen(
        ["terraform", "apply", "-replace=terraform_data.image_build", "-no-color"],
        cwd=project.stack_dir(),
        env=project.command_env({"TF_INPUT": "1", "TF_IN_AUTOMATION": ""}),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not s3.list_objects_v2(Bucket=bucket, Prefix=f"{STATE_KEY}.tflock").get("KeyCount"):
            assert holder.poll() is None, (
                f"apply ended before taking the lock:\n{holder.stdout.read() if holder.stdout else ''}"
            )
            assert time.monotonic() < deadline, "no lock object appeared in the bucket"
            time.sleep(0.5)

        concurrent = project.terraform("plan", "-lock-timeout=0s", "-input=false", check=False)
        assert concurrent.returncode != 0
        assert "Error acquiring the state lock" in concurrent.stderr
    finally:
        output, _ = holder.communicate("no\n", timeout=120)

    assert "Apply cancelled" in output
    assert not s3.list_objects_v2(Bucket=bucket, Prefix=f"{STATE_KEY}.tflock").get("KeyCount")
    # Neither run changed the recorded infrastructure: same lineage, serial and resources.
    assert read_state(s3, bucket) == state_before
    settled = project.terraform("plan", "-detailed-exitcode", "-input=false", check=False)
    assert settled.returncode == 0, settled.stdout + settled.stderr


@pytest.fixture(scope="module")
def hcl_module(project: Project, deployed: dict[str, Any]) -> Path:
    """Leaving cdktf after deploying with it: `pipenv run export-hcl terraform` in the project, whose
    state is in the S3 bucket by now: the exported module's backend block points there too."""
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


def test_exported_hcl_plans_no_changes_against_the_state_cdktf_left_in_s3(
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


def test_destroy_with_remote_state_completes_and_leaves_nothing_of_ours(
    project: Project, bucket: str, deployed: dict[str, Any]
) -> None:
    before = inventory(project)
    project.destroy()
    assert_nothing_left(project, before)
    # The state stays in the bucket (the bootstrap stack is not destroyed), empty of resources.
    state = json.loads(project.client("s3").get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read())
    assert [r for r in state["resources"] if r["mode"] == "managed"] == []
