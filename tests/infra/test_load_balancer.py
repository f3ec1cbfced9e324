"""Load balancer: internet-facing ALB, ingress from configured CIDRs, target group health check."""

from __future__ import annotations

import json

import pytest

from server.contract import EnvVar
from server.settings import ServerSettings
from tests.infra.conftest import Synth


def test_alb_is_internet_facing_in_public_subnets_and_drops_invalid_headers(default_synth: Synth) -> None:
    alb = default_synth.resource("aws_lb")
    assert alb["internal"] is False
    assert alb["load_balancer_type"] == "application"
    assert alb["subnets"] == ["${aws_subnet.network_public_0.id}", "${aws_subnet.network_public_1.id}"]
    assert alb["drop_invalid_header_fields"] is True
    assert alb["idle_timeout"] == 300


def test_alb_accepts_listener_ports_from_the_configured_cidrs_only(
    default_synth: Synth, variant_synth: Synth
) -> None:
    def ingress(synth: Synth) -> list[tuple[int, str | None, str | None]]:
        alb_sg = "${aws_security_group.load_balancer_alb_sg.id}"
        rules = synth.resources("aws_vpc_security_group_ingress_rule").values()
        return sorted(
            (
                (r["from_port"], r.get("cidr_ipv4"), r.get("cidr_ipv6"))
                for r in rules
                if r["security_group_id"] == alb_sg
            ),
            key=str,
        )

    assert ingress(default_synth) == [(80, "0.0.0.0/0", None)]
    # The variant has a certificate: 443 serves, 80 redirects; both only from its CIDRs.
    assert ingress(variant_synth) == [
        (443, "203.0.113.0/24", None),
        (443, None, "2001:db8::/32"),
        (80, "203.0.113.0/24", None),
        (80, None, "2001:db8::/32"),
    ]


def test_alb_sends_traffic_only_to_the_tasks(default_synth: Synth) -> None:
    alb_sg = "${aws_security_group.load_balancer_alb_sg.id}"
    egress = [
        r
        for r in default_synth.resources("aws_vpc_security_group_egress_rule").values()
        if r["security_group_id"] == alb_sg
    ]
    assert [(r["from_port"], r["referenced_security_group_id"]) for r in egress] == [
        (8000, "${aws_security_group.service_task_sg.id}")
    ]


def test_target_group_checks_health_every_five_seconds(default_synth: Synth) -> None:
    group = default_synth.resource("aws_lb_target_group")
    assert (group["port"], group["protocol"], group["target_type"]) == (8000, "HTTP", "ip")
    check = group["health_check"]
    assert check["path"] == "/health"
    assert check["interval"] == 5
    assert check["timeout"] < check["interval"]
    assert (check["healthy_threshold"], check["unhealthy_threshold"], check["matcher"]) == (2, 2, "200")
    assert group["deregistration_delay"] == "15"


def test_listener_on_80_forwards_to_the_target_group(default_synth: Synth) -> None:
    listener = default_synth.resource("aws_lb_listener")
    assert (listener["port"], listener["protocol"]) == (80, "HTTP")
    assert listener["default_action"] == [
        {"type": "forward", "target_group_arn": "${aws_lb_target_group.load_balancer_target_group.arn}"}
    ]


@pytest.mark.parametrize("synth_name", ["default_synth", "variant_synth", "full_synth"])
def test_server_keeps_idle_connections_longer_than_the_load_balancer(
    synth_name: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(synth_name)
    idle_timeout = synth.resource("aws_lb")["idle_timeout"]
    definitions = json.loads(synth.resource("aws_ecs_task_definition")["container_definitions"])
    (container,) = [d for d in definitions if d["name"] == "mcp-server"]
    environment = {e["name"]: e["value"] for e in container["environment"]}

    # The server reads what the stack wrote; its keep-alive must outlast the ALB's idle timeout,
    # or the ALB reuses connections the server already closed (502).
    settings = ServerSettings(**environment)
    assert environment[EnvVar.LB_IDLE_TIMEOUT_SECONDS] == str(idle_timeout)
    assert settings.keep_alive_seconds > idle_timeout


def test_deregistration_delay_follows_the_configuration(tuned_synth: Synth) -> None:
    assert tuned_synth.resource("aws_lb_target_group")["deregistration_delay"] == "45"


def test_idle_timeout_follows_the_configuration(variant_synth: Synth) -> None:
    assert variant_synth.resource("aws_lb")["idle_timeout"] == 120
