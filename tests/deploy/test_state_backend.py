"""Remote state on emulated AWS, the README's path: deploy with local state, bootstrap the state
bucket, move the state into it with --migrate-state, and show that S3-native locking stops a
concurrent run instead of letting it corrupt state."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest

from server.contract import MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME
from tests.deploy.conftest import Emulator, Project, make_project

pytestmark = pytest.mark.timeout(600)

STATE_KEY = f"{MAIN_STACK_NAME}/terraform.tfstate"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, moto_endpoint: Emulator) -> Project:
    return make_project(tmp_path_factory.mktemp("state"), moto_endpoint)


@pytest.fixture(scope="module")
def first_outputs(project: Project) -> dict[str, Any]:
    """A first deploy before any state bucket exists: local state, as a newcomer starts."""
    return project.deploy()


@pytest.fixture(scope="module")
def bucket(project: Project, first_outputs: dict[str, Any]) -> str:
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
    project: Project, bucket: str, first_outputs: dict[str, Any], deployed: dict[str, Any]
) -> None:
    state = json.loads(project.client("s3").get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read())
    addresses = {f"{r['type']}.{r['name']}" for r in state["resources"] if r["mode"] == "managed"}
    assert "aws_ecs_service.service_service" in addresses
    # The same infrastructure, adopted rather than recreated.
    assert deployed["vpc_id"] == first_outputs["vpc_id"]
    assert deployed["mcp_url"] == first_outputs["mcp_url"]


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


def test_destroy_with_remote_state(project: Project, deployed: dict[str, Any]) -> None:
    project.destroy()
    services = project.client("ecs").describe_services(cluster="mcp-server", services=["mcp-server"])[
        "services"
    ]
    assert all(s["status"] == "INACTIVE" for s in services)
    assert project.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
