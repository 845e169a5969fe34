"""The partner request flow: partner -> partner hostname on the ingress gateway (mutual TLS,
client certificates from the program's private CA) -> the partner's routes; the three
authentication methods of the design (architecture section 01, '3rd-Party / Partner API':
OAuth 2.0 client credentials, API key + HMAC, mTLS certificates), each served or pending."""

from __future__ import annotations

from tests.flows.harness import Flow, Graph

CA = "aws:acmpca/certificateAuthority:CertificateAuthority"
CA_CERT = "aws:acmpca/certificate:Certificate"
CA_INSTALL = "aws:acmpca/certificateAuthorityCertificate:CertificateAuthorityCertificate"
PARTNER_GATEWAY_REF = "istio-ingress/partner"
ROUTER_HOST = "graphql-router.graphql.svc.cluster.local"


def partner_flow(regional: Graph, hostname: str) -> Flow:
    flow = Flow()
    region = regional.stack.split("-", 1)[1]
    name = f"partner {hostname} in {region}"
    cas = regional.of_type(CA)
    ca = cas[0] if cas else None
    flow.check(name, "private client CA", ca is not None, "no AWS Private CA for partners")
    ocsp = ((ca or {}).get("inputs") or {}).get("revocationConfiguration") or {}
    flow.check(
        name,
        "client CA publishes certificate status (OCSP)",
        bool((ocsp.get("ocspConfiguration") or {}).get("enabled")),
        "the partner CA has no revocation (OCSP) configured",
    )
    installs = regional.of_type(CA_INSTALL)
    flow.check(name, "CA certificate installed", bool(installs), "the root CA is never activated")
    gateways = regional.kube("Gateway", "partner", "istio-ingress")
    servers = regional.spec(gateways[0])["servers"] if gateways else []
    mine = [s for s in servers if f"*/{hostname}" in s.get("hosts", [])]
    tls = (mine[0].get("tls") or {}) if mine else {}
    flow.check(
        name,
        "MUTUAL TLS on the partner hostname",
        tls.get("mode") == "MUTUAL",
        f"no Gateway server for {hostname} demanding a client certificate (mode {tls.get('mode')})",
    )
    secrets = regional.kube("Secret", tls.get("credentialName", ""), "istio-ingress")
    certs = regional.of_type(CA_CERT)
    flow.check(
        name,
        "client CA bundle is the private CA's certificate",
        bool(secrets and certs and any(regional.reaches(secrets[0], c) for c in certs)),
        f"the Gateway's credential {tls.get('credentialName')!r} is not filled from the CA",
    )
    routes = [
        v
        for v in regional.kube("VirtualService")
        if PARTNER_GATEWAY_REF in regional.spec(v).get("gateways", [])
        and any(
            r["destination"]["host"] == ROUTER_HOST
            for h in regional.spec(v).get("http", [])
            for r in h.get("route", [])
        )
    ]
    flow.check(
        name,
        "GraphQL API on the partner Gateway",
        bool(routes),
        f"no VirtualService binds the router to {PARTNER_GATEWAY_REF}",
    )
    flow.pending(
        name,
        "OAuth 2.0 client credentials",
        "the M2M token's issuer and JWKS come from the identity (Cognito) stack, not in this "
        "program yet: no RequestAuthentication for the partner Gateway",
    )
    flow.pending(
        name,
        "API key + HMAC signature",
        "Envoy has no HMAC verification filter; a verifier (ext_authz service) is not built",
    )
    flow.pending(
        name,
        "partner connection reaches the gateway with its own certificate",
        "the NLB admits only the edge, which terminates TLS: partner mTLS needs a TLS-passthrough "
        "path (a DNS-only partner record and a partner-facing listener) not built yet",
    )
    return flow
