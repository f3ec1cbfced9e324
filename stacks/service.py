"""The ECS service running the MCP server: roles, task definition, task security group, service.

Rolling deploys on the defaults: one 4 GiB task fills a c6g.xlarge, so the replacement task cannot
start next to the old one. The service keeps 100% healthy and allows 200%; the new task waits in
PROVISIONING, the capacity provider's managed scaling adds a second instance (max size 2), the new
task starts there, the old one drains, and managed scaling removes the spare instance later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf import ITerraformDependable, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatementCondition
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceDeploymentController,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
    EcsServiceOrderedPlacementStrategy,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition, EcsTaskDefinitionRuntimePlatform
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from server.contract import CONTAINER_USER, HEALTH_PATH, ContainerHealthCheck, EnvVar

from .aws_context import AwsContext
from .iam import Allow, policy_document, service_trust_policy
from .tracing import XRAY_ACTIONS, TracingSettings, collector_container

CONTAINER_NAME = "mcp-server"


@dataclass(frozen=True)
class McpServiceProps:
    name: str
    aws: AwsContext
    vpc_id: str
    subnet_ids: Sequence[str]
    cluster_id: str
    capacity_provider_name: str
    log_group: CloudwatchLogGroup
    image_uri: str
    #: ECR repository ARN the execution role may pull from (None: a public or non-ECR registry).
    image_repository_arn: str | None
    cpu: int
    memory_mib: int
    desired_count: int
    container_port: int
    health_check_path: str
    health_check_grace_period_seconds: int
    #: Seconds between SIGTERM and SIGKILL when ECS stops the container.
    stop_timeout_seconds: int
    environment: Mapping[str, str]
    target_group_arn: str
    #: The tasks accept the container port from this group only (the load balancer opens its side).
    load_balancer_security_group_id: str
    #: The image build step the task definition waits for (None with a prebuilt image).
    image_build: ITerraformDependable | None = None
    #: Resources the service must wait for (the listener, the cluster's capacity providers).
    service_depends_on: Sequence[ITerraformDependable] = field(default_factory=tuple)
    #: Secret holding the MCP bearer token, injected as MCP_AUTH_TOKEN (None: no auth).
    auth_secret_arn: str | None = None
    #: Customer-managed key encrypting that secret (the execution role may decrypt through Secrets Manager).
    auth_secret_kms_key_arn: str | None = None
    #: Further secrets injected into the container: environment variable name -> secret ARN.
    extra_secrets: Mapping[str, str] = field(default_factory=dict)
    #: Customer-managed key that may encrypt one of those (the execution role may decrypt through
    #: Secrets Manager), e.g. an operator's Open-Meteo key secret encrypted with the stack's key.
    extra_secrets_kms_key_arn: str | None = None
    #: Permissions of the server itself (the task role), e.g. its OAuth state table.
    task_permissions: Sequence[Allow] = field(default_factory=tuple)
    #: Values whose change must roll the tasks even though the task definition is unchanged
    #: (a rotated token: tasks read secrets only when they start).
    redeploy_triggers: Mapping[str, str] = field(default_factory=dict)
    #: Application Auto Scaling owns desired_count once the service starts.
    autoscaled: bool = False
    ecs_exec: bool = False
    #: An ADOT collector sidecar exporting the server's traces to X-Ray (None: no tracing).
    tracing: TracingSettings | None = None


class McpService(Construct):
    def __init__(self, scope: Construct, id_: str, props: McpServiceProps) -> None:
        super().__init__(scope, id_)
        name = props.name
        aws = props.aws

        # Confused-deputy guard: only ECS tasks of this account may assume the task roles.
        ecs_in_this_account = [
            DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals", variable="aws:SourceAccount", values=[aws.account_id]
            ),
            DataAwsIamPolicyDocumentStatementCondition(
                test="ArnLike",
                variable="aws:SourceArn",
                values=[f"arn:{aws.partition}:ecs:{aws.region}:{aws.account_id}:*"],
            ),
        ]
        trust = service_trust_policy(self, "tasks_trust", "ecs-tasks.amazonaws.com", ecs_in_this_account)

        self.execution_role = IamRole(
            self,
            "execution_role",
            name=f"{name}-task-execution",
            description="ECS agent for the MCP server tasks: pull the image, write logs.",
            assume_role_policy=trust.json,
        )
        pull_and_log = [
            # GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
            Allow("EcrLogin", ["ecr:GetAuthorizationToken"], ["*"]),
            Allow(
                "WriteLogs",
                ["logs:CreateLogStream", "logs:PutLogEvents"],
                [f"{props.log_group.arn}:log-stream:*"],
            ),
        ]
        if props.auth_secret_arn is not None:
            pull_and_log.append(
                Allow("ReadAuthToken", ["secretsmanager:GetSecretValue"], [props.auth_secret_arn])
            )
            if props.auth_secret_kms_key_arn is not None:
                pull_and_log.append(
                    Allow(
                        "DecryptAuthToken",
                        ["kms:Decrypt"],
                        [props.auth_secret_kms_key_arn],
                        [
                            DataAwsIamPolicyDocumentStatementCondition(
                                test="StringEquals",
                                variable="kms:ViaService",
                                values=[f"secretsmanager.{aws.region}.{aws.dns_suffix}"],
                            )
                        ],
                    )
                )
        if props.extra_secrets:
            pull_and_log.append(
                Allow(
                    "ReadServerKeys", ["secretsmanager:GetSecretValue"], sorted(props.extra_secrets.values())
                )
            )
            if props.extra_secrets_kms_key_arn is not None:
                pull_and_log.append(
                    Allow(
                        "DecryptServerKeys",
                        ["kms:Decrypt"],
                        [props.extra_secrets_kms_key_arn],
                        [
                            DataAwsIamPolicyDocumentStatementCondition(
                                test="StringEquals",
                                variable="kms:ViaService",
                                values=[f"secretsmanager.{aws.region}.{aws.dns_suffix}"],
                            )
                        ],
                    )
                )
        if props.image_repository_arn is not None:
            pull_and_log.insert(
                1,
                Allow(
                    "PullServerImage",
                    ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                    [props.image_repository_arn],
                ),
            )
        IamRolePolicy(
            self,
            "execution_policy",
            name="pull-image-write-logs",
            role=self.execution_role.id,
            policy=policy_document(self, "execution_permissions", pull_and_log).json,
        )

        # The server itself calls only the public NWS API: its role carries no permissions, unless
        # ECS Exec is on (the exec agent's SSM channels, which have no resource-level scoping) or
        # tracing is (the collector sends segments to X-Ray; no resource-level scoping either).
        self.task_role = IamRole(
            self,
            "task_role",
            name=f"{name}-task",
            description="MCP server containers (no AWS permissions unless ECS Exec is enabled).",
            assume_role_policy=trust.json,
        )
        if props.tracing is not None:
            IamRolePolicy(
                self,
                "tracing_policy",
                name="send-traces-to-xray",
                role=self.task_role.id,
                policy=policy_document(
                    self, "tracing_permissions", [Allow("SendTraces", list(XRAY_ACTIONS), ["*"])]
                ).json,
            )
        if props.task_permissions:
            IamRolePolicy(
                self,
                "server_policy",
                name="server-data",
                role=self.task_role.id,
                policy=policy_document(self, "server_permissions", props.task_permissions).json,
            )
        if props.ecs_exec:
            IamRolePolicy(
                self,
                "exec_policy",
                name="ecs-exec-channels",
                role=self.task_role.id,
                policy=policy_document(
                    self,
                    "exec_permissions",
                    [
                        Allow(
                            "EcsExecChannels",
                            [
                                "ssmmessages:CreateControlChannel",
                                "ssmmessages:CreateDataChannel",
                                "ssmmessages:OpenControlChannel",
                                "ssmmessages:OpenDataChannel",
                            ],
                            ["*"],
                        )
                    ],
                ).json,
            )

        self.task_definition = EcsTaskDefinition(
            self,
            "task_definition",
            family=name,
            network_mode="awsvpc",
            requires_compatibilities=["EC2"],
            cpu=str(props.cpu),
            memory=str(props.memory_mib),
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX", cpu_architecture="ARM64"
            ),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            container_definitions=json.dumps(self._containers(props), sort_keys=True),
            depends_on=[props.image_build] if props.image_build is not None else None,
        )

        self.security_group = SecurityGroup(
            self,
            "task_sg",
            name=f"{name}-tasks",
            description="MCP server tasks: the container port from the load balancer only",
            vpc_id=props.vpc_id,
            tags={"Name": f"{name}-tasks"},
        )
        VpcSecurityGroupIngressRule(
            self,
            "task_from_alb",
            security_group_id=self.security_group.id,
            description="Container port from the load balancer",
            ip_protocol="tcp",
            from_port=props.container_port,
            to_port=props.container_port,
            referenced_security_group_id=props.load_balancer_security_group_id,
        )
        VpcSecurityGroupEgressRule(
            self,
            "task_https_out",
            security_group_id=self.security_group.id,
            description="HTTPS to the NWS API (through the NAT gateway)",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
        )

        self.service = EcsService(
            self,
            "service",
            name=name,
            cluster=props.cluster_id,
            task_definition=self.task_definition.arn,
            desired_count=props.desired_count,
            capacity_provider_strategy=[
                EcsServiceCapacityProviderStrategy(
                    capacity_provider=props.capacity_provider_name, weight=1, base=0
                )
            ],
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=list(props.subnet_ids),
                security_groups=[self.security_group.id],
                assign_public_ip=False,
            ),
            load_balancer=[
                EcsServiceLoadBalancer(
                    target_group_arn=props.target_group_arn,
                    container_name=CONTAINER_NAME,
                    container_port=props.container_port,
                )
            ],
            health_check_grace_period_seconds=props.health_check_grace_period_seconds,
            deployment_controller=EcsServiceDeploymentController(type="ECS"),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            # A release whose tasks never turn healthy is rolled back instead of retried forever.
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            ordered_placement_strategy=[
                EcsServiceOrderedPlacementStrategy(type="spread", field="attribute:ecs.availability-zone"),
            ],
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            enable_execute_command=props.ecs_exec or None,
            triggers=dict(props.redeploy_triggers) or None,
            force_new_deployment=True if props.redeploy_triggers else None,
            # With autoscaling on, Application Auto Scaling sets the task count; re-applying the
            # configured count would undo its decisions. Ownership moves, nothing is hidden: the
            # count is visible in the console, the dashboard and the alarms.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"])
            if props.autoscaled
            else None,
            depends_on=list(props.service_depends_on),
        )

    def allow_to(
        self, id_: str, security_group: SecurityGroup, port: int, description: str
    ) -> VpcSecurityGroupEgressRule:
        """Let the tasks reach `port` in `security_group` (an egress rule of the tasks' group; the
        other side admits the tasks with its own ingress rule)."""
        return VpcSecurityGroupEgressRule(
            self,
            id_,
            security_group_id=self.security_group.id,
            description=description,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=security_group.id,
        )

    @staticmethod
    def _containers(props: McpServiceProps) -> list[dict[str, object]]:
        containers = [McpService._container(props)]
        if props.tracing is not None:
            containers.append(
                collector_container(
                    props.tracing,
                    log_group_name=props.log_group.name,
                    region=props.aws.region,
                    user=CONTAINER_USER,
                )
            )
        return containers

    @staticmethod
    def _container(props: McpServiceProps) -> dict[str, object]:
        definition = McpService._container_base(props)
        secrets = dict(props.extra_secrets)
        if props.auth_secret_arn is not None:
            secrets[EnvVar.AUTH_TOKEN] = props.auth_secret_arn
        if secrets:
            definition["secrets"] = [{"name": k, "valueFrom": v} for k, v in sorted(secrets.items())]
        return definition

    @staticmethod
    def _container_base(props: McpServiceProps) -> dict[str, object]:
        definition: dict[str, object] = {
            "name": CONTAINER_NAME,
            "image": props.image_uri,
            "essential": True,
            "user": CONTAINER_USER,
            # The ECS Exec agent writes into the container's filesystem; otherwise nothing may.
            "readonlyRootFilesystem": not props.ecs_exec,
            "stopTimeout": props.stop_timeout_seconds,
            "portMappings": [
                {"containerPort": props.container_port, "hostPort": props.container_port, "protocol": "tcp"}
            ],
            "environment": [{"name": k, "value": v} for k, v in sorted(props.environment.items())],
        }
        if props.health_check_path == HEALTH_PATH:
            # Our image answers the contract's path through its own probe module. Another server
            # (image_uri with its own health_check_path) may have neither Python nor that module:
            # its health is the target group's check alone, as ECS does for containers without one.
            definition["healthCheck"] = {
                "command": ["CMD", *ContainerHealthCheck.COMMAND],
                "interval": ContainerHealthCheck.INTERVAL_SECONDS,
                "timeout": ContainerHealthCheck.TIMEOUT_SECONDS,
                "retries": ContainerHealthCheck.RETRIES,
                "startPeriod": ContainerHealthCheck.START_PERIOD_SECONDS,
            }
        definition.update(
            {
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": props.log_group.name,
                        "awslogs-region": props.aws.region,
                        "awslogs-stream-prefix": "mcp",
                    },
                },
                "mountPoints": [],
                "volumesFrom": [],
                "systemControls": [],
            }
        )
        return definition
