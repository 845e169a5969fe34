"""OriginCertificate: the certificate the ingress gateway serves to the edge, and the client CA it
demands of the edge, as the Kubernetes TLS secret the edge Gateway's `credentialName` names.

Example::

    cert = OriginCertificate(
        "origin-cert",
        OriginCertificateArgs(
            names=names, issuer=OriginIssuer.CLOUDFLARE_ORIGIN_CA,
            hostnames=("api.example.com", "www.example.com"),
            client_ca_pem=CLOUDFLARE_ORIGIN_PULL_CA, tls_provider=tls_provider,
            cloudflare_provider=cloudflare_provider,
        ),
    )
    mesh = ServiceMesh("mesh", ServiceMeshArgs(..., edge_certificate=cert.credential))

What it builds, and why:
- Cloudflare (SSL Full (strict) and Authenticated Origin Pulls): an ECDSA P-256 key and a CSR for
  the public hostnames (pulumi-tls `PrivateKey`, `CertRequest`), signed by Cloudflare's Origin CA
  (`cloudflare.OriginCaCertificate`, `origin-ecc`, 365 days). Cloudflare trusts that CA in strict
  mode; the certificate is not publicly trusted and is meant only for Cloudflare-to-origin. The
  client CA is Cloudflare's published origin-pull CA: the gateway refuses any TLS client that does
  not present Cloudflare's origin-pull certificate (`tls.mode: MUTUAL`).
- AWS (CloudFront): a self-signed certificate on the same kind of key (pulumi-tls
  `SelfSignedCert`). CloudFront demands a publicly trusted origin certificate; the design is an
  ACM certificate on an NLB TLS listener that re-encrypts to the gateway without verifying this
  one, which then only keeps the last hop encrypted. That listener is not built yet (README,
  Known limits). No client CA: CloudFront presents no client certificate.

Validity values verified at Cloudflare's API reference (developers.cloudflare.com/api/terraform/
resources/origin_ca_certificates: `request_type` origin-rsa/origin-ecc/keyless-certificate,
hostnames FQDNs of the account's zones) and its Origin CA tool (requested_validity 7, 30, 90, 365,
730, 1095, 5475 days). pulumi-tls 5.6.2 argument names from its Python SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import pulumi
import pulumi_cloudflare as cloudflare
import pulumi_tls as tls

from components.common.naming import Names

ORIGIN_CA_VALIDITY_DAYS = 365
"""One year (an allowed Origin CA validity): the yearly rotation is a `pulumi up` that replaces the
certificate (README, Known limits)."""
SELF_SIGNED_VALIDITY_HOURS = 24 * 365
SELF_SIGNED_EARLY_RENEWAL_HOURS = 24 * 30


class OriginIssuer(StrEnum):
    CLOUDFLARE_ORIGIN_CA = "cloudflare-origin-ca"
    """Cloudflare's Origin CA (the Cloudflare edge, SSL Full (strict))."""
    SELF_SIGNED = "self-signed"
    """A self-signed certificate behind a TLS listener that does not verify it (the AWS edge)."""


@dataclass(frozen=True)
class OriginCredential:
    """What the gateway's TLS secret holds: certificate, key and, for MUTUAL, the client CA."""

    certificate_pem: pulumi.Input[str]
    private_key_pem: pulumi.Input[str]
    client_ca_pem: str | None
    """The CA the edge's client certificates chain to; None: the gateway asks for none."""
    issued_by: pulumi.Resource
    """The resource that issued the certificate (the secret waits for it)."""


@dataclass(frozen=True)
class OriginCertificateArgs:
    names: Names
    issuer: OriginIssuer
    hostnames: Sequence[str]
    """The names the edge connects with (SNI and Host); the first is the subject's CN."""
    tls_provider: tls.Provider
    cloudflare_provider: cloudflare.Provider | None = None
    """Needed for the Cloudflare Origin CA (its API token)."""
    client_ca_pem: str | None = None
    """The edge's client CA (Cloudflare's origin-pull CA); None: no client certificate asked."""

    def __post_init__(self) -> None:
        if not self.hostnames:
            raise ValueError("the origin certificate needs the hostnames the edge connects with")
        if self.issuer is OriginIssuer.CLOUDFLARE_ORIGIN_CA and self.cloudflare_provider is None:
            raise ValueError("the Cloudflare Origin CA needs a Cloudflare provider (API token)")
        if self.client_ca_pem is not None and "BEGIN CERTIFICATE" not in self.client_ca_pem:
            raise ValueError("client_ca_pem must be a PEM certificate")


class OriginCertificate(pulumi.ComponentResource):
    """The gateway's origin certificate; see the module docstring."""

    credential: OriginCredential

    def __init__(
        self, name: str, args: OriginCertificateArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:mesh:OriginCertificate", name, None, opts)
        in_tls = pulumi.ResourceOptions(parent=self, provider=args.tls_provider)
        common_name, organization = args.hostnames[0], args.names.prefix
        key = tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=in_tls)
        issued: pulumi.Resource
        if args.issuer is OriginIssuer.CLOUDFLARE_ORIGIN_CA:
            request = tls.CertRequest(
                f"{name}-csr",
                private_key_pem=key.private_key_pem,
                subject=tls.CertRequestSubjectArgs(
                    common_name=common_name, organization=organization
                ),
                dns_names=list(args.hostnames),
                opts=in_tls,
            )
            signed = cloudflare.OriginCaCertificate(
                f"{name}-origin-ca",
                csr=request.cert_request_pem,
                hostnames=list(args.hostnames),
                request_type="origin-ecc",
                requested_validity=ORIGIN_CA_VALIDITY_DAYS,
                opts=pulumi.ResourceOptions(parent=self, provider=args.cloudflare_provider),
            )
            certificate = signed.certificate
            issued = signed
        else:
            self_signed = tls.SelfSignedCert(
                f"{name}-self-signed",
                private_key_pem=key.private_key_pem,
                subject=tls.SelfSignedCertSubjectArgs(
                    common_name=common_name, organization=organization
                ),
                dns_names=list(args.hostnames),
                validity_period_hours=SELF_SIGNED_VALIDITY_HOURS,
                early_renewal_hours=SELF_SIGNED_EARLY_RENEWAL_HOURS,
                allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
                opts=in_tls,
            )
            certificate = self_signed.cert_pem
            issued = self_signed
        self.credential = OriginCredential(
            certificate_pem=certificate,
            private_key_pem=key.private_key_pem,
            client_ca_pem=args.client_ca_pem,
            issued_by=issued,
        )
        self.register_outputs({"issuer": str(args.issuer), "hostnames": list(args.hostnames)})
