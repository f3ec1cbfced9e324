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
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from typing import Any

# Attaching AWS-managed policies (ECS-for-EC2, SSM core) needs moto's copy of them.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from flask import has_request_context, request
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.utils import camelcase_to_underscores
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ec2.responses import EC2Response
from moto.ec2.responses.launch_templates import LaunchTemplates
from moto.ecs.responses import EC2ContainerServiceResponse
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
    tls = ["--ssl-cert", args.ssl_cert, "--ssl-key", args.ssl_key] if args.ssl_cert else []
    # Loopback only, always.
    moto_main(["-H", "127.0.0.1", "-p", str(args.port), *tls])


if __name__ == "__main__":
    main()
