"""Network: VPC over the configured AZs, public/private subnets, IGW and NAT routing."""

from __future__ import annotations

import ipaddress

from tests.infra.conftest import Synth


def test_vpc_has_public_and_private_subnet_in_each_of_two_zones(default_synth: Synth) -> None:
    vpc = default_synth.resource("aws_vpc")
    assert vpc["cidr_block"] == "10.0.0.0/16"
    assert vpc["enable_dns_hostnames"] is True
    subnets = default_synth.resources("aws_subnet")
    assert sorted(subnets) == [
        "network_private_0",
        "network_private_1",
        "network_public_0",
        "network_public_1",
    ]
    network = ipaddress.ip_network(vpc["cidr_block"])
    cidrs = [ipaddress.ip_network(s["cidr_block"]) for s in subnets.values()]
    assert all(c.subnet_of(network) for c in cidrs)
    assert not any(a.overlaps(b) for i, a in enumerate(cidrs) for b in cidrs[i + 1 :])
    # One zone index per tier: subnet i of each tier lands in zone i of the region's available zones.
    for index in (0, 1):
        for tier in ("public", "private"):
            zone = subnets[f"network_{tier}_{index}"]["availability_zone"]
            assert zone == f"${{element(data.aws_availability_zones.network_zones.names, {index})}}"


def test_zones_are_regular_ones_whatever_their_state(default_synth: Synth) -> None:
    zones = default_synth.data("aws_availability_zones", "network_zones")
    assert zones["filter"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    # A state filter would drop an impaired zone, shift the indexes and replace subnets.
    assert "state" not in zones


def test_pinned_zones_are_used_verbatim(full_synth: Synth) -> None:
    assert "aws_availability_zones" not in full_synth.document().get("data", {})
    subnets = full_synth.resources("aws_subnet")
    assert subnets["network_public_0"]["availability_zone"] == "us-east-1a"
    assert subnets["network_private_1"]["availability_zone"] == "us-east-1b"


def test_public_subnets_do_not_hand_out_public_ips(default_synth: Synth) -> None:
    for name, subnet in default_synth.resources("aws_subnet").items():
        assert subnet.get("map_public_ip_on_launch", False) is False, name


def test_public_subnets_route_to_the_internet_gateway(default_synth: Synth) -> None:
    route = default_synth.resources("aws_route")["network_public_default_route"]
    assert route["destination_cidr_block"] == "0.0.0.0/0"
    assert route["gateway_id"] == "${aws_internet_gateway.network_igw.id}"
    associations = default_synth.resources("aws_route_table_association")
    for index in (0, 1):
        assert (
            associations[f"network_public_rta_{index}"]["route_table_id"]
            == "${aws_route_table.network_public_rt.id}"
        )


def test_one_nat_gateway_serves_every_private_subnet(default_synth: Synth) -> None:
    nat = default_synth.resource("aws_nat_gateway")
    assert nat["subnet_id"] == "${aws_subnet.network_public_0.id}"
    assert nat["allocation_id"] == "${aws_eip.network_nat_eip_0.id}"
    assert default_synth.resource("aws_eip")["domain"] == "vpc"
    routes = default_synth.resources("aws_route")
    for index in (0, 1):
        assert (
            routes[f"network_private_default_route_{index}"]["nat_gateway_id"]
            == "${aws_nat_gateway.network_nat_0.id}"
        )


def test_nat_gateway_per_az_option_gives_each_zone_its_own(variant_synth: Synth) -> None:
    nats = variant_synth.resources("aws_nat_gateway")
    assert len(nats) == 3
    routes = variant_synth.resources("aws_route")
    for index in range(3):
        assert (
            routes[f"network_private_default_route_{index}"]["nat_gateway_id"]
            == f"${{aws_nat_gateway.network_nat_{index}.id}}"
        )
        assert nats[f"network_nat_{index}"]["subnet_id"] == f"${{aws_subnet.network_public_{index}.id}}"


def test_three_zone_variant_has_six_subnets(variant_synth: Synth) -> None:
    assert len(variant_synth.resources("aws_subnet")) == 6


def test_default_security_group_is_stripped_of_rules(default_synth: Synth) -> None:
    group = default_synth.resource("aws_default_security_group")
    assert "ingress" not in group
    assert "egress" not in group
