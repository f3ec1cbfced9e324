"""Network: a VPC over N availability zones with public and private subnets, IGW and NAT."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import Fn
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones,
    DataAwsAvailabilityZonesFilter,
)
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from constructs import Construct


@dataclass(frozen=True)
class NetworkProps:
    name: str
    vpc_cidr: str
    #: One public and one private CIDR per availability zone, in AZ order.
    public_subnet_cidrs: Sequence[str]
    private_subnet_cidrs: Sequence[str]
    nat_gateway_per_az: bool
    #: Zone names to use, in order; empty: the region's first zones (looked up at plan time).
    availability_zones: Sequence[str] = ()


class Network(Construct):
    """VPC, subnets per AZ, internet gateway, NAT gateway(s) and their routes.

    Every private subnet gets its own route table, whether NAT is shared or per AZ, so switching
    ``nat_gateway_per_az`` changes routes in place instead of replacing tables.
    """

    def __init__(self, scope: Construct, id_: str, props: NetworkProps) -> None:
        super().__init__(scope, id_)
        name = props.name
        zone_names: Sequence[str]
        if props.availability_zones:
            zone_names = props.availability_zones
        else:
            # Regular zones only (local and wavelength zones lack NAT gateways and most instance
            # types), whatever their current state: a temporarily impaired zone must not drop out
            # of the list, shift the indexes below and so replace subnets.
            zones = DataAwsAvailabilityZones(
                self,
                "zones",
                filter=[DataAwsAvailabilityZonesFilter(name="opt-in-status", values=["opt-in-not-required"])],
            )
            zone_names = [Fn.element(zones.names, index) for index in range(len(props.public_subnet_cidrs))]

        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=props.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
        )
        # The default security group is unused; strip its allow-all rules so nothing can use it.
        DefaultSecurityGroup(self, "default_sg", vpc_id=self.vpc.id, tags={"Name": f"{name}-default-unused"})

        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": name})

        self.public_subnets: list[Subnet] = []
        self.private_subnets: list[Subnet] = []
        for index, (public_cidr, private_cidr) in enumerate(
            zip(props.public_subnet_cidrs, props.private_subnet_cidrs, strict=True)
        ):
            zone = zone_names[index]
            self.public_subnets.append(
                Subnet(
                    self,
                    f"public_{index}",
                    vpc_id=self.vpc.id,
                    cidr_block=public_cidr,
                    availability_zone=zone,
                    # Only the ALB and NAT live here and get their addresses explicitly.
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{name}-public-{index}", "tier": "public"},
                )
            )
            self.private_subnets.append(
                Subnet(
                    self,
                    f"private_{index}",
                    vpc_id=self.vpc.id,
                    cidr_block=private_cidr,
                    availability_zone=zone,
                    tags={"Name": f"{name}-private-{index}", "tier": "private"},
                )
            )

        public_routes = RouteTable(self, "public_rt", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"})
        Route(
            self,
            "public_default_route",
            route_table_id=public_routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
        )
        for index, subnet in enumerate(self.public_subnets):
            RouteTableAssociation(
                self, f"public_rta_{index}", subnet_id=subnet.id, route_table_id=public_routes.id
            )

        nat_count = len(self.public_subnets) if props.nat_gateway_per_az else 1
        self.nat_gateways: list[NatGateway] = []
        for index in range(nat_count):
            address = Eip(self, f"nat_eip_{index}", domain="vpc", tags={"Name": f"{name}-nat-{index}"})
            self.nat_gateways.append(
                NatGateway(
                    self,
                    f"nat_{index}",
                    allocation_id=address.id,
                    subnet_id=self.public_subnets[index].id,
                    tags={"Name": f"{name}-{index}"},
                    depends_on=[igw],
                )
            )

        self.private_route_tables: list[RouteTable] = []
        for index, subnet in enumerate(self.private_subnets):
            table = RouteTable(
                self, f"private_rt_{index}", vpc_id=self.vpc.id, tags={"Name": f"{name}-private-{index}"}
            )
            Route(
                self,
                f"private_default_route_{index}",
                route_table_id=table.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=self.nat_gateways[index % nat_count].id,
            )
            RouteTableAssociation(self, f"private_rta_{index}", subnet_id=subnet.id, route_table_id=table.id)
            self.private_route_tables.append(table)

    @property
    def public_subnet_ids(self) -> list[str]:
        return [subnet.id for subnet in self.public_subnets]

    @property
    def private_subnet_ids(self) -> list[str]:
        return [subnet.id for subnet in self.private_subnets]
