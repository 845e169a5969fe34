"""PartnerAccess: the partner hostname's mutual-TLS entry. Partners present a client
certificate issued by the program's private CA (AWS Private CA, ROOT, OCSP on); the ingress
gateway's `partner` Gateway demands it (`tls.mode: MUTUAL`, the CA's certificate as `ca.crt`).

Example::

    access = PartnerAccess(
        "partner",
        PartnerAccessArgs(
            names=names, hostname="partners.meridian.example.com",
            key_algorithm="EC_secp384r1", cluster_provider=cluster.provider,
            tls_provider=tls.Provider("tls-partner"), after=mesh.ready,
        ),
        opts=pulumi.ResourceOptions(provider=aws_provider),
    )
    partner_gateway = access.gateway_ref  # "istio-ingress/partner"

What it builds, and why:
- `aws.acmpca.CertificateAuthority` (ROOT, GENERAL_PURPOSE, key in FIPS 140-2 level 3 HSMs, OCSP
  on so relying parties can check a partner certificate's status), its self-signed CA
  certificate (template RootCACertificate/V1) and its installation; the CA is protected.
  Partner certificates are issued from it per partner (`aws acm-pca issue-certificate` on the
  partner's CSR), outside this program.
- The server certificate the gateway presents on the partner hostname (self-signed: see README
  Known limits) and the `partner-tls` Secret (`tls.crt`, `tls.key`, `ca.crt` = the CA).
- Gateway `partner` in istio-ingress: HTTPS 443 for the partner hostname only, MUTUAL, TLS 1.2+.
- EnvoyFilter `partner-identity`, first in every HTTP filter chain of the ingress gateway pods: a
  header-mutation filter removes any client-supplied `identity_header` and then sets it from the
  verified client certificate's URI SANs (Envoy's `%DOWNSTREAM_PEER_URI_SAN%`; empty, so not
  added, without a client certificate). A partner certificate's URI SAN is
  `urn:meridian:partner:<tier>:<partner id>`, chosen when the certificate is issued (the
  `EndEntityCertificate_APIPassthrough/V1` template passes the SAN through); the rate-limit
  service limits each partner at its tier's rate from this header, which a partner cannot forge
  without a certificate the CA signed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from components.common.kubernetes import custom_object, object_meta
from components.common.naming import Names

INGRESS_NAMESPACE = "istio-ingress"
GATEWAY = "partner"
GATEWAY_REF = f"{INGRESS_NAMESPACE}/{GATEWAY}"
SECRET = "partner-tls"
HTTPS_PORT = 443
IDENTITY_FILTER = "partner-identity"
HEADER_MUTATION_TYPE = (
    "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation"
)
PEER_URI_SAN = "%DOWNSTREAM_PEER_URI_SAN%"
"""Envoy's substitution for the peer certificate's URI SANs (comma-separated)."""
SIGNING: dict[str, str] = {
    "RSA_2048": "SHA256WITHRSA",
    "RSA_4096": "SHA512WITHRSA",
    "EC_prime256v1": "SHA256WITHECDSA",
    "EC_secp384r1": "SHA384WITHECDSA",
}
"""The CA's signing algorithm for each key algorithm (AWS Private CA API,
CertificateAuthorityConfiguration: KeyAlgorithm and SigningAlgorithm values)."""
CA_VALIDITY_YEARS = 10
SERVER_CERT_HOURS = 24 * 365


@dataclass(frozen=True)
class PartnerAccessArgs:
    names: Names
    hostname: str
    key_algorithm: str
    cluster_provider: k8s.Provider
    tls_provider: tls.Provider
    identity_header: str = "x-meridian-partner"
    gateway_labels: Mapping[str, str] = field(default_factory=lambda: {"istio": "ingressgateway"})
    after: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if self.key_algorithm not in SIGNING:
            raise ValueError(f"key_algorithm {self.key_algorithm!r}: use one of {sorted(SIGNING)}")


def partner_gateway_spec(hostname: str) -> dict[str, Any]:
    """The partner Gateway: the partner hostname only, client certificate required."""
    return {
        "selector": {"istio": "ingressgateway"},
        "servers": [
            {
                "port": {"number": HTTPS_PORT, "name": "https-partner", "protocol": "HTTPS"},
                "hosts": [f"*/{hostname}"],
                "tls": {
                    "mode": "MUTUAL",
                    "credentialName": SECRET,
                    "minProtocolVersion": "TLSV1_2",
                },
            }
        ],
    }


def identity_filter_spec(labels: Mapping[str, str], header: str) -> dict[str, Any]:
    """The header-mutation filter (a name of its own: Envoy picks the filter by its config's
    type) first in each gateway HTTP chain: remove the client's `header`, set it from the peer
    certificate."""
    return {
        "workloadSelector": {"labels": dict(labels)},
        "configPatches": [
            {
                "applyTo": "HTTP_FILTER",
                "match": {
                    "context": "GATEWAY",
                    "listener": {
                        "filterChain": {
                            "filter": {"name": "envoy.filters.network.http_connection_manager"}
                        }
                    },
                },
                "patch": {
                    "operation": "INSERT_FIRST",
                    "value": {
                        "name": "meridian.partner_identity",
                        "typed_config": {
                            "@type": HEADER_MUTATION_TYPE,
                            "mutations": {
                                "request_mutations": [
                                    {"remove": header},
                                    {
                                        "append": {
                                            "header": {"key": header, "value": PEER_URI_SAN},
                                            "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                                        }
                                    },
                                ]
                            },
                        },
                    },
                },
            }
        ],
    }


class PartnerAccess(pulumi.ComponentResource):
    """The partner client CA and mutual-TLS Gateway; see the module docstring."""

    gateway_ref: str = GATEWAY_REF
    ca_certificate_pem: pulumi.Output[str]

    def __init__(
        self, name: str, args: PartnerAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:partner:PartnerAccess", name, None, opts)
        in_aws = pulumi.ResourceOptions(parent=self)
        signing = SIGNING[args.key_algorithm]
        self.ca = aws.acmpca.CertificateAuthority(
            f"{name}-client-ca",
            type="ROOT",
            usage_mode="GENERAL_PURPOSE",
            key_storage_security_standard="FIPS_140_2_LEVEL_3_OR_HIGHER",
            certificate_authority_configuration={
                "key_algorithm": args.key_algorithm,
                "signing_algorithm": signing,
                "subject": {
                    "common_name": f"{args.names.prefix} partner client CA",
                    "organization": "Meridian",
                },
            },
            revocation_configuration={"ocsp_configuration": {"enabled": True}},
            permanent_deletion_time_in_days=30,
            opts=in_aws.merge(pulumi.ResourceOptions(protect=True)),
        )
        partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self)).partition
        ca_cert = aws.acmpca.Certificate(
            f"{name}-client-ca-cert",
            certificate_authority_arn=self.ca.arn,
            certificate_signing_request=self.ca.certificate_signing_request,
            signing_algorithm=signing,
            template_arn=partition.apply(
                lambda p: f"arn:{p}:acm-pca:::template/RootCACertificate/V1"
            ),
            validity={"type": "YEARS", "value": str(CA_VALIDITY_YEARS)},
            opts=in_aws,
        )
        installed = aws.acmpca.CertificateAuthorityCertificate(
            f"{name}-client-ca-install",
            certificate_authority_arn=self.ca.arn,
            certificate=ca_cert.certificate,
            certificate_chain=ca_cert.certificate_chain,
            opts=in_aws,
        )
        self.ca_certificate_pem = ca_cert.certificate

        in_tls = pulumi.ResourceOptions(parent=self, provider=args.tls_provider)
        key = tls.PrivateKey(
            f"{name}-server-key", algorithm="ECDSA", ecdsa_curve="P256", opts=in_tls
        )
        server = tls.SelfSignedCert(
            f"{name}-server-cert",
            private_key_pem=key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(
                common_name=args.hostname, organization="Meridian"
            ),
            dns_names=[args.hostname],
            validity_period_hours=SERVER_CERT_HOURS,
            early_renewal_hours=24 * 30,
            allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
            opts=in_tls,
        )
        kube = pulumi.ResourceOptions(parent=self, provider=args.cluster_provider)
        self.secret = k8s.core.v1.Secret(
            f"{name}-tls",
            metadata=object_meta(SECRET, INGRESS_NAMESPACE),
            type="kubernetes.io/tls",
            string_data={
                "tls.crt": server.cert_pem,
                "tls.key": key.private_key_pem,
                "ca.crt": ca_cert.certificate,
            },
            opts=kube.merge(
                pulumi.ResourceOptions(
                    depends_on=[*args.after, installed],
                    additional_secret_outputs=["stringData", "data"],
                )
            ),
        )
        self.gateway = custom_object(
            f"{name}-gateway",
            "networking.istio.io/v1",
            "Gateway",
            object_meta(GATEWAY, INGRESS_NAMESPACE),
            partner_gateway_spec(args.hostname),
            kube.merge(pulumi.ResourceOptions(depends_on=[self.secret, *args.after])),
        )
        self.identity = custom_object(
            f"{name}-identity",
            "networking.istio.io/v1alpha3",
            "EnvoyFilter",
            object_meta(IDENTITY_FILTER, INGRESS_NAMESPACE),
            identity_filter_spec(args.gateway_labels, args.identity_header),
            kube.merge(pulumi.ResourceOptions(depends_on=list(args.after))),
        )
        self.register_outputs(
            {"clientCaArn": self.ca.arn, "clientCaCertificate": self.ca_certificate_pem}
        )
