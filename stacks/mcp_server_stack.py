"""McpServerStack: composes the constructs into the deployable stack, with outputs and backend."""

from __future__ import annotations

from pathlib import Path

from cdktf import TerraformOutput
from constructs import Construct

from server.contract import MCP_PATH, SHARED_CACHE_PORT

from . import construct_props as props
from .access_logs import AccessLogs
from .alarms import Alarms
from .auth_token import AuthToken
from .autoscaling import ServiceAutoscaling
from .aws_context import AwsContext
from .base import ReadableStack
from .capacity import EcsCapacity
from .config import PROJECT_ROOT, InfraConfig
from .dashboard import Dashboard
from .domain import Domain
from .endpoints import VpcEndpoints
from .flow_logs import FlowLogs
from .image import ContainerImage
from .kms import EncryptionKey
from .load_balancer import LoadBalancer
from .metric_dimensions import MetricDimensions
from .network import Network
from .oauth import OAuthSignIn
from .provider import configure_backend, provider_for
from .service import McpService
from .service_logs import ServiceLogs
from .shared_cache import SharedCache
from .waf import Waf


class McpServerStack(ReadableStack):
    """The MCP server on ECS (EC2, arm64) behind an internet-facing ALB, plus the optional features
    InfraConfig turns on (HTTPS and domain, token auth, autoscaling, alarms, dashboard, access logs,
    VPC endpoints, ECS Exec, WAF, flow logs, a customer-managed key, tracing, the fleet cache).

    The constructor is the table of the stack: one construct per statement, in dependency order,
    behind the key that turns it on. Which config keys feed each construct: `construct_props`.
    """

    def __init__(
        self, scope: Construct, id_: str, config: InfraConfig, project_root: Path = PROJECT_ROOT
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        provider_for(self, config)
        configure_backend(self, config)
        self.aws = aws = AwsContext.lookup(self)

        self.kms_key = (
            EncryptionKey(self, "kms", props.encryption_key(config, aws)) if config.kms_key_enabled else None
        )
        kms_key_arn = self.kms_key.key.arn if self.kms_key else None

        self.network = Network(self, "network", props.network(config))
        self.flow_logs = (
            FlowLogs(self, "flow_logs", props.flow_logs(config, aws, self.network, kms_key_arn))
            if config.vpc_flow_logs_enabled
            else None
        )
        self.endpoints = (
            VpcEndpoints(self, "endpoints", props.vpc_endpoints(config, aws, self.network))
            if config.vpc_endpoints_enabled
            else None
        )
        self.capacity = EcsCapacity(self, "capacity", props.ecs_capacity(config, aws, self.network))
        self.image = ContainerImage(self, "image", props.container_image(config, project_root, kms_key_arn))
        # The construct id predates the class name: it is the log group's address.
        self.logs = ServiceLogs(self, "observability", props.service_logs(config, kms_key_arn))

        self.domain = Domain(self, "domain", props.domain(config)) if config.domain_name is not None else None
        self.access_logs = (
            AccessLogs(self, "access_logs", props.access_logs(config, aws))
            if config.alb_access_logs_enabled
            else None
        )
        self.load_balancer = LoadBalancer(
            self, "load_balancer", props.load_balancer(config, self.network, self.domain, self.access_logs)
        )
        if self.domain is not None:
            self.domain.alias_to(self.load_balancer.alb)
        self.waf = (
            Waf(self, "waf", props.waf(config, self.load_balancer, kms_key_arn))
            if config.waf_enabled
            else None
        )

        self.auth_token = (
            AuthToken(self, "auth", props.auth_token(config, kms_key_arn)) if config.token_auth else None
        )
        self.oauth = OAuthSignIn(self, "oauth", props.oauth_sign_in(config, aws)) if config.oauth else None
        self.shared_cache = (
            SharedCache(self, "shared_cache", props.shared_cache(config, aws, self.network, kms_key_arn))
            if config.shared_cache_enabled
            else None
        )

        self.service = McpService(
            self,
            "service",
            props.mcp_service(
                config,
                aws,
                kms_key_arn,
                network=self.network,
                capacity=self.capacity,
                logs=self.logs,
                image=self.image,
                load_balancer=self.load_balancer,
                auth_token=self.auth_token,
                oauth=self.oauth,
                shared_cache=self.shared_cache,
            ),
        )
        self.load_balancer.allow_to(self.service, self.service.security_group)
        if self.shared_cache is not None:
            self.shared_cache.admit(self.service.security_group)
            self.service.allow_to(
                "task_to_shared_cache",
                self.shared_cache.security_group,
                SHARED_CACHE_PORT,
                "Valkey (TLS) to the fleet cache",
            )

        dimensions = MetricDimensions(
            alb_arn_suffix=self.load_balancer.alb.arn_suffix,
            target_group_arn_suffix=self.load_balancer.target_group.arn_suffix,
            cluster_name=self.capacity.cluster.name,
            service_name=self.service.service.name,
            shared_cache_nodes=self.shared_cache.member_cluster_ids if self.shared_cache else (),
        )
        self.autoscaling = (
            ServiceAutoscaling(self, "autoscaling", props.service_autoscaling(config, dimensions))
            if config.autoscaling_enabled
            else None
        )
        self.alarms = (
            Alarms(self, "alarms", props.alarms(config, dimensions)) if config.alarms_enabled else None
        )
        self.dashboard = (
            Dashboard(self, "dashboard", props.dashboard(config, aws, dimensions, self.waf))
            if config.dashboard_enabled
            else None
        )

        self._outputs()

    def _mcp_url(self) -> str:
        config = self.config
        scheme = "https" if config.https_enabled else "http"
        host = config.domain_name or self.load_balancer.alb.dns_name
        return f"{scheme}://{host}{MCP_PATH}"

    def _outputs(self) -> None:
        outputs: dict[str, tuple[str, str]] = {
            "alb_dns_name": (self.load_balancer.alb.dns_name, "DNS name of the load balancer"),
            "mcp_url": (self._mcp_url(), "MCP endpoint (streamable HTTP) for clients"),
            "cluster_name": (self.capacity.cluster.name, "ECS cluster name"),
            "service_name": (self.service.service.name, "ECS service name"),
            "listener_arn": (self.load_balancer.listener.arn, "ARN of the listener forwarding to the tasks"),
            "vpc_id": (self.network.vpc.id, "VPC ID"),
            "log_group_name": (self.logs.log_group.name, "CloudWatch log group of the containers"),
            "image_uri": (self.image.image_uri, "Image the service runs"),
        }
        if self.image.repository is not None:
            outputs["ecr_repository_url"] = (
                self.image.repository.repository_url,
                "ECR repository of the image",
            )
        if self.auth_token is not None:
            outputs["auth_token_secret_arn"] = (
                self.auth_token.secret_arn,
                "Secrets Manager secret holding the bearer token (read the value with the AWS CLI)",
            )
        if self.oauth is not None:
            outputs["user_pool_id"] = (
                self.oauth.user_pool.id,
                "Cognito user pool of the people who may sign in",
            )
            outputs["sign_in_url"] = (self.oauth.sign_in_url(self.aws), "Cognito hosted sign-in domain")
        if self.dashboard is not None:
            outputs["dashboard_url"] = (self.dashboard.url, "CloudWatch dashboard of the service")
        if self.shared_cache is not None:
            outputs["shared_cache_url"] = (
                self.shared_cache.url,
                "Fleet cache endpoint (TLS; IAM authentication as the tasks' user only)",
            )
        if self.alarms is not None and self.alarms.topic is not None:
            outputs["alarm_topic_arn"] = (self.alarms.topic.arn, "SNS topic the alarms notify")
        for output_id, (value, description) in outputs.items():
            TerraformOutput(self, output_id, value=value, description=description)
