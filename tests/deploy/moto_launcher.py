"""Start moto's server on loopback with its emulator gaps corrected.

Run as ``python tests/deploy/moto_launcher.py --port N``. The corrections make moto answer the way
real AWS does, so that a re-plan after apply shows only real drift. They live here, in the test
harness, and never in the stacks: the product must not hide a diff (no ignore_changes).

1. ECS CreateService drops capacityProviderStrategy, healthCheckGracePeriodSeconds,
   deploymentConfiguration, placement and tagging options and forces launchType=EC2 (UpdateService
   stores them). Real ECS keeps them and reports no launch type for capacity-provider services.
2. EC2 CreateLaunchTemplate copies the request's tag specifications (the template's own tags, of
   resource type "launch-template") into the template data, which real EC2 never does.
3. Security group rules that reference another group lose their Description in
   DescribeSecurityGroupRules (moto reads it only from CIDR ranges).
4. Policy conditions: moto evaluates only StringEquals and treats every other operator as
   satisfied, and it answers DENIED for a statement whose conditions do not hold, whatever its
   Effect (in AWS such a statement simply does not apply). Together these make the state bucket's
   "deny unless TLS" statement deny every request. The launcher adds the Bool operator, the
   aws:SecureTransport key taken from the request's real scheme (the suite serves moto over TLS,
   as AWS is), and AWS's "conditions not met: statement does not apply" rule.
5. Application Auto Scaling has no ListTagsForResource/TagResource/UntagResource in moto; the
   provider reads tags after every create (default tags), gets a 500 and retries forever. The
   launcher keeps the tags of registered targets and answers those three calls.
6. KMS EnableKeyRotation ignores RotationPeriodInDays and GetKeyRotationStatus leaves it out, so
   the provider reads 0 and every re-plan wants to set the key's rotation period again. The
   launcher keeps the period (AWS's default 365 when none is given) and returns it while rotation
   is on, as AWS does.
7. EC2 ignores ClientToken. AWS answers a repeated request with the same token (an SDK retry
   after a lost response) with the first answer; moto runs it again, so CreateLaunchTemplate
   fails with "name already in use" and other creates leave duplicates. Seen on this 2-core
   machine under load: the provider's retry of a create whose first answer never arrived. The
   launcher answers a repeated EC2 ClientToken with the first successful answer.
8. ElastiCache: moto has no user groups (Create/Describe/Modify/DeleteUserGroup) and cannot
   delete a cache subnet group; a replication group ignores NumCacheClusters (always one node),
   creates none of its member cache clusters (AWS does, and the provider reads the engine version,
   security groups, parameter group and maintenance window from the first of them), and is never
   removed after DeleteReplicationGroup (the provider waits for it to go). The launcher keeps
   user groups, makes the member clusters with the replication group's settings (as AWS reports
   them), and removes deleted groups.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import threading
from typing import Any

# Attaching AWS-managed policies (ECS-for-EC2, SSM core) needs moto's copy of them.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from flask import has_request_context, request
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import camelcase_to_underscores
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ec2.responses import EC2Response
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elasticache.exceptions import ElastiCacheException
from moto.elasticache.models import ElastiCacheBackend
from moto.elasticache.responses import ElastiCacheResponse
from moto.iam import policy_conditions
from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
from moto.kms.responses import KmsResponse
from moto.s3.models import FakeBucket
from moto.server import main as moto_main

#: CreateService parameters moto ignores but real ECS stores and returns.
_DROPPED_SERVICE_PARAMETERS = (
    "capacityProviderStrategy",
    "healthCheckGracePeriodSeconds",
    "deploymentConfiguration",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "placementStrategy",
    "placementConstraints",
    "availabilityZoneRebalancing",
)


def _patch_create_service() -> None:
    original = EC2ContainerServiceResponse.create_service

    def create_service(self: EC2ContainerServiceResponse) -> Any:
        result = original(self)
        service = self.ecs_backend._get_service(
            self._get_param("cluster", "default"), self._get_param("serviceName")
        )
        for parameter in _DROPPED_SERVICE_PARAMETERS:
            value = self._get_param(parameter)
            if value is not None:
                setattr(service, camelcase_to_underscores(parameter), value)
        if self._get_param("capacityProviderStrategy") and self._get_param("launchType") is None:
            service.launch_type = None
        return result

    EC2ContainerServiceResponse.create_service = create_service


def _patch_create_launch_template() -> None:
    original = LaunchTemplates.create_launch_template

    def create_launch_template(self: LaunchTemplates) -> Any:
        result = original(self)
        template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
        for version in template.versions:
            specs = version.data.get("TagSpecifications")
            if specs:
                version.data["TagSpecifications"] = [
                    s for s in specs if s.get("ResourceType") != "launch-template"
                ]
        return result

    LaunchTemplates.create_launch_template = create_launch_template


def _patch_referenced_rule_description() -> None:
    def description(self: SecurityGroupRule) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[assignment]


def _bool_condition(expected: str | list[str], actual: str) -> bool:
    values = expected if isinstance(expected, list) else [expected]
    return any(str(value).lower() == actual.lower() for value in values)


def _patch_bucket_policy_conditions() -> None:
    policy_conditions.CONDITION_OPERATIONS["Bool"] = _bool_condition
    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(
        self: IAMPolicyStatement,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> PermissionResult:
        if self._statement.get("Condition") and not self._check_conditions(incoming_condition_values):
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]

    def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        secure = has_request_context() and request.scheme == "https"
        return IAMPolicy(self.policy.decode()).is_action_permitted(
            action, resource, incoming_condition_values={"aws:SecureTransport": str(secure).lower()}
        )

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def _patch_autoscaling_tags() -> None:
    tags_by_arn: dict[str, dict[str, str]] = {}
    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        response = register(self)
        tags_by_arn.setdefault(json.loads(response)["ScalableTargetARN"], {}).update(
            self._get_param("Tags") or {}
        )
        return response

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        return json.dumps({"Tags": tags_by_arn.get(self._get_param("ResourceARN"), {})})

    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags_by_arn.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags = tags_by_arn.get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]


#: AWS's rotation period when EnableKeyRotation names none.
_DEFAULT_ROTATION_DAYS = 365


def _patch_key_rotation_period() -> None:
    periods: dict[str, int] = {}
    enable, status = KmsResponse.enable_key_rotation, KmsResponse.get_key_rotation_status

    def key_arn(self: KmsResponse) -> str:
        return self.kms_backend.describe_key(self._get_param("KeyId")).arn

    def enable_key_rotation(self: KmsResponse) -> str:
        response = enable(self)
        periods[key_arn(self)] = self._get_param("RotationPeriodInDays") or _DEFAULT_ROTATION_DAYS
        return response

    def get_key_rotation_status(self: KmsResponse) -> str:
        answer = json.loads(status(self))
        if answer.get("KeyRotationEnabled"):
            answer["RotationPeriodInDays"] = periods.get(key_arn(self), _DEFAULT_ROTATION_DAYS)
        return json.dumps(answer)

    KmsResponse.enable_key_rotation = enable_key_rotation  # type: ignore[method-assign]
    KmsResponse.get_key_rotation_status = get_key_rotation_status  # type: ignore[method-assign]


def _patch_client_token_idempotency() -> None:
    original = EC2Response.call_action
    answers: dict[tuple[str, str], Any] = {}
    # One token-bearing request at a time: a retry never overtakes the attempt it repeats.
    lock = threading.Lock()

    def call_action(self: EC2Response) -> Any:
        token = self._get_param("ClientToken")
        if not token:
            return original(self)
        key = (self._get_action(), str(token))
        with lock:
            if key in answers:
                return answers[key]
            answer = original(self)
            if 200 <= int(answer[0]) < 300:
                answers[key] = answer
            return answer

    EC2Response.call_action = call_action  # type: ignore[method-assign]


class _UserGroupNotFound(ElastiCacheException):
    code = "UserGroupNotFoundFault"


class _CacheSubnetGroupInUse(ElastiCacheException):
    code = "CacheSubnetGroupInUse"


def _patch_elasticache() -> None:
    user_groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def groups(self: ElastiCacheResponse) -> dict[str, dict[str, Any]]:
        return user_groups.setdefault((self.current_account, self.region), {})

    def user_group_arn(self: ElastiCacheResponse, group_id: str) -> str:
        return f"arn:aws:elasticache:{self.region}:{self.current_account}:usergroup:{group_id}"

    def create_user_group(self: ElastiCacheResponse) -> ActionResult:
        group_id = self._get_param("UserGroupId")
        group = {
            "UserGroupId": group_id,
            "Status": "active",
            "Engine": self._get_param("Engine"),
            "UserIds": list(self._get_param("UserIds", [])),
            "MinimumEngineVersion": "7.2",
            "ReplicationGroups": [],
            "ARN": user_group_arn(self, group_id),
        }
        groups(self)[group_id] = group
        tags = self._get_param("Tags", [])
        if tags:
            self.elasticache_backend.tagging_service.tag_resource(group["ARN"], tags)
        return ActionResult(group)

    def find(self: ElastiCacheResponse, group_id: str) -> dict[str, Any]:
        if group_id not in groups(self):
            raise _UserGroupNotFound(f"User group {group_id} not found.")
        return groups(self)[group_id]

    def describe_user_groups(self: ElastiCacheResponse) -> ActionResult:
        group_id = self._get_param("UserGroupId")
        found = [find(self, group_id)] if group_id else list(groups(self).values())
        for group in found:  # what AWS reports: the replication groups using it
            group["ReplicationGroups"] = [
                rg.replication_group_id
                for rg in self.elasticache_backend.replication_groups.values()
                if group["UserGroupId"] in (rg.user_group_ids or [])
            ]
        return ActionResult({"UserGroups": found})

    def modify_user_group(self: ElastiCacheResponse) -> ActionResult:
        group = find(self, self._get_param("UserGroupId"))
        removed = set(self._get_param("UserIdsToRemove", []))
        group["UserIds"] = [u for u in group["UserIds"] if u not in removed]
        group["UserIds"] += [u for u in self._get_param("UserIdsToAdd", []) if u not in group["UserIds"]]
        return ActionResult(group)

    def delete_user_group(self: ElastiCacheResponse) -> ActionResult:
        group = find(self, self._get_param("UserGroupId"))
        groups(self).pop(group["UserGroupId"])
        return ActionResult({**group, "Status": "deleting"})

    def delete_cache_subnet_group(self: ElastiCacheResponse) -> ActionResult:
        name = self._get_param("CacheSubnetGroupName")
        backend = self.elasticache_backend
        backend.describe_cache_subnet_groups(name)  # raises CacheSubnetGroupNotFound
        if any(rg.cache_subnet_group_name == name for rg in backend.replication_groups.values()):
            raise _CacheSubnetGroupInUse(f"Cache subnet group {name} is in use.")
        backend.cache_subnet_groups.pop(name)
        return EmptyResult()

    create_rg = ElastiCacheResponse.create_replication_group
    delete_rg = ElastiCacheResponse.delete_replication_group

    def create_replication_group(self: ElastiCacheResponse) -> ActionResult:
        result = create_rg(self)
        backend = self.elasticache_backend
        group = backend.replication_groups[self._get_param("ReplicationGroupId")]
        wanted = self._get_int_param("NumCacheClusters") or 1
        (node_group,) = group.node_groups
        members = node_group["node_group_members"]
        zones = self._get_param("PreferredCacheClusterAZs", []) or ["us-east-1a", "us-east-1b"]
        while len(members) < wanted:
            member_id = f"{group.replication_group_id}-{len(members) + 1:0>3}"
            domain = node_group["primary_endpoint_address"].removeprefix("master.")
            members.append(
                {
                    "cache_cluster_id": member_id,
                    "cache_node_id": node_group["node_group_id"],
                    "read_endpoint": {"address": f"{member_id}.{domain}", "port": group.port},
                    "preferred_availability_zone": zones[len(members) % len(zones)],
                    "current_role": "replica",
                }
            )
            group.member_clusters.append(member_id)
        version = self._get_param("EngineVersion") or "8.0"
        for member in members:
            cluster = backend.create_cache_cluster(
                cache_cluster_id=member["cache_cluster_id"],
                replication_group_id=group.replication_group_id,
                az_mode=None,
                preferred_availability_zone=member["preferred_availability_zone"],
                num_cache_nodes=1,
                cache_node_type=group.cache_node_type,
                engine=group.engine,
                engine_version=version,
                cache_parameter_group_name=None,
                cache_subnet_group_name=self._get_param("CacheSubnetGroupName"),
                transit_encryption_enabled=group.transit_encryption_enabled,
                network_type="ipv4",
                ip_discovery="ipv4",
                snapshot_name=None,
                preferred_maintenance_window=self._get_param("PreferredMaintenanceWindow"),
                port=group.port,
                notification_topic_arn=None,
                auto_minor_version_upgrade=self._get_param("AutoMinorVersionUpgrade") != "false",
                snapshot_retention_limit=group.snapshot_retention_limit,
                snapshot_window=group.snapshot_window,
                auth_token=None,
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=None,
                cache_security_group_names=None,
                security_group_ids=self._get_param("SecurityGroupIds", []),
                tags=None,
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=None,
                cache_node_ids_to_reboot=None,
            )
            # What DescribeCacheClusters reports for a member of a Valkey replication group.
            cluster.replication_group_id = group.replication_group_id
            cluster.snapshot_window = group.snapshot_window
            cluster.security_groups = [
                {"SecurityGroupId": sg, "Status": "active"} for sg in cluster.security_group_ids
            ]
            family = f"default.{group.engine}{version.split('.')[0]}"
            cluster.cache_parameter_group = {
                "CacheParameterGroupName": family,
                "ParameterApplyStatus": "in-sync",
            }
            cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
            cluster.transit_encryption_mode = "required" if group.transit_encryption_enabled else None
        return result

    def delete_replication_group(self: ElastiCacheResponse) -> ActionResult:
        result = delete_rg(self)
        backend = self.elasticache_backend
        group = backend.replication_groups.pop(self._get_param("ReplicationGroupId"))
        for member in group.node_groups[0]["node_group_members"]:
            backend.cache_clusters.pop(member["cache_cluster_id"], None)
        return result

    arn_pattern = re.compile(r"^arn:aws:elasticache:.*:[0-9]*:usergroup:.*$")
    list_tags = ElastiCacheBackend.list_tags_for_resource

    def list_tags_for_resource(self: ElastiCacheBackend, arn: str) -> dict[str, list[dict[str, str]]]:
        if arn_pattern.match(arn):
            return self.tagging_service.list_tags_for_resource(arn)
        return list_tags(self, arn)

    ElastiCacheResponse.create_user_group = create_user_group  # type: ignore[attr-defined]
    ElastiCacheResponse.describe_user_groups = describe_user_groups  # type: ignore[attr-defined]
    ElastiCacheResponse.modify_user_group = modify_user_group  # type: ignore[attr-defined]
    ElastiCacheResponse.delete_user_group = delete_user_group  # type: ignore[attr-defined]
    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group  # type: ignore[attr-defined]
    ElastiCacheResponse.create_replication_group = create_replication_group  # type: ignore[method-assign]
    ElastiCacheResponse.delete_replication_group = delete_replication_group  # type: ignore[method-assign]
    ElastiCacheBackend.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ssl-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--ssl-key", help="private key of --ssl-cert (PEM)")
    args = parser.parse_args()
    _patch_create_service()
    _patch_create_launch_template()
    _patch_referenced_rule_description()
    _patch_bucket_policy_conditions()
    _patch_autoscaling_tags()
    _patch_key_rotation_period()
    _patch_client_token_idempotency()
    _patch_elasticache()
    tls = ["--ssl-cert", args.ssl_cert, "--ssl-key", args.ssl_key] if args.ssl_cert else []
    # Loopback only, always.
    moto_main(["-H", "127.0.0.1", "-p", str(args.port), *tls])


if __name__ == "__main__":
    main()
