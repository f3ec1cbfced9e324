"""After `destroy`, nothing the stack created may remain in the emulator, whatever its type.

`inventory(project)` runs before destroy: every managed resource in the state (type, address,
attributes) and the ARNs the Resource Groups Tagging API lists under the project's tag (every
resource the provider's default tags reach, in every service moto tags: EC2, ELB, ECS, ECR, Logs,
CloudWatch, KMS, S3, DynamoDB, Secrets Manager, SNS, ACM, Auto Scaling, ElastiCache...).
`leftovers(project, before)` runs after: what is still there.

- A resource the tagging API listed before must be gone from it afterwards, except what AWS itself
  keeps for a while (a KMS key waits 7 to 30 days in PendingDeletion; ECS keeps INACTIVE clusters,
  services and task definitions; deleted NAT gateways and VPC endpoints read "deleted"): those
  must be in that state.
- Every other type has a lookup here (IAM, Cognito, WAF, Route 53, Application Auto Scaling,
  dashboards, subscriptions...), or is a part of a resource that is checked (rules, associations,
  attachments, bucket settings), named in PARTS.
A type in the state that none of these covers fails the check, naming it: a new construct gets a
lookup here before its teardown can pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tests.deploy.conftest import Project

#: The default tag the provider puts on everything it can tag (stacks/provider.py).
PROJECT_TAG = {"Key": "project", "Values": ["mcp-server-amazon-ecs"]}

#: Types that exist only as a part of another resource checked here, and go with it.
PARTS = {
    "aws_acm_certificate_validation": "a wait on the certificate, no resource of its own",
    "aws_cognito_user_pool_client": "part of the user pool",
    "aws_default_security_group": "the VPC's own group: Terraform only forgets it, it goes with the VPC",
    "aws_ecr_lifecycle_policy": "part of the repository",
    "aws_ecs_cluster_capacity_providers": "part of the cluster",
    "aws_iam_role_policy": "part of the role",
    "aws_iam_role_policy_attachment": "part of the role",
    "aws_route": "part of the route table",
    "aws_route_table_association": "part of the route table",
    "aws_s3_bucket_lifecycle_configuration": "part of the bucket",
    "aws_s3_bucket_ownership_controls": "part of the bucket",
    "aws_s3_bucket_policy": "part of the bucket",
    "aws_s3_bucket_public_access_block": "part of the bucket",
    "aws_s3_bucket_server_side_encryption_configuration": "part of the bucket",
    "aws_s3_bucket_versioning": "part of the bucket",
    "aws_secretsmanager_secret_version": "part of the secret",
    "aws_vpc_security_group_egress_rule": "part of the security group",
    "aws_vpc_security_group_ingress_rule": "part of the security group",
    "aws_wafv2_web_acl_association": "part of the web ACL",
    "aws_wafv2_web_acl_logging_configuration": "part of the web ACL",
    "terraform_data": "Terraform's own, nothing in AWS",
}


@dataclass(frozen=True)
class Resource:
    address: str
    type: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Inventory:
    resources: list[Resource]
    #: address -> ARN, for the resources the tagging API listed under the project's tag.
    tagged: dict[str, str]


def _tagged_arns(project: Project) -> frozenset[str]:
    pages = project.client("resourcegroupstaggingapi").get_paginator("get_resources")
    return frozenset(
        item["ResourceARN"]
        for page in pages.paginate(TagFilters=[PROJECT_TAG])
        for item in page["ResourceTagMappingList"]
    )


def _arn_among(resource: Resource, arns: frozenset[str]) -> str | None:
    """The resource's ARN among `arns`: its `arn` attribute, or an ARN ending in its id."""
    if resource.values.get("arn") in arns:
        return resource.values["arn"]
    resource_id = str(resource.values.get("id", ""))
    if not resource_id:
        return None
    return next((arn for arn in arns if arn.endswith((f"/{resource_id}", f":{resource_id}"))), None)


def inventory(project: Project) -> Inventory:
    """What the stack has now: the state's managed resources and which of them are tagged."""
    shown = json.loads(project.terraform("show", "-json").stdout)
    modules = [shown.get("values", {}).get("root_module", {})]
    resources = []
    while modules:
        module = modules.pop()
        modules.extend(module.get("child_modules", []))
        resources += [
            Resource(r["address"], r["type"], r["values"])
            for r in module.get("resources", [])
            if r["mode"] == "managed"
        ]
    assert resources, "the state holds no resources: nothing to check"
    arns = _tagged_arns(project)
    tagged = {r.address: arn for r in resources if (arn := _arn_among(r, arns)) is not None}
    # Every lookup must see its resource now, or its "gone" after destroy would prove nothing.
    blind = [r.address for r in resources if r.type in LOOKUPS and not LOOKUPS[r.type](project, r.values)]
    assert not blind, f"these lookups do not see resources that exist: {blind}"
    return Inventory(resources, tagged)


def _missing(call: Callable[[], Any], *codes: str) -> bool:
    """True when the lookup fails with one of the not-found error codes."""
    try:
        call()
    except ClientError as error:
        if error.response["Error"]["Code"] in codes:
            return True
        raise
    return False


def _exists_iam_role(project: Project, v: dict[str, Any]) -> bool:
    return not _missing(lambda: project.client("iam").get_role(RoleName=v["name"]), "NoSuchEntity")


def _exists_instance_profile(project: Project, v: dict[str, Any]) -> bool:
    iam = project.client("iam")
    return not _missing(lambda: iam.get_instance_profile(InstanceProfileName=v["name"]), "NoSuchEntity")


def _exists_user_pool(project: Project, v: dict[str, Any]) -> bool:
    cognito = project.client("cognito-idp")
    return not _missing(lambda: cognito.describe_user_pool(UserPoolId=v["id"]), "ResourceNotFoundException")


def _exists_user_pool_domain(project: Project, v: dict[str, Any]) -> bool:
    # Prefix domains are unique per region across AWS: a leftover one blocks the next deploy.
    found = project.client("cognito-idp").describe_user_pool_domain(Domain=v["domain"])
    return bool(found.get("DomainDescription", {}).get("Domain"))


def _exists_web_acl(project: Project, v: dict[str, Any]) -> bool:
    acls = project.client("wafv2").list_web_acls(Scope=v["scope"])["WebACLs"]
    return any(acl["ARN"] == v["arn"] for acl in acls)


def _exists_route53_record(project: Project, v: dict[str, Any]) -> bool:
    route53 = project.client("route53")
    zone = v["zone_id"]
    if _missing(lambda: route53.get_hosted_zone(Id=zone), "NoSuchHostedZone"):
        return False
    records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    name = v["name"].rstrip(".") + "."
    return any(r["Name"] == name and r["Type"] == v["type"] for r in records)


def _exists_scalable_target(project: Project, v: dict[str, Any]) -> bool:
    found = project.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace=v["service_namespace"], ResourceIds=[v["resource_id"]]
    )
    return bool(found["ScalableTargets"])


def _exists_scaling_policy(project: Project, v: dict[str, Any]) -> bool:
    found = project.client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace=v["service_namespace"], PolicyNames=[v["name"]]
    )
    return bool(found["ScalingPolicies"])


def _exists_dashboard(project: Project, v: dict[str, Any]) -> bool:
    listed = project.client("cloudwatch").list_dashboards()["DashboardEntries"]
    return any(d["DashboardName"] == v["dashboard_name"] for d in listed)


def _exists_subscription(project: Project, v: dict[str, Any]) -> bool:
    subscriptions = project.client("sns").list_subscriptions()["Subscriptions"]
    return any(s["SubscriptionArn"] == v["arn"] for s in subscriptions)


def _exists_kms_alias(project: Project, v: dict[str, Any]) -> bool:
    aliases = project.client("kms").list_aliases()["Aliases"]
    return any(a["AliasName"] == v["name"] for a in aliases)


def _exists_auto_scaling_group(project: Project, v: dict[str, Any]) -> bool:
    groups = project.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[v["name"]])
    return bool(groups["AutoScalingGroups"])


def _exists_capacity_provider(project: Project, v: dict[str, Any]) -> bool:
    found = project.client("ecs").describe_capacity_providers(capacityProviders=[v["name"]])
    return any(c.get("status") != "INACTIVE" for c in found["capacityProviders"])


def _exists_ecs_service(project: Project, v: dict[str, Any]) -> bool:
    ecs = project.client("ecs")
    if not ecs.describe_clusters(clusters=[v["cluster"]])["clusters"]:
        return False
    services = ecs.describe_services(cluster=v["cluster"], services=[v["name"]])["services"]
    return any(s["status"] != "INACTIVE" for s in services)  # ECS keeps deleted services INACTIVE


def _listed(call: Callable[[], dict[str, Any]], key: str, not_found: str) -> bool:
    """True when the describe call lists something. AWS answers a missing id with a NotFound
    error; moto sometimes with an empty list: both mean gone."""
    try:
        return bool(call()[key])
    except ClientError as error:
        if error.response["Error"]["Code"] == not_found:
            return False
        raise


def _exists_eip(project: Project, v: dict[str, Any]) -> bool:
    ec2 = project.client("ec2")
    return _listed(
        lambda: ec2.describe_addresses(AllocationIds=[v["id"]]), "Addresses", "InvalidAllocationID.NotFound"
    )


def _exists_launch_template(project: Project, v: dict[str, Any]) -> bool:
    ec2 = project.client("ec2")
    return _listed(
        lambda: ec2.describe_launch_templates(LaunchTemplateIds=[v["id"]]),
        "LaunchTemplates",
        "InvalidLaunchTemplateId.NotFound",
    )


def _exists_listener(project: Project, v: dict[str, Any]) -> bool:
    elbv2 = project.client("elbv2")
    return _listed(lambda: elbv2.describe_listeners(ListenerArns=[v["arn"]]), "Listeners", "ListenerNotFound")


def _exists_ecr_repository(project: Project, v: dict[str, Any]) -> bool:
    ecr = project.client("ecr")
    return _listed(
        lambda: ecr.describe_repositories(repositoryNames=[v["name"]]),
        "repositories",
        "RepositoryNotFoundException",
    )


def _exists_vpc_endpoint(project: Project, v: dict[str, Any]) -> bool:
    ec2 = project.client("ec2")
    try:
        found = ec2.describe_vpc_endpoints(VpcEndpointIds=[v["id"]])["VpcEndpoints"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "InvalidVpcEndpointId.NotFound":
            return False
        raise
    return any(e["State"].lower() != "deleted" for e in found)  # deleted endpoints stay visible a while


#: Types the tagging API does not list in the emulator, each with its own lookup.
LOOKUPS: dict[str, Callable[[Project, dict[str, Any]], bool]] = {
    "aws_iam_role": _exists_iam_role,
    "aws_iam_instance_profile": _exists_instance_profile,
    "aws_cognito_user_pool": _exists_user_pool,
    "aws_cognito_user_pool_domain": _exists_user_pool_domain,
    "aws_wafv2_web_acl": _exists_web_acl,
    "aws_route53_record": _exists_route53_record,
    "aws_appautoscaling_target": _exists_scalable_target,
    "aws_appautoscaling_policy": _exists_scaling_policy,
    "aws_cloudwatch_dashboard": _exists_dashboard,
    "aws_sns_topic_subscription": _exists_subscription,
    "aws_kms_alias": _exists_kms_alias,
    "aws_ecr_repository": _exists_ecr_repository,
    "aws_autoscaling_group": _exists_auto_scaling_group,
    "aws_ecs_capacity_provider": _exists_capacity_provider,
    "aws_ecs_service": _exists_ecs_service,
    "aws_eip": _exists_eip,
    "aws_launch_template": _exists_launch_template,
    "aws_lb_listener": _exists_listener,
    "aws_vpc_endpoint": _exists_vpc_endpoint,
}


def _kept_by_aws(project: Project, arn: str) -> bool:
    """True when a listed ARN is something AWS keeps after deletion, in its after-deletion state."""
    service = arn.split(":")[2]
    if service == "kms" and ":key/" in arn:
        state = project.client("kms").describe_key(KeyId=arn)["KeyMetadata"]["KeyState"]
        return state == "PendingDeletion"
    if service == "ecs":
        ecs = project.client("ecs")
        if ":task-definition/" in arn:
            return ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]["status"] == "INACTIVE"
        if ":cluster/" in arn:
            return all(c["status"] == "INACTIVE" for c in ecs.describe_clusters(clusters=[arn])["clusters"])
        if ":service/" in arn:
            cluster = arn.split("/")[-2]
            services = ecs.describe_services(cluster=cluster, services=[arn])["services"]
            return all(s["status"] == "INACTIVE" for s in services)
    if service == "ec2" and ":natgateway/" in arn:  # deleted NAT gateways stay visible for a while
        found = project.client("ec2").describe_nat_gateways(NatGatewayIds=[arn.rsplit("/", 1)[-1]])
        return all(n["State"] == "deleted" for n in found["NatGateways"])
    if service == "ec2" and ":vpc-endpoint/" in arn:
        endpoint = arn.rsplit("/", 1)[-1]
        found = project.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"]
        return all(e["State"].lower() == "deleted" for e in found)
    return False


def leftovers(project: Project, before: Inventory) -> list[str]:
    """Everything of `before` that is still in the emulator, one line each (empty: all gone)."""
    uncovered = sorted(
        {
            r.type
            for r in before.resources
            if r.type not in PARTS.keys() | LOOKUPS.keys() and r.address not in before.tagged
        }
    )
    found = [f"{t}: no check covers this type (add a lookup or a part to {__name__})" for t in uncovered]
    remaining = _tagged_arns(project)
    found += [
        f"{address}: still tagged ({arn})"
        for address, arn in sorted(before.tagged.items())
        if arn in remaining and not _kept_by_aws(project, arn)
    ]
    for resource in before.resources:
        lookup = LOOKUPS.get(resource.type)
        if lookup is not None and lookup(project, resource.values):
            found.append(f"{resource.address}: still exists")
    return found


def assert_nothing_left(project: Project, before: Inventory) -> None:
    """Fails listing every leftover, one per line."""
    found = leftovers(project, before)
    assert not found, "left behind after destroy:\n" + "\n".join(found)
