"""Internet-facing Application Load Balancer in front of the service's tasks."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from .access_logs import AccessLogDestination


@dataclass(frozen=True)
class HealthCheck:
    path: str
    interval_seconds: int
    timeout_seconds: int
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    matcher: str = "200"


@dataclass(frozen=True)
class LoadBalancerProps:
    name: str
    vpc_id: str
    subnet_ids: Sequence[str]
    ingress_cidrs: Sequence[str]
    target_port: int
    health_check: HealthCheck
    idle_timeout_seconds: int
    deregistration_delay_seconds: int
    deletion_protection: bool = False
    #: HTTPS on :443 with this certificate; :80 then redirects. None: plain HTTP on :80.
    certificate_arn: str | None = None
    tls_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    #: Where the ALB writes access logs (None: off).
    access_logs: AccessLogDestination | None = None

    @property
    def listener_ports(self) -> tuple[int, ...]:
        return (80, 443) if self.certificate_arn else (80,)


def _rule_id(prefix: str, port: int, cidr: str) -> str:
    return f"{prefix}_{port}_from_{re.sub(r'[^0-9a-zA-Z]+', '_', cidr).strip('_')}"


class LoadBalancer(Construct):
    """ALB, its security group, the target group (ip targets) and the listeners.

    ``listener`` is the one forwarding to the tasks: :443 with a certificate, else :80. The
    security group lets nothing out until ``allow_to`` opens the path to the targets.
    """

    def __init__(self, scope: Construct, id_: str, props: LoadBalancerProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        name = props.name

        self.security_group = SecurityGroup(
            self,
            "alb_sg",
            name=f"{name}-alb",
            description="MCP server load balancer: listeners open to the configured CIDRs",
            vpc_id=props.vpc_id,
            tags={"Name": f"{name}-alb"},
        )
        for port in props.listener_ports:
            for cidr in props.ingress_cidrs:
                is_v6 = isinstance(ipaddress.ip_network(cidr), ipaddress.IPv6Network)
                VpcSecurityGroupIngressRule(
                    self,
                    _rule_id("ingress", port, cidr),
                    security_group_id=self.security_group.id,
                    description=f"Listener :{port} from {cidr}",
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=None if is_v6 else cidr,
                    cidr_ipv6=cidr if is_v6 else None,
                )

        self.alb = Lb(
            self,
            "alb",
            name=name,
            internal=False,
            load_balancer_type="application",
            subnets=list(props.subnet_ids),
            security_groups=[self.security_group.id],
            # Malformed headers are dropped rather than forwarded to the server.
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            # Streamable HTTP may hold a response open (SSE) while a tool runs; 60 s cuts it short.
            idle_timeout=props.idle_timeout_seconds,
            enable_deletion_protection=props.deletion_protection,
            enable_http2=True,
            access_logs=(
                LbAccessLogs(bucket=props.access_logs.bucket, prefix=props.access_logs.prefix, enabled=True)
                if props.access_logs
                else None
            ),
            depends_on=[props.access_logs.ready] if props.access_logs else None,
        )

        check = props.health_check
        self.target_group = LbTargetGroup(
            self,
            "target_group",
            name=f"{name}-tasks",
            port=props.target_port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=props.vpc_id,
            # Calls are short and the server drains on SIGTERM: no need for the 300 s default.
            deregistration_delay=str(props.deregistration_delay_seconds),
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                path=check.path,
                protocol="HTTP",
                port="traffic-port",
                interval=check.interval_seconds,
                timeout=check.timeout_seconds,
                healthy_threshold=check.healthy_threshold,
                unhealthy_threshold=check.unhealthy_threshold,
                matcher=check.matcher,
            ),
        )

        forward = LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)
        redirect_to_https = LbListenerDefaultAction(
            type="redirect",
            redirect=LbListenerDefaultActionRedirect(protocol="HTTPS", port="443", status_code="HTTP_301"),
        )
        self.http_listener = LbListener(
            self,
            "http_listener",
            load_balancer_arn=self.alb.arn,
            port=80,
            protocol="HTTP",
            default_action=[redirect_to_https if props.certificate_arn else forward],
        )
        self.listener = self.http_listener
        if props.certificate_arn:
            self.listener = LbListener(
                self,
                "https_listener",
                load_balancer_arn=self.alb.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=props.tls_policy,
                certificate_arn=props.certificate_arn,
                default_action=[forward],
            )

    def allow_to(self, target: Construct, security_group: SecurityGroup) -> VpcSecurityGroupEgressRule:
        """Let the load balancer reach its target port in `target`'s `security_group` (an egress rule
        of its own group; the target opens its side with an ingress rule from ``security_group``).

        The rule is placed under `target` with id ``alb_to_tasks``: its Terraform address comes from
        the construct path and has been ``aws_vpc_security_group_egress_rule.service_alb_to_tasks``
        since before this method existed; placing it there keeps that address.
        """
        port = self.props.target_port
        return VpcSecurityGroupEgressRule(
            target,
            "alb_to_tasks",
            security_group_id=self.security_group.id,
            description="Load balancer to the tasks' container port",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=security_group.id,
        )
