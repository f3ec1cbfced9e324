"""Stack-level behaviour: outputs, provider region and default tags, state backend choice."""

from __future__ import annotations

from server.contract import MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME
from tests.infra.conftest import Synth


def test_outputs_are_named_by_component(default_synth: Synth) -> None:
    outputs = default_synth.document()["output"]
    assert set(outputs) == {
        "alb_dns_name",
        "mcp_url",
        "service_name",
        "cluster_name",
        "listener_arn",
        "vpc_id",
        "log_group_name",
        "ecr_repository_url",
        "image_uri",
        "dashboard_url",
    }
    assert all(o.get("description") for o in outputs.values())


def test_mcp_url_is_the_alb_address_with_the_mcp_path(default_synth: Synth) -> None:
    assert (
        default_synth.document()["output"]["mcp_url"]["value"]
        == "http://${aws_lb.load_balancer_alb.dns_name}/mcp"
    )


def test_prebuilt_image_has_no_repository_output(variant_synth: Synth) -> None:
    assert "ecr_repository_url" not in variant_synth.document()["output"]


def test_region_comes_from_the_environment_unless_configured(
    default_synth: Synth, variant_synth: Synth
) -> None:
    (provider,) = default_synth.document()["provider"]["aws"]
    assert "region" not in provider
    (provider,) = variant_synth.document()["provider"]["aws"]
    assert provider["region"] == "eu-west-1"


def test_every_resource_carries_project_stack_and_managed_by_tags(
    default_synth: Synth, variant_synth: Synth
) -> None:
    (provider,) = default_synth.document()["provider"]["aws"]
    assert provider["default_tags"] == [
        {"tags": {"project": "mcp-server-amazon-ecs", "stack": MAIN_STACK_NAME, "managed-by": "cdktf"}}
    ]
    (provider,) = variant_synth.document()["provider"]["aws"]
    assert provider["default_tags"][0]["tags"]["team"] == "platform"


def test_provider_is_pinned_to_5_100(default_synth: Synth) -> None:
    assert default_synth.document()["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"


def test_local_state_lives_in_the_project_root_by_default(default_synth: Synth) -> None:
    # Relative to cdktf.out/stacks/<stack>: survives `rm -rf cdktf.out` and a moved checkout.
    assert default_synth.document()["terraform"]["backend"] == {
        "local": {"path": f"../../../terraform.{MAIN_STACK_NAME}.tfstate"}
    }


def test_configured_state_bucket_gives_an_encrypted_locked_s3_backend(variant_synth: Synth) -> None:
    assert variant_synth.document()["terraform"]["backend"] == {
        "s3": {
            "bucket": "weather-prod-tfstate-123456789012-eu-west-1",
            "key": f"{MAIN_STACK_NAME}/terraform.tfstate",
            "region": "eu-west-1",
            "encrypt": True,
            "use_lockfile": True,
        }
    }


def test_state_bootstrap_stack_always_keeps_local_state(variant_synth: Synth) -> None:
    backend = variant_synth.document(STATE_BACKEND_STACK_NAME)["terraform"]["backend"]
    assert backend == {"local": {"path": f"../../../terraform.{STATE_BACKEND_STACK_NAME}.tfstate"}}


def test_path_style_option_for_s3_compatible_endpoints(synthesize) -> None:
    synth = synthesize(state_bucket="state-bucket", state_bucket_path_style=True)
    assert synth.document()["terraform"]["backend"]["s3"]["use_path_style"] is True
