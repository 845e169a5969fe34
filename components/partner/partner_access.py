"""PartnerAccess: the partner hostname's mutual-TLS entry in one region. Partners present a
client certificate issued by the environment's one partner CA (components/partner/partner_ca.py,
built by the global stack); the ingress gateway's `partner` Gateway demands it
(`tls.mode: MUTUAL`, that CA's certificate as `ca.crt`), and presents a server certificate the
same CA issued, so a partner configures one trust anchor for every region the edge steers it to.

Example::

    access = PartnerAccess(
        "partner",
        PartnerAccessArgs(
            names=names, scope=scope, hostname="partners.meridian.example.com",
            ca_arn=environment.partner_ca_arn(),
            ca_certificate_pem=environment.partner_ca_certificate(),
            ca_provider=primary_provider, key_algorithm="EC_secp384r1",
            cluster_provider=cluster.provider, tls_provider=tls.Provider("tls-partner"),
            after=mesh.ready,
        ),
        opts=pulumi.ResourceOptions(provider=aws_provider),
    )
    partner_gateway = access.gateway_ref  # "istio-ingress/partner"

What it builds, and why:
- The server certificate the gateway presents on the partner hostname: a private key made here
  (pulumi_tls; it never leaves the region's stack state and its Secret), a CSR naming the
  hostname as its DNS SAN, and an `aws.acmpca.Certificate` the partner CA issues from that CSR
  (template EndEntityServerAuthCertificate/V1: server-auth key usage, SAN from the CSR), made
  with a provider in the CA's region. No key material crosses stacks.
- The `partner-tls` Secret (`tls.crt` the issued certificate, `tls.key`, `ca.crt` = the partner
  CA's certificate).
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
from components.common.scope import AwsScope
from components.partner.partner_ca import SIGNING, template_arn

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
SERVER_CERT_DAYS = 365
SERVER_TEMPLATE = "EndEntityServerAuthCertificate/V1"
"""AWS Private CA's end-entity server template: key usage digital signature and key
encipherment, extended key usage server auth, subject alternative names from the CSR."""


@dataclass(frozen=True)
class PartnerAccessArgs:
    names: Names
    scope: AwsScope
    hostname: str
    ca_arn: pulumi.Input[str]
    """The environment's partner CA (the global stack's export)."""
    ca_certificate_pem: pulumi.Input[str]
    """Its CA certificate: the gateway's trust anchor for client certificates."""
    ca_provider: aws.Provider
    """An AWS provider in the CA's region (certificates are issued where the CA lives)."""
    key_algorithm: str
    """The CA's key algorithm: it fixes the signing algorithm of the certificates it issues."""
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
    """The partner server certificate and mutual-TLS Gateway; see the module docstring."""

    gateway_ref: str = GATEWAY_REF

    def __init__(
        self, name: str, args: PartnerAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("meridian:partner:PartnerAccess", name, None, opts)
        in_tls = pulumi.ResourceOptions(parent=self, provider=args.tls_provider)
        key = tls.PrivateKey(
            f"{name}-server-key", algorithm="ECDSA", ecdsa_curve="P256", opts=in_tls
        )
        request = tls.CertRequest(
            f"{name}-server-csr",
            private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=args.hostname, organization="Meridian"),
            dns_names=[args.hostname],
            opts=in_tls,
        )
        self.server_certificate = aws.acmpca.Certificate(
            f"{name}-server-cert",
            certificate_authority_arn=args.ca_arn,
            certificate_signing_request=request.cert_request_pem,
            signing_algorithm=SIGNING[args.key_algorithm],
            template_arn=template_arn(args.scope.partition, SERVER_TEMPLATE),
            validity={"type": "DAYS", "value": str(SERVER_CERT_DAYS)},
            opts=pulumi.ResourceOptions(parent=self, provider=args.ca_provider),
        )
        kube = pulumi.ResourceOptions(parent=self, provider=args.cluster_provider)
        self.secret = k8s.core.v1.Secret(
            f"{name}-tls",
            metadata=object_meta(SECRET, INGRESS_NAMESPACE),
            type="kubernetes.io/tls",
            string_data={
                "tls.crt": self.server_certificate.certificate,
                "tls.key": key.private_key_pem,
                "ca.crt": args.ca_certificate_pem,
            },
            opts=kube.merge(
                pulumi.ResourceOptions(
                    depends_on=list(args.after),
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
        self.register_outputs({"serverCertificateArn": self.server_certificate.arn})
