"""InfraConfig -> each construct's props: the one module that knows which key feeds which construct.

One function per construct, named after it, taking the configuration and the attributes of the
constructs it depends on. Constructs never read the configuration; `McpServerStack` only decides
which constructs exist and in which order, so its constructor stays a table of the stack.
"""

from __future__ import annotations

from pathlib import Path

from server import __version__ as server_version
from server.contract import LOG_GROUP_NAME, OPEN_METEO_CUSTOMER_URLS, STOP_TIMEOUT_SECONDS, EnvVar
from server.problems import required

from .access_logs import AccessLogs, AccessLogsProps
from .alarms import AlarmsProps
from .auth_token import AuthToken, AuthTokenProps
from .autoscaling import ServiceAutoscalingProps
from .aws_context import AwsContext
from .capacity import EcsCapacity, EcsCapacityProps
from .config import InfraConfig
from .dashboard import DashboardProps
from .domain import Domain, DomainProps
from .endpoints import VpcEndpointsProps
from .flow_logs import FlowLogsProps, flow_log_group_name
from .image import ContainerImage, ContainerImageProps
from .kms import EncryptionKeyProps
from .load_balancer import HealthCheck, LoadBalancer, LoadBalancerProps
from .metric_dimensions import MetricDimensions
from .network import Network, NetworkProps
from .oauth import OAuthSignIn, OAuthSignInProps
from .service import McpServiceProps
from .service_logs import ServiceLogs, ServiceLogsProps
from .shared_cache import SharedCache, SharedCacheProps
from .source_hash import image_source_hash
from .tracing import TracingSettings, tracing_environment
from .waf import Waf, WafProps, waf_log_group_name


def encryption_key(config: InfraConfig, aws: AwsContext) -> EncryptionKeyProps:
    """The stack's customer-managed key, scoped to exactly the resources that will use it."""
    log_groups = [LOG_GROUP_NAME]
    if config.waf_enabled:
        log_groups.append(waf_log_group_name(config.name))
    if config.vpc_flow_logs_enabled:
        log_groups.append(flow_log_group_name(config.name))
    services = []
    if config.creates_auth_token_secret or config.open_meteo_api_key_secret_arn is not None:
        # The stack's token secret uses the key; an operator's Open-Meteo key secret may use it too.
        services.append("secretsmanager")
    if config.image_uri is None:
        services.append("ecr")
    if config.shared_cache_enabled:
        services.append("elasticache")
    return EncryptionKeyProps(name=config.name, aws=aws, log_group_names=log_groups, via_services=services)


def network(config: InfraConfig) -> NetworkProps:
    public_cidrs, private_cidrs = config.subnet_cidrs
    return NetworkProps(
        name=config.name,
        vpc_cidr=config.vpc_cidr,
        public_subnet_cidrs=public_cidrs,
        private_subnet_cidrs=private_cidrs,
        nat_gateway_per_az=config.nat_gateway_per_az,
        availability_zones=config.availability_zones,
    )


def flow_logs(
    config: InfraConfig, aws: AwsContext, network: Network, kms_key_arn: str | None
) -> FlowLogsProps:
    return FlowLogsProps(
        name=config.name,
        aws=aws,
        vpc_id=network.vpc.id,
        retention_days=config.log_retention_days,
        kms_key_arn=kms_key_arn,
    )


def vpc_endpoints(config: InfraConfig, aws: AwsContext, network: Network) -> VpcEndpointsProps:
    return VpcEndpointsProps(
        name=config.name,
        aws=aws,
        vpc_id=network.vpc.id,
        vpc_cidr=config.vpc_cidr,
        subnet_ids=network.private_subnet_ids,
        route_table_ids=[table.id for table in network.private_route_tables],
        interface_services=("ecr.api", "ecr.dkr", "logs")
        + (
            ("secretsmanager",)
            if config.auth_mode != "none" or config.open_meteo_api_key_secret_arn is not None
            else ()
        ),
    )


def ecs_capacity(config: InfraConfig, aws: AwsContext, network: Network) -> EcsCapacityProps:
    return EcsCapacityProps(
        name=config.name,
        aws=aws,
        vpc_id=network.vpc.id,
        subnet_ids=network.private_subnet_ids,
        instance_type=config.instance_type,
        ami_ssm_parameter=config.ami_ssm_parameter,
        root_volume_size_gib=config.root_volume_size_gib,
        min_size=config.instance_min_count,
        max_size=config.instance_max_count,
    )


def container_image(config: InfraConfig, project_root: Path, kms_key_arn: str | None) -> ContainerImageProps:
    return ContainerImageProps(
        name=config.name,
        source_hash=image_source_hash(project_root),
        retention_count=config.image_retention_count,
        force_delete=config.teardown_deletes_data,
        prebuilt_uri=config.image_uri,
        kms_key_arn=kms_key_arn,
    )


def service_logs(config: InfraConfig, kms_key_arn: str | None) -> ServiceLogsProps:
    return ServiceLogsProps(
        log_group_name=LOG_GROUP_NAME, log_retention_days=config.log_retention_days, kms_key_arn=kms_key_arn
    )


def domain(config: InfraConfig) -> DomainProps:
    return DomainProps(
        domain_name=required(config.domain_name, "domain_name"),
        hosted_zone_id=config.hosted_zone_id,
        certificate_arn=config.certificate_arn,
    )


def access_logs(config: InfraConfig, aws: AwsContext) -> AccessLogsProps:
    return AccessLogsProps(
        name=config.name,
        aws=aws,
        retention_days=config.alb_access_logs_retention_days,
        force_destroy=config.teardown_deletes_data,
    )


def load_balancer(
    config: InfraConfig, network: Network, domain: Domain | None, access_logs: AccessLogs | None
) -> LoadBalancerProps:
    return LoadBalancerProps(
        name=config.name,
        vpc_id=network.vpc.id,
        subnet_ids=network.public_subnet_ids,
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
        # The domain's own certificate (issued and validated by the stack), else the one configured.
        certificate_arn=domain.certificate_arn if domain else config.certificate_arn,
        tls_policy=config.tls_policy,
        access_logs=access_logs.destination if access_logs else None,
    )


def waf(config: InfraConfig, load_balancer: LoadBalancer, kms_key_arn: str | None) -> WafProps:
    return WafProps(
        name=config.name,
        alb_arn=load_balancer.alb.arn,
        rate_limit_per_5_minutes=config.waf_rate_limit_per_5_minutes,
        log_retention_days=config.log_retention_days,
        kms_key_arn=kms_key_arn,
        sign_in_rate_limit_per_5_minutes=config.waf_oauth_rate_limit_per_5_minutes if config.oauth else None,
    )


def auth_token(config: InfraConfig, kms_key_arn: str | None) -> AuthTokenProps:
    return AuthTokenProps(
        name=config.name,
        existing_secret_arn=config.auth_token_secret_arn,
        version=config.auth_token_version,
        kms_key_arn=kms_key_arn,
    )


def oauth_sign_in(config: InfraConfig, aws: AwsContext) -> OAuthSignInProps:
    return OAuthSignInProps(
        name=config.name,
        aws=aws,
        host_name=required(config.domain_name, "domain_name"),
        mfa=config.oauth_mfa,
        access_token_minutes=config.oauth_access_token_minutes,
        scopes=sorted({*config.oauth_required_scopes, "openid", "email", "profile"}),
        self_signup=config.oauth_self_signup,
        keys_version=config.oauth_keys_version,
        protect_data=not config.teardown_deletes_data,
        groups=tuple(config.oauth_allowed_groups),
    )


def shared_cache(
    config: InfraConfig, aws: AwsContext, network: Network, kms_key_arn: str | None
) -> SharedCacheProps:
    return SharedCacheProps(
        name=config.name,
        aws=aws,
        vpc_id=network.vpc.id,
        subnet_ids=network.private_subnet_ids,
        node_type=config.shared_cache_node_type,
        replicas=config.shared_cache_replicas,
        kms_key_arn=kms_key_arn,
    )


def mcp_service(
    config: InfraConfig,
    aws: AwsContext,
    kms_key_arn: str | None,
    *,
    network: Network,
    capacity: EcsCapacity,
    logs: ServiceLogs,
    image: ContainerImage,
    load_balancer: LoadBalancer,
    auth_token: AuthToken | None,
    oauth: OAuthSignIn | None,
    shared_cache: SharedCache | None = None,
) -> McpServiceProps:
    return McpServiceProps(
        name=config.name,
        aws=aws,
        vpc_id=network.vpc.id,
        subnet_ids=network.private_subnet_ids,
        cluster_id=capacity.cluster.id,
        capacity_provider_name=capacity.capacity_provider.name,
        log_group=logs.log_group,
        image_uri=image.image_uri,
        image_repository_arn=_image_repository_arn(config, aws, image),
        cpu=config.task_cpu,
        memory_mib=config.task_memory_mib,
        desired_count=config.desired_task_count,
        container_port=config.container_port,
        health_check_path=config.health_check_path,
        health_check_grace_period_seconds=config.health_check_grace_period_seconds,
        stop_timeout_seconds=STOP_TIMEOUT_SECONDS,
        environment=server_environment(config, aws, oauth, shared_cache),
        target_group_arn=load_balancer.target_group.arn,
        load_balancer_security_group_id=load_balancer.security_group.id,
        image_build=image.build,
        service_depends_on=[load_balancer.listener, capacity.cluster_capacity_providers],
        auth_secret_arn=auth_token.secret_arn if auth_token else None,
        auth_secret_kms_key_arn=(kms_key_arn if config.creates_auth_token_secret else None),
        extra_secrets=_extra_secrets(config, oauth),
        extra_secrets_kms_key_arn=kms_key_arn if config.open_meteo_api_key_secret_arn is not None else None,
        task_permissions=(
            *(oauth.task_permissions() if oauth else ()),
            *(shared_cache.task_permissions() if shared_cache else ()),
        ),
        redeploy_triggers=_redeploy_triggers(config, auth_token, oauth),
        autoscaled=config.autoscaling_enabled,
        ecs_exec=config.ecs_exec_enabled,
        tracing=tracing(config),
    )


def service_autoscaling(config: InfraConfig, dimensions: MetricDimensions) -> ServiceAutoscalingProps:
    return ServiceAutoscalingProps(
        dimensions=dimensions,
        min_tasks=config.autoscaling_min_task_count,
        max_tasks=required(config.autoscaling_max_task_count, "autoscaling_max_task_count"),
        cpu_target_percent=config.autoscaling_cpu_target_percent,
        requests_per_target=config.autoscaling_requests_per_target,
    )


def alarms(config: InfraConfig, dimensions: MetricDimensions) -> AlarmsProps:
    return AlarmsProps(
        name=config.name,
        dimensions=dimensions,
        response_time_p95_seconds=config.alarm_response_time_p95_seconds,
        errors_5xx_per_minute=config.alarm_5xx_per_minute,
        cpu_percent=config.alarm_cpu_percent,
        memory_percent=config.alarm_memory_percent,
        nws_error_rate_percent=config.alarm_nws_error_rate_percent,
        email=config.alarm_email,
        oauth_registrations_per_minute=config.alarm_oauth_registrations_per_minute if config.oauth else None,
    )


def dashboard(
    config: InfraConfig, aws: AwsContext, dimensions: MetricDimensions, waf: Waf | None
) -> DashboardProps:
    return DashboardProps(
        name=config.name,
        region=aws.region,
        dimensions=dimensions,
        waf_web_acl_name=waf.web_acl.name if waf else None,
        oauth=config.oauth,
    )


def tracing(config: InfraConfig) -> TracingSettings | None:
    if not config.tracing_enabled:
        return None
    return TracingSettings(
        collector_image=config.tracing_collector_image, sample_percent=config.tracing_sample_percent
    )


def server_environment(
    config: InfraConfig, aws: AwsContext, oauth: OAuthSignIn | None, shared_cache: SharedCache | None = None
) -> dict[str, str]:
    """The server's environment contract (server/contract.py), filled from the config."""
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
    if config.open_meteo_api_key_secret_arn is not None:
        environment.update(OPEN_METEO_CUSTOMER_URLS)  # a key is for the customer hosts
    settings = tracing(config)
    if settings is not None:
        environment.update(tracing_environment(settings))
    if oauth is not None:
        environment.update(
            {
                EnvVar.AUTH_MODE: "oauth",
                EnvVar.PUBLIC_URL: f"https://{config.domain_name}",
                EnvVar.OIDC_CONFIG_URL: oauth.config_url,
                EnvVar.OIDC_CLIENT_ID: oauth.app_client.id,
                EnvVar.OAUTH_STORE: f"dynamodb:{oauth.table.name}",
                EnvVar.OAUTH_REDIRECT_URIS: ",".join(config.oauth_allowed_redirect_uris),
                EnvVar.OAUTH_REQUIRED_SCOPES: " ".join(config.oauth_required_scopes),
                EnvVar.OAUTH_REGISTRATIONS_PER_MINUTE: str(config.oauth_registrations_per_minute),
                # botocore reads only AWS_DEFAULT_REGION itself; the server passes AWS_REGION on.
                "AWS_REGION": aws.region,
            }
        )
        if config.oauth_allowed_groups:
            environment[EnvVar.OAUTH_ALLOWED_GROUPS] = ",".join(config.oauth_allowed_groups)
    if shared_cache is not None:
        environment.update(
            {
                EnvVar.SHARED_CACHE_URL: shared_cache.url,
                # IAM authentication: the server signs tokens for this user and cache in this region.
                EnvVar.SHARED_CACHE_USERNAME: shared_cache.user.user_name,
                EnvVar.SHARED_CACHE_IAM_CACHE_NAME: shared_cache.replication_group.replication_group_id,
                EnvVar.AWS_REGION: aws.region,
            }
        )
    return environment


def _extra_secrets(config: InfraConfig, oauth: OAuthSignIn | None) -> dict[str, str]:
    """Secrets the container gets besides the token: the OAuth keys, the operator's Open-Meteo key."""
    secrets = {}
    if oauth is not None:
        secrets[EnvVar.OAUTH_JWT_SIGNING_KEY] = oauth.signing_key_secret_arn
        secrets[EnvVar.OAUTH_STORAGE_KEY] = oauth.storage_key_secret_arn
    if config.open_meteo_api_key_secret_arn is not None:
        secrets[EnvVar.OPEN_METEO_API_KEY] = config.open_meteo_api_key_secret_arn
    return secrets


def _image_repository_arn(config: InfraConfig, aws: AwsContext, image: ContainerImage) -> str | None:
    if image.repository is not None:
        return image.repository.arn
    ecr = config.prebuilt_ecr_repository
    if ecr is None:
        return None
    account, region, repository = ecr
    return f"arn:{aws.partition}:ecr:{region}:{account}:repository/{repository}"


def _redeploy_triggers(
    config: InfraConfig, auth_token: AuthToken | None, oauth: OAuthSignIn | None
) -> dict[str, str]:
    """Tasks read secrets only when they start: a new key or token version rolls them."""
    if auth_token is not None:
        return {"auth_token_version": str(config.auth_token_version)}
    if oauth is not None:
        return {"oauth_keys_version": str(config.oauth_keys_version)}
    return {}
