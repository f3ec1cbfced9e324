"""McpServerStack: composes the constructs into the deployable stack, with outputs and backend."""

from __future__ import annotations

from pathlib import Path

from cdktf import TerraformOutput
from constructs import Construct

from server import __version__ as server_version
from server.contract import LOG_GROUP_NAME, MCP_PATH, SHUTDOWN_GRACE_SECONDS, EnvVar

from .access_logs import AccessLogs, AccessLogsProps
from .alarms import Alarms, AlarmsProps
from .auth_token import AuthToken, AuthTokenProps
from .autoscaling import ServiceAutoscaling, ServiceAutoscalingProps
from .aws_context import AwsContext
from .base import ReadableStack
from .capacity import EcsCapacity, EcsCapacityProps
from .config import PROJECT_ROOT, InfraConfig
from .dashboard import Dashboard, DashboardProps
from .domain import Domain, DomainProps
from .endpoints import VpcEndpoints, VpcEndpointsProps
from .flow_logs import FlowLogs, FlowLogsProps, flow_log_group_name
from .image import ContainerImage, ContainerImageProps
from .kms import EncryptionKey, EncryptionKeyProps
from .load_balancer import HealthCheck, LoadBalancer, LoadBalancerProps
from .metric_dimensions import MetricDimensions
from .network import Network, NetworkProps
from .oauth import OAuthSignIn, OAuthSignInProps
from .provider import configure_backend, provider_for
from .service import McpService, McpServiceProps
from .service_logs import ServiceLogs, ServiceLogsProps
from .source_hash import image_source_hash
from .tracing import TracingSettings, server_environment
from .waf import Waf, WafProps, waf_log_group_name


class McpServerStack(ReadableStack):
    """The MCP server on ECS (EC2, arm64) behind an internet-facing ALB, plus the optional features
    InfraConfig turns on (HTTPS and domain, token auth, autoscaling, alarms, dashboard, access logs,
    VPC endpoints, ECS Exec, WAF, flow logs, a customer-managed key, tracing)."""

    def __init__(
        self, scope: Construct, id_: str, config: InfraConfig, project_root: Path = PROJECT_ROOT
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        name = config.name
        provider_for(self, config)
        configure_backend(self, config)
        aws = AwsContext.lookup(self)
        self.kms_key = self._encryption_key(aws)
        kms_key_arn = self.kms_key.key.arn if self.kms_key else None
        self.aws = aws

        public_cidrs, private_cidrs = config.subnet_cidrs
        self.network = Network(
            self,
            "network",
            NetworkProps(
                name=name,
                vpc_cidr=config.vpc_cidr,
                public_subnet_cidrs=public_cidrs,
                private_subnet_cidrs=private_cidrs,
                nat_gateway_per_az=config.nat_gateway_per_az,
                availability_zones=config.availability_zones,
            ),
        )
        self.flow_logs: FlowLogs | None = None
        if config.vpc_flow_logs_enabled:
            self.flow_logs = FlowLogs(
                self,
                "flow_logs",
                FlowLogsProps(
                    name=name,
                    aws=aws,
                    vpc_id=self.network.vpc.id,
                    retention_days=config.log_retention_days,
                    kms_key_arn=kms_key_arn,
                ),
            )
        if config.vpc_endpoints_enabled:
            VpcEndpoints(
                self,
                "endpoints",
                VpcEndpointsProps(
                    name=name,
                    aws=aws,
                    vpc_id=self.network.vpc.id,
                    vpc_cidr=config.vpc_cidr,
                    subnet_ids=self.network.private_subnet_ids,
                    route_table_ids=[table.id for table in self.network.private_route_tables],
                    interface_services=("ecr.api", "ecr.dkr", "logs")
                    + (("secretsmanager",) if config.auth_mode != "none" else ()),
                ),
            )

        self.capacity = EcsCapacity(
            self,
            "capacity",
            EcsCapacityProps(
                name=name,
                aws=aws,
                vpc_id=self.network.vpc.id,
                subnet_ids=self.network.private_subnet_ids,
                instance_type=config.instance_type,
                ami_ssm_parameter=config.ami_ssm_parameter,
                root_volume_size_gib=config.root_volume_size_gib,
                min_size=config.instance_min_count,
                max_size=config.instance_max_count,
            ),
        )

        self.image = ContainerImage(
            self,
            "image",
            ContainerImageProps(
                name=name,
                source_hash=image_source_hash(project_root),
                retention_count=config.image_retention_count,
                force_delete=config.teardown_deletes_data,
                prebuilt_uri=config.image_uri,
                kms_key_arn=kms_key_arn,
            ),
        )

        self.logs = ServiceLogs(
            self,
            "observability",  # the construct id predates the class name: it is the address
            ServiceLogsProps(
                log_group_name=LOG_GROUP_NAME,
                log_retention_days=config.log_retention_days,
                kms_key_arn=kms_key_arn,
            ),
        )

        self.domain: Domain | None = None
        if config.domain_name is not None:
            self.domain = Domain(
                self,
                "domain",
                DomainProps(
                    domain_name=config.domain_name,
                    hosted_zone_id=config.hosted_zone_id,
                    certificate_arn=config.certificate_arn,
                ),
            )
        certificate_arn = self.domain.certificate_arn if self.domain else config.certificate_arn

        access_logs = None
        if config.alb_access_logs_enabled:
            access_logs = AccessLogs(
                self,
                "access_logs",
                AccessLogsProps(
                    name=name,
                    aws=aws,
                    retention_days=config.alb_access_logs_retention_days,
                    force_destroy=config.teardown_deletes_data,
                ),
            )

        self.load_balancer = LoadBalancer(
            self,
            "load_balancer",
            LoadBalancerProps(
                name=name,
                vpc_id=self.network.vpc.id,
                subnet_ids=self.network.public_subnet_ids,
                ingress_cidrs=config.alb_ingress_cidrs,
                target_port=config.container_port,
                health_check=HealthCheck(
                    path=config.health_check_path,
                    interval_seconds=config.health_check_interval_seconds,
                    timeout_seconds=config.health_check_timeout_seconds,
                ),
                idle_timeout_seconds=config.alb_idle_timeout_seconds,
                deregistration_delay_seconds=config.deregistration_delay_seconds,
                deletion_protection=config.alb_deletion_protection,
                certificate_arn=certificate_arn,
                tls_policy=config.tls_policy,
                access_logs_bucket=access_logs.bucket_name if access_logs else None,
                access_logs_ready=access_logs.ready if access_logs else None,
            ),
        )
        if self.domain is not None:
            self.domain.alias_to(self.load_balancer.alb)
        self.waf: Waf | None = None
        if config.waf_enabled:
            self.waf = Waf(
                self,
                "waf",
                WafProps(
                    name=name,
                    alb_arn=self.load_balancer.alb.arn,
                    rate_limit_per_5_minutes=config.waf_rate_limit_per_5_minutes,
                    log_retention_days=config.log_retention_days,
                    kms_key_arn=kms_key_arn,
                ),
            )

        self.auth_token: AuthToken | None = None
        if config.token_auth:
            self.auth_token = AuthToken(
                self,
                "auth",
                AuthTokenProps(
                    name=name,
                    existing_secret_arn=config.auth_token_secret_arn,
                    version=config.auth_token_version,
                    kms_key_arn=kms_key_arn,
                ),
            )

        self.oauth: OAuthSignIn | None = None
        if config.oauth:
            assert config.domain_name is not None  # guaranteed by InfraConfig
            self.oauth = OAuthSignIn(
                self,
                "oauth",
                OAuthSignInProps(
                    name=name,
                    aws=aws,
                    host_name=config.domain_name,
                    mfa=config.oauth_mfa,
                    access_token_minutes=config.oauth_access_token_minutes,
                    scopes=sorted({*config.oauth_required_scopes, "openid", "email", "profile"}),
                    self_signup=config.oauth_self_signup,
                    keys_version=config.oauth_keys_version,
                    protect_data=not config.teardown_deletes_data,
                ),
            )

        self.service = McpService(
            self,
            "service",
            McpServiceProps(
                name=name,
                aws=aws,
                vpc_id=self.network.vpc.id,
                subnet_ids=self.network.private_subnet_ids,
                cluster_id=self.capacity.cluster.id,
                capacity_provider_name=self.capacity.capacity_provider.name,
                log_group=self.logs.log_group,
                image_uri=self.image.image_uri,
                image_repository_arn=self._image_repository_arn(aws),
                cpu=config.task_cpu,
                memory_mib=config.task_memory_mib,
                desired_count=config.desired_task_count,
                container_port=config.container_port,
                health_check_path=config.health_check_path,
                health_check_grace_period_seconds=config.health_check_grace_period_seconds,
                stop_timeout_seconds=SHUTDOWN_GRACE_SECONDS + 10,
                environment=self._server_environment(),
                target_group_arn=self.load_balancer.target_group.arn,
                load_balancer_security_group_id=self.load_balancer.security_group.id,
                image_build=self.image.build,
                service_depends_on=[self.load_balancer.listener, self.capacity.cluster_capacity_providers],
                auth_secret_arn=self.auth_token.secret_arn if self.auth_token else None,
                auth_secret_kms_key_arn=(
                    kms_key_arn if self.auth_token and config.auth_token_secret_arn is None else None
                ),
                extra_secrets=(
                    {
                        EnvVar.OAUTH_JWT_SIGNING_KEY: self.oauth.signing_key_secret_arn,
                        EnvVar.OAUTH_STORAGE_KEY: self.oauth.storage_key_secret_arn,
                    }
                    if self.oauth
                    else {}
                ),
                task_permissions=self.oauth.task_permissions() if self.oauth else (),
                redeploy_triggers=self._redeploy_triggers(),
                autoscaled=config.autoscaling_max_task_count is not None,
                ecs_exec=config.ecs_exec_enabled,
                tracing=self._tracing(),
            ),
        )

        self.load_balancer.allow_to(self.service, self.service.security_group.id, config.container_port)

        dimensions = MetricDimensions(
            alb_arn_suffix=self.load_balancer.alb.arn_suffix,
            target_group_arn_suffix=self.load_balancer.target_group.arn_suffix,
            cluster_name=self.capacity.cluster.name,
            service_name=self.service.service.name,
        )
        if config.autoscaling_max_task_count is not None:
            ServiceAutoscaling(
                self,
                "autoscaling",
                ServiceAutoscalingProps(
                    dimensions=dimensions,
                    min_tasks=config.autoscaling_min_task_count,
                    max_tasks=config.autoscaling_max_task_count,
                    cpu_target_percent=config.autoscaling_cpu_target_percent,
                    requests_per_target=config.autoscaling_requests_per_target,
                ),
            )
        self.alarms: Alarms | None = None
        if config.alarms_enabled:
            self.alarms = Alarms(
                self,
                "alarms",
                AlarmsProps(
                    name=name,
                    dimensions=dimensions,
                    response_time_p95_seconds=config.alarm_response_time_p95_seconds,
                    errors_5xx_per_minute=config.alarm_5xx_per_minute,
                    cpu_percent=config.alarm_cpu_percent,
                    memory_percent=config.alarm_memory_percent,
                    nws_error_rate_percent=config.alarm_nws_error_rate_percent,
                    email=config.alarm_email,
                ),
            )
        self.dashboard: Dashboard | None = None
        if config.dashboard_enabled:
            self.dashboard = Dashboard(
                self,
                "dashboard",
                DashboardProps(
                    name=name,
                    region=aws.region,
                    dimensions=dimensions,
                    waf_web_acl_name=self.waf.web_acl.name if self.waf else None,
                ),
            )

        self._outputs()

    def _encryption_key(self, aws: AwsContext) -> EncryptionKey | None:
        """The stack's customer-managed key, scoped to exactly the resources that will use it."""
        config = self.config
        if not config.kms_key_enabled:
            return None
        log_groups = [LOG_GROUP_NAME]
        if config.waf_enabled:
            log_groups.append(waf_log_group_name(config.name))
        if config.vpc_flow_logs_enabled:
            log_groups.append(flow_log_group_name(config.name))
        services = []
        if config.token_auth and config.auth_token_secret_arn is None:
            services.append("secretsmanager")
        if config.image_uri is None:
            services.append("ecr")
        return EncryptionKey(
            self,
            "kms",
            EncryptionKeyProps(name=config.name, aws=aws, log_group_names=log_groups, via_services=services),
        )

    def _image_repository_arn(self, aws: AwsContext) -> str | None:
        if self.image.repository is not None:
            return self.image.repository.arn
        ecr = self.config.prebuilt_ecr_repository
        if ecr is None:
            return None
        account, region, repository = ecr
        return f"arn:{aws.partition}:ecr:{region}:{account}:repository/{repository}"

    def _tracing(self) -> TracingSettings | None:
        config = self.config
        if not config.tracing_enabled:
            return None
        return TracingSettings(
            collector_image=config.tracing_collector_image, sample_percent=config.tracing_sample_percent
        )

    def _redeploy_triggers(self) -> dict[str, str]:
        """Tasks read secrets only when they start: a new key or token version rolls them."""
        if self.auth_token is not None:
            return {"auth_token_version": str(self.config.auth_token_version)}
        if self.oauth is not None:
            return {"oauth_keys_version": str(self.config.oauth_keys_version)}
        return {}

    def _server_environment(self) -> dict[str, str]:
        """The server's environment contract (server/contract.py), filled from the config."""
        config = self.config
        environment = {
            EnvVar.HOST: "0.0.0.0",  # noqa: S104 - inside the task's own network namespace
            EnvVar.PORT: str(config.container_port),
            EnvVar.WORKERS: str(config.server_workers),
            EnvVar.LOG_LEVEL: config.log_level,
            EnvVar.LB_IDLE_TIMEOUT_SECONDS: str(config.alb_idle_timeout_seconds),
        }
        if config.nws_contact is not None:
            environment[EnvVar.NWS_USER_AGENT] = f"mcp-weather-server/{server_version} ({config.nws_contact})"
        if config.allowed_origins:
            environment[EnvVar.ALLOWED_ORIGINS] = ",".join(config.allowed_origins)
        tracing = self._tracing()
        if tracing is not None:
            environment.update(server_environment(tracing))
        if self.oauth is not None:
            environment.update(
                {
                    EnvVar.AUTH_MODE: "oauth",
                    EnvVar.PUBLIC_URL: f"https://{config.domain_name}",
                    EnvVar.OIDC_CONFIG_URL: self.oauth.config_url,
                    EnvVar.OIDC_CLIENT_ID: self.oauth.app_client.id,
                    EnvVar.OAUTH_STORE: f"dynamodb:{self.oauth.table.name}",
                    EnvVar.OAUTH_REDIRECT_URIS: ",".join(config.oauth_allowed_redirect_uris),
                    EnvVar.OAUTH_REQUIRED_SCOPES: " ".join(config.oauth_required_scopes),
                    # botocore reads only AWS_DEFAULT_REGION itself; the server passes AWS_REGION on.
                    "AWS_REGION": self.aws.region,
                }
            )
        return environment

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
        if self.alarms is not None and self.alarms.topic is not None:
            outputs["alarm_topic_arn"] = (self.alarms.topic.arn, "SNS topic the alarms notify")
        for output_id, (value, description) in outputs.items():
            TerraformOutput(self, output_id, value=value, description=description)
