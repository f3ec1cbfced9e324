"""HTTPS: a :443 listener with a TLS 1.3 policy, :80 redirecting, optional domain with ACM + alias."""

from __future__ import annotations

from tests.infra.conftest import Synth

CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"


def test_default_serves_plain_http_on_80_only(default_synth: Synth) -> None:
    assert list(default_synth.resources("aws_lb_listener")) == ["load_balancer_http_listener"]
    assert default_synth.document()["output"]["mcp_url"]["value"].startswith("http://")


def test_certificate_gives_an_https_listener_with_a_tls13_policy(variant_synth: Synth) -> None:
    https = variant_synth.resources("aws_lb_listener")["load_balancer_https_listener"]
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["certificate_arn"] == CERTIFICATE
    assert https["default_action"] == [
        {"type": "forward", "target_group_arn": "${aws_lb_target_group.load_balancer_target_group.arn}"}
    ]


def test_port_80_answers_a_301_to_https(variant_synth: Synth) -> None:
    http = variant_synth.resources("aws_lb_listener")["load_balancer_http_listener"]
    (action,) = http["default_action"]
    assert action["type"] == "redirect"
    assert action["redirect"] == {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}


def test_outputs_and_service_follow_the_https_listener(variant_synth: Synth) -> None:
    outputs = variant_synth.document()["output"]
    assert outputs["mcp_url"]["value"] == "https://${aws_lb.load_balancer_alb.dns_name}/mcp"
    assert outputs["listener_arn"]["value"] == "${aws_lb_listener.load_balancer_https_listener.arn}"
    assert (
        "aws_lb_listener.load_balancer_https_listener"
        in variant_synth.resource("aws_ecs_service")["depends_on"]
    )


def test_domain_gets_a_dns_validated_certificate(full_synth: Synth) -> None:
    certificate = full_synth.resource("aws_acm_certificate")
    assert certificate["domain_name"] == "mcp.example.com"
    assert certificate["validation_method"] == "DNS"
    assert certificate["lifecycle"] == {"create_before_destroy": True}
    record = full_synth.resources("aws_route53_record")["domain_validation_record"]
    assert record["zone_id"] == "Z0123456789ABCDEFGHIJ"
    assert "domain_validation_options" in record["name"]
    validation = full_synth.resource("aws_acm_certificate_validation")
    assert validation["validation_record_fqdns"] == ["${aws_route53_record.domain_validation_record.fqdn}"]
    # The listener waits for the issued certificate, not just the requested one.
    https = full_synth.resources("aws_lb_listener")["load_balancer_https_listener"]
    assert https["certificate_arn"] == "${aws_acm_certificate_validation.domain_validation.certificate_arn}"


def test_domain_alias_points_at_the_alb_and_the_url_uses_it(full_synth: Synth) -> None:
    alias = full_synth.resources("aws_route53_record")["domain_alias"]
    assert (alias["name"], alias["type"]) == ("mcp.example.com", "A")
    assert alias["alias"]["name"] == "${aws_lb.load_balancer_alb.dns_name}"
    assert full_synth.document()["output"]["mcp_url"]["value"] == "https://mcp.example.com/mcp"


def test_domain_with_own_certificate_and_own_dns_creates_no_records(synthesize) -> None:
    synth = synthesize(domain_name="mcp.example.org", certificate_arn=CERTIFICATE)
    assert synth.resources("aws_route53_record") == {}
    assert synth.resources("aws_acm_certificate") == {}
    assert synth.document()["output"]["mcp_url"]["value"] == "https://mcp.example.org/mcp"
