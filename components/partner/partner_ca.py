"""PartnerCa: the environment's one private CA for the partner API, built once (in the global
stack, in the primary region). It issues the partners' client certificates and every region's
partner server certificate, so one trust anchor serves the partner hostname wherever the edge
steers a partner.

Example::

    ca = PartnerCa(
        "partner-ca",
        PartnerCaArgs(names=names, scope=scope, key_algorithm="EC_secp384r1"),
        opts=pulumi.ResourceOptions(provider=primary_provider),
    )
    ca.arn, ca.certificate_pem  # exported for the regional stacks

What it builds, and why:
- `aws.acmpca.CertificateAuthority` (ROOT, GENERAL_PURPOSE, key in FIPS 140-2 level 3 HSMs, OCSP
  on so relying parties can check a certificate's status); protected: deleting it would void
  every partner's certificate.
- Its self-signed CA certificate (template RootCACertificate/V1) and the installation that
  activates the CA. Partner client certificates are issued from it per partner (`aws acm-pca
  issue-certificate` on the partner's CSR, template
  `EndEntityClientAuthCertificate_APIPassthrough/V1` to set the partner's URI SAN), outside this
  program; the regional stacks issue their server certificates from it
  (components/partner/partner_access.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.common.naming import Names
from components.common.scope import AwsScope

SIGNING: dict[str, str] = {
    "RSA_2048": "SHA256WITHRSA",
    "RSA_4096": "SHA512WITHRSA",
    "EC_prime256v1": "SHA256WITHECDSA",
    "EC_secp384r1": "SHA384WITHECDSA",
}
"""The CA's signing algorithm for each key algorithm (AWS Private CA API,
CertificateAuthorityConfiguration: KeyAlgorithm and SigningAlgorithm values)."""
CA_VALIDITY_YEARS = 10


def template_arn(partition: str, template: str) -> str:
    """An AWS Private CA certificate template's ARN (templates carry no region or account)."""
    return f"arn:{partition}:acm-pca:::template/{template}"


@dataclass(frozen=True)
class PartnerCaArgs:
    names: Names
    scope: AwsScope
    key_algorithm: str

    def __post_init__(self) -> None:
        if self.key_algorithm not in SIGNING:
            raise ValueError(f"key_algorithm {self.key_algorithm!r}: use one of {sorted(SIGNING)}")


class PartnerCa(pulumi.ComponentResource):
    """The partner API's one private CA; see the module docstring."""

    arn: pulumi.Output[str]
    certificate_pem: pulumi.Output[str]

    def __init__(
        self, name: str, args: PartnerCaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:partner:PartnerCa", name, None, opts)
        in_aws = pulumi.ResourceOptions(parent=self)
        signing = SIGNING[args.key_algorithm]
        self.ca = aws.acmpca.CertificateAuthority(
            name,
            type="ROOT",
            usage_mode="GENERAL_PURPOSE",
            key_storage_security_standard="FIPS_140_2_LEVEL_3_OR_HIGHER",
            certificate_authority_configuration={
                "key_algorithm": args.key_algorithm,
                "signing_algorithm": signing,
                "subject": {
                    "common_name": f"{args.names.prefix} partner CA",
                    "organization": "Meridian",
                },
            },
            revocation_configuration={"ocsp_configuration": {"enabled": True}},
            permanent_deletion_time_in_days=30,
            opts=in_aws.merge(pulumi.ResourceOptions(protect=True)),
        )
        ca_cert = aws.acmpca.Certificate(
            f"{name}-cert",
            certificate_authority_arn=self.ca.arn,
            certificate_signing_request=self.ca.certificate_signing_request,
            signing_algorithm=signing,
            template_arn=template_arn(args.scope.partition, "RootCACertificate/V1"),
            validity={"type": "YEARS", "value": str(CA_VALIDITY_YEARS)},
            opts=in_aws,
        )
        self.installed = aws.acmpca.CertificateAuthorityCertificate(
            f"{name}-install",
            certificate_authority_arn=self.ca.arn,
            certificate=ca_cert.certificate,
            certificate_chain=ca_cert.certificate_chain,
            opts=in_aws,
        )
        self.arn = self.ca.arn
        # read after the installation: a regional stack issuing from the CA needs it active
        self.certificate_pem = pulumi.Output.all(ca_cert.certificate, self.installed.id).apply(
            lambda parts: parts[0]
        )
        self.register_outputs({"arn": self.arn, "certificatePem": self.certificate_pem})
