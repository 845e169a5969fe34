"""OriginListenerCertificate: the publicly trusted certificate a region's ingress NLB presents to
CloudFront (the AWS-native edge).

CloudFront connects to a custom origin over HTTPS only when the origin presents a certificate
signed by a publicly trusted CA whose names match the origin's domain name (CloudFront developer
guide, "Requirements for using SSL/TLS certificates with CloudFront", certificates for origins);
a self-signed or private-CA certificate fails the handshake. The origins CloudFront uses are
`origin.<zone>` (the latency record over the regions in rotation) and `<region>.origin.<zone>`
(the fallback origin of the failover group), so each region's certificate covers both.

What it builds, in the region's provider:
- an ACM certificate (ECDSA P-256, DNS validation, certificate transparency logging) for
  `origin.<zone>` with `<region>.origin.<zone>` as subject alternative name;
- the DNS validation records in the edge's zone. ACM gives every certificate of an account for a
  name the same validation record, so the `origin.<zone>` record is shared by the regions: each
  region upserts it (`allow_overwrite`) and keeps it when its stack is destroyed
  (`retain_on_delete`), so the other regions' renewals still find it;
- a `CertificateValidation` that waits until ACM has issued the certificate; the NLB's TLS
  listener (components/mesh/service_mesh.py, `origin_certificate_arn`) names its ARN, so the
  listener never points at a certificate that is still pending.

Example::

    origin = OriginListenerCertificate(
        "origin-listener",
        OriginListenerCertificateArgs(
            names=names, zone="staging.example.com", zone_id=zone_id, region="eu-west-1"
        ),
        opts=pulumi.ResourceOptions(provider=eu_west_1),
    )
    mesh = ServiceMesh("mesh", ServiceMeshArgs(..., origin_certificate_arn=origin.certificate_arn))
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.acm import dns_validation_field
from components.common.naming import Names

VALIDATION_TTL = 60


@dataclass(frozen=True)
class OriginListenerCertificateArgs:
    names: Names
    zone: str
    """The edge's public zone: the origin names are `origin.<zone>` and `<region>.origin.<zone>`."""
    zone_id: pulumi.Input[str]
    """Its Route 53 id (the global stack hosts it), where the validation records go."""
    region: str

    def __post_init__(self) -> None:
        if not self.zone or self.zone.startswith(".") or self.zone.endswith("."):
            raise ValueError(f"the origin certificate needs the edge's zone, got {self.zone!r}")

    @property
    def origin_name(self) -> str:
        """The latency-routed origin name CloudFront connects to."""
        return f"origin.{self.zone}"

    @property
    def hostnames(self) -> tuple[str, str]:
        """The names on the certificate: the latency origin, then the region's own."""
        return self.origin_name, f"{self.region}.{self.origin_name}"


class OriginListenerCertificate(pulumi.ComponentResource):
    """The region's origin certificate for the NLB's TLS listener; see the module docstring."""

    certificate_arn: pulumi.Output[str]
    """The ARN of the issued certificate (known once ACM has validated it)."""

    def __init__(
        self,
        name: str,
        args: OriginListenerCertificateArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("meridian:edge:OriginListenerCertificate", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        first, *others = args.hostnames
        certificate = aws.acm.Certificate(
            f"{name}-certificate",
            domain_name=first,
            subject_alternative_names=others,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            options={"certificate_transparency_logging_preference": "ENABLED"},
            tags={"Name": args.names.display("origin", args.region)},
            opts=child,
        )
        records = [
            aws.route53.Record(
                f"{name}-validation-{hostname}",
                zone_id=args.zone_id,
                name=dns_validation_field(certificate, hostname, "resource_record_name"),
                type=dns_validation_field(certificate, hostname, "resource_record_type"),
                records=[dns_validation_field(certificate, hostname, "resource_record_value")],
                ttl=VALIDATION_TTL,
                allow_overwrite=True,
                # the shared name's record serves every region's certificate: keep it
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=hostname == first),
            )
            for hostname in args.hostnames
        ]
        validation = aws.acm.CertificateValidation(
            f"{name}-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[r.fqdn for r in records],
            opts=child,
        )
        self.certificate_arn = validation.certificate_arn
        self.register_outputs(
            {"hostnames": list(args.hostnames), "certificateArn": validation.certificate_arn}
        )
