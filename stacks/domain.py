"""Custom domain: a DNS-validated ACM certificate and an alias record pointing at the ALB."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from constructs import Construct

from server.problems import required


@dataclass(frozen=True)
class DomainProps:
    domain_name: str
    #: Zone to create records in; None when the user manages DNS (then a certificate ARN is required).
    hosted_zone_id: str | None
    #: An existing certificate; None creates one, validated through the zone.
    certificate_arn: str | None = None


class Domain(Construct):
    """Exposes ``certificate_arn`` (validated, usable by a listener) and ``alias_to(alb)``."""

    def __init__(self, scope: Construct, id_: str, props: DomainProps) -> None:
        super().__init__(scope, id_)
        self.props = props
        if props.certificate_arn is not None:
            self.certificate_arn: str = props.certificate_arn
            return
        hosted_zone_id = required(props.hosted_zone_id, "hosted_zone_id")  # or certificate_arn

        certificate = AcmCertificate(
            self,
            "certificate",
            domain_name=props.domain_name,
            validation_method="DNS",
            # A replacement certificate must be issued before the listener lets go of the old one.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # One domain, so one validation record.
        option = certificate.domain_validation_options.get(0)
        record = Route53Record(
            self,
            "validation_record",
            zone_id=hosted_zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
        )
        validation = AcmCertificateValidation(
            self, "validation", certificate_arn=certificate.arn, validation_record_fqdns=[record.fqdn]
        )
        # The validation's ARN, not the certificate's: listeners wait until the certificate is issued.
        self.certificate_arn = validation.certificate_arn

    def alias_to(self, alb: Lb) -> Route53Record | None:
        """An A alias record for the domain, when the zone is ours to write."""
        if self.props.hosted_zone_id is None:
            return None
        return Route53Record(
            self,
            "alias",
            zone_id=self.props.hosted_zone_id,
            name=self.props.domain_name,
            type="A",
            alias=Route53RecordAlias(name=alb.dns_name, zone_id=alb.zone_id, evaluate_target_health=True),
        )
