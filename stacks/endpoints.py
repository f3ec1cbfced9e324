"""VPC endpoints, so image pulls, logs and secrets stay on the AWS network instead of the NAT."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from .aws_context import AwsContext


@dataclass(frozen=True)
class VpcEndpointsProps:
    name: str
    aws: AwsContext
    vpc_id: str
    vpc_cidr: str
    subnet_ids: Sequence[str]
    route_table_ids: Sequence[str]
    #: Interface endpoint services, e.g. ("ecr.api", "ecr.dkr", "logs").
    interface_services: Sequence[str]


class VpcEndpoints(Construct):
    def __init__(self, scope: Construct, id_: str, props: VpcEndpointsProps) -> None:
        super().__init__(scope, id_)
        self.security_group = SecurityGroup(
            self,
            "sg",
            name=f"{props.name}-endpoints",
            description="VPC interface endpoints: HTTPS from inside the VPC",
            vpc_id=props.vpc_id,
            tags={"Name": f"{props.name}-endpoints"},
        )
        VpcSecurityGroupIngressRule(
            self,
            "https_from_vpc",
            security_group_id=self.security_group.id,
            description="HTTPS from the VPC",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=props.vpc_cidr,
        )
        prefix = f"com.amazonaws.{props.aws.region}"
        for service in props.interface_services:
            VpcEndpoint(
                self,
                service.replace(".", "_"),
                vpc_id=props.vpc_id,
                service_name=f"{prefix}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=list(props.subnet_ids),
                security_group_ids=[self.security_group.id],
                private_dns_enabled=True,
                tags={"Name": f"{props.name}-{service}"},
            )
        # ECR keeps image layers in S3: the gateway endpoint is free and serves them.
        VpcEndpoint(
            self,
            "s3",
            vpc_id=props.vpc_id,
            service_name=f"{prefix}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=list(props.route_table_ids),
            tags={"Name": f"{props.name}-s3"},
        )
