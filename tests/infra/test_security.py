"""Security properties that must hold in every configuration (default, variant, full-featured)."""

from __future__ import annotations

import ipaddress
import json

import pytest

from tests.infra.conftest import Synth

CONFIGURATIONS = ["default_synth", "variant_synth", "full_synth"]


@pytest.fixture(params=CONFIGURATIONS)
def synth(request: pytest.FixtureRequest) -> Synth:
    return request.getfixturevalue(request.param)


def test_instances_require_imdsv2_get_no_public_ip_and_encrypt_volumes(synth: Synth) -> None:
    template = synth.resource("aws_launch_template")
    assert template["metadata_options"]["http_tokens"] == "required"
    assert template["metadata_options"]["http_put_response_hop_limit"] == 1
    assert all(i["associate_public_ip_address"] == "false" for i in template["network_interfaces"])
    assert all(m["ebs"]["encrypted"] == "true" for m in template["block_device_mappings"])
    assert synth.resource("aws_ecs_service")["network_configuration"]["assign_public_ip"] is False


def test_tasks_are_reachable_only_from_the_load_balancer(synth: Synth) -> None:
    task_sg = "${aws_security_group.service_task_sg.id}"
    rules = [
        r
        for r in synth.resources("aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == task_sg
    ]
    assert rules
    assert all(
        r.get("referenced_security_group_id") == "${aws_security_group.load_balancer_alb_sg.id}"
        for r in rules
    )
    assert not [r for r in rules if "cidr_ipv4" in r or "cidr_ipv6" in r]


def test_only_the_load_balancer_listens_to_the_internet(synth: Synth) -> None:
    alb_sg = "${aws_security_group.load_balancer_alb_sg.id}"
    vpc = ipaddress.ip_network(synth.config.vpc_cidr)
    # Security groups admit traffic by address only through these rules: none are written inline.
    assert not [name for name, group in synth.resources("aws_security_group").items() if group.get("ingress")]
    by_address: dict[str, set[tuple[str, int, str]]] = {"outside the VPC": set(), "inside the VPC": set()}
    for rule in synth.resources("aws_vpc_security_group_ingress_rule").values():
        source = rule.get("cidr_ipv4") or rule.get("cidr_ipv6") or rule.get("prefix_list_id")
        if source is None:
            continue  # from another security group, not from addresses
        network = ipaddress.ip_network(source) if not source.startswith("pl-") else None
        inside = network is not None and network.version == vpc.version and network.subnet_of(vpc)
        by_address["inside the VPC" if inside else "outside the VPC"].add(
            (rule["security_group_id"], rule["from_port"], source)
        )

    # From outside the VPC: the load balancer's listeners, from the configured CIDRs, and nothing else.
    listeners = (80, 443) if synth.config.https_enabled else (80,)
    assert by_address["outside the VPC"] == {
        (alb_sg, port, cidr) for port in listeners for cidr in synth.config.alb_ingress_cidrs
    }
    # From inside: at most HTTPS to the VPC endpoints.
    assert by_address["inside the VPC"] <= {("${aws_security_group.endpoints_sg.id}", 443, str(vpc))}


def test_no_iam_policy_allows_wildcard_actions(synth: Synth) -> None:
    documents = synth.document()["data"]["aws_iam_policy_document"]
    for name, document in documents.items():
        for statement in document["statement"]:
            if statement.get("effect", "Allow") != "Allow":
                continue  # a Deny with s3:* narrows access (the TLS-only bucket rule)
            for action in statement["actions"]:
                assert action != "*", name
                assert not action.endswith(":*"), f"{name}: {action}"


def test_managed_policies_are_aws_managed_service_policies_only(synth: Synth) -> None:
    for name, attachment in synth.resources("aws_iam_role_policy_attachment").items():
        assert ":iam::aws:policy/" in attachment["policy_arn"], name
    for name, policy in synth.resources("aws_iam_role_policy").items():
        assert policy["policy"].startswith("${data.aws_iam_policy_document."), name


def test_every_bucket_is_private_encrypted_versioned_and_tls_only(
    synth: Synth, request: pytest.FixtureRequest
) -> None:
    for stack in ("McpServerAmazonECSStack", "McpServerStateBackend"):
        buckets = synth.resources("aws_s3_bucket", stack)
        for kind in (
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_versioning",
            "aws_s3_bucket_policy",
        ):
            assert len(synth.resources(kind, stack)) == len(buckets), f"{stack}: {kind}"
        for block in synth.resources("aws_s3_bucket_public_access_block", stack).values():
            assert all(
                block[k] is True
                for k in (
                    "block_public_acls",
                    "block_public_policy",
                    "ignore_public_acls",
                    "restrict_public_buckets",
                )
            )
        for name, document in (
            synth.document(stack).get("data", {}).get("aws_iam_policy_document", {}).items()
        ):
            if name.endswith("policy_document"):
                assert any(s.get("sid") == "DenyNonTlsAccess" for s in document["statement"]), name


def test_containers_run_as_non_root(synth: Synth) -> None:
    definitions = json.loads(synth.resource("aws_ecs_task_definition")["container_definitions"])
    assert definitions
    for definition in definitions:
        assert not definition["user"].startswith("0"), definition["name"]
        assert definition.get("privileged") is not True, definition["name"]
