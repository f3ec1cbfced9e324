"""The fleet cache: ElastiCache for Valkey, shared by every task (the server's MCP_SHARED_CACHE_URL).

One replication group without cluster mode (one shard): a primary and `replicas` read replicas
(1 or more: Multi-AZ with automatic failover), in the private subnets, reachable on the Valkey port
from the tasks' security group only, TLS required in transit, encrypted at rest (with the stack's
customer-managed key when there is one).

Authentication keeps every secret out of Terraform state: the server's ElastiCache user
authenticates with IAM (a SigV4 token the task signs with its role, `server/elasticache_iam.py`),
so no password or AUTH token exists. The user group also holds the `default` user ElastiCache
requires in every group, switched off with no permissions. The server's user may touch only its
own keys with the commands it sends (`server.contract.SHARED_CACHE_ACCESS_STRING`); the task role
may connect as that user to this replication group only (`task_permissions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cdktf_cdktf_provider_aws.elasticache_replication_group import ElasticacheReplicationGroup
from cdktf_cdktf_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup
from cdktf_cdktf_provider_aws.elasticache_user import ElasticacheUser, ElasticacheUserAuthenticationMode
from cdktf_cdktf_provider_aws.elasticache_user_group import ElasticacheUserGroup
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from server.contract import SHARED_CACHE_ACCESS_STRING, SHARED_CACHE_PORT

from .aws_context import AwsContext
from .iam import Allow

#: The engine and its version, pinned (IAM authentication needs Valkey 7.2 or later).
ENGINE: Final = "valkey"
ENGINE_VERSION: Final = "8.0"
#: Access string of the `default` user every user group must contain: switched off, no commands.
DISABLED_USER_ACCESS: Final = "off -@all"


@dataclass(frozen=True)
class SharedCacheProps:
    name: str
    aws: AwsContext
    vpc_id: str
    #: The private subnets (the cache's nodes spread over their zones).
    subnet_ids: Sequence[str]
    node_type: str
    #: Read replicas of the primary; 1 or more turn on Multi-AZ and automatic failover.
    replicas: int
    #: The customer-managed key for encryption at rest (None: ElastiCache's own key).
    kms_key_arn: str | None = None


class SharedCache(Construct):
    """Exposes ``replication_group``, ``security_group``, ``user`` (the server's), ``url``,
    ``member_cluster_ids`` (the nodes' CloudWatch dimension values), ``admit`` and
    ``task_permissions``."""

    def __init__(self, scope: Construct, id_: str, props: SharedCacheProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        cache_id = f"{props.name}-cache"
        self.subnet_group = ElasticacheSubnetGroup(
            self,
            "subnet_group",
            name=cache_id,
            description="Private subnets of the MCP server's fleet cache",
            subnet_ids=list(props.subnet_ids),
        )
        self.security_group = SecurityGroup(
            self,
            "security_group",
            name=cache_id,
            description="MCP server fleet cache: the Valkey port from the tasks only",
            vpc_id=props.vpc_id,
            tags={"Name": cache_id},
        )
        disabled_default = ElasticacheUser(
            self,
            "default_user",
            user_id=f"{props.name}-default",
            user_name="default",
            engine=ENGINE,
            access_string=DISABLED_USER_ACCESS,
            authentication_mode=ElasticacheUserAuthenticationMode(type="no-password-required"),
        )
        # For IAM authentication, ElastiCache wants the user's ID and name to be the same.
        server_user = f"{props.name}-tasks"
        self.user = ElasticacheUser(
            self,
            "server_user",
            user_id=server_user,
            user_name=server_user,
            engine=ENGINE,
            access_string=SHARED_CACHE_ACCESS_STRING,
            authentication_mode=ElasticacheUserAuthenticationMode(type="iam"),
        )
        self.user_group = ElasticacheUserGroup(
            self,
            "user_group",
            user_group_id=cache_id,
            engine=ENGINE,
            user_ids=[disabled_default.user_id, self.user.user_id],
        )
        highly_available = props.replicas > 0
        self.replication_group = ElasticacheReplicationGroup(
            self,
            "replication_group",
            replication_group_id=cache_id,
            description="MCP server fleet cache (NWS answers shared by every task)",
            engine=ENGINE,
            engine_version=ENGINE_VERSION,
            node_type=props.node_type,
            num_cache_clusters=1 + props.replicas,
            automatic_failover_enabled=highly_available,
            multi_az_enabled=highly_available,
            port=SHARED_CACHE_PORT,
            subnet_group_name=self.subnet_group.name,
            security_group_ids=[self.security_group.id],
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled="true",
            kms_key_id=props.kms_key_arn,
            user_group_ids=[self.user_group.user_group_id],
            auto_minor_version_upgrade="true",
            # Re-fetchable answers: nothing to back up, and a snapshot's fork costs a small node.
            snapshot_retention_limit=0,
            # A cache: a change of node type or replicas applies now, not in a maintenance window.
            apply_immediately=True,
        )
        self.url = f"rediss://{self.replication_group.primary_endpoint_address}:{SHARED_CACHE_PORT}"
        # ElastiCache names the nodes of a replication group <id>-001, -002, ...
        self.member_cluster_ids = tuple(f"{cache_id}-{index:03d}" for index in range(1, 2 + props.replicas))

    def admit(self, security_group: SecurityGroup) -> VpcSecurityGroupIngressRule:
        """Let `security_group` (the tasks') reach the Valkey port; the only way in."""
        return VpcSecurityGroupIngressRule(
            self,
            "from_tasks",
            security_group_id=self.security_group.id,
            description="Valkey (TLS) from the MCP server tasks",
            ip_protocol="tcp",
            from_port=SHARED_CACHE_PORT,
            to_port=SHARED_CACHE_PORT,
            referenced_security_group_id=security_group.id,
        )

    def task_permissions(self) -> list[Allow]:
        """The task role may connect (IAM authentication) as the server's user, to this cache only."""
        return [
            Allow(
                "ConnectToTheFleetCache",
                ["elasticache:Connect"],
                [self.replication_group.arn, self.user.arn],
            )
        ]
