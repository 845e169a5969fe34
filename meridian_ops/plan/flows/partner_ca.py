"""The partner trust flow: one partner CA per environment (the global stack's), trusted by every
region's partner Gateway and issuing every region's partner server certificate, so a partner
configures one trust anchor and one client certificate for the partner hostname, whichever
region the edge steers it to.

Links, per environment: the global stack has one AWS Private CA (ROOT, OCSP on, protected), its
CA certificate installed, and exports that CA's ARN, region and certificate; per region: no CA of
its own, no self-signed partner certificate, the `partner-tls` Secret's `ca.crt` is the exported
certificate, and its `tls.crt` is an `acmpca.Certificate` issued by the exported CA (from the
CA's region, server-auth template) on a CSR naming the partner hostname. Under preview the
values the global stack computes are unknown: a link then holds when the regional value is
drawn from the global stack's reference (its property dependencies name it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from meridian_ops.plan.flows.harness import Flow, Graph, State, known, unwrap
from stacks.outputs import GlobalKey

CA = "aws:acmpca/certificateAuthority:CertificateAuthority"
CA_CERT = "aws:acmpca/certificate:Certificate"
CA_INSTALL = "aws:acmpca/certificateAuthorityCertificate:CertificateAuthorityCertificate"
CSR = "tls:index/certRequest:CertRequest"
SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
ROOT_TEMPLATE = "template/RootCACertificate/V1"
SERVER_TEMPLATE = "template/EndEntityServerAuthCertificate/V1"
SECRET = "partner-tls"
NAMESPACE = "istio-ingress"


def _from_global(graph: Graph, state: State, prop: str, global_stack: str) -> bool:
    """Whether `prop` of `state` is drawn from the global stack's outputs (its property
    dependencies name the StackReference of `global_stack`)."""
    sources = (state.get("propertyDependencies") or {}).get(prop) or []
    return any(
        f"{STACK_REFERENCE}::" in urn and urn.endswith(f"/{global_stack}") for urn in sources
    )


def _same(value: Any, exported: Any, drawn: bool) -> bool:
    """A regional value equals the exported one: equal when both are known, else drawn from
    the global stack's reference."""
    if known(value) and known(exported):
        return value == exported
    return drawn


def _ca_flow(flow: Flow, environment: Graph) -> tuple[State | None, dict[str, Any]]:
    name = f"partner CA of {environment.stack}"
    cas = environment.of_type(CA)
    flow.check(name, "one partner CA", len(cas) == 1, f"{len(cas)} AWS Private CAs, not one")
    ca = cas[0] if len(cas) == 1 else None
    inputs = (ca or {}).get("inputs") or {}
    flow.check(
        name,
        "ROOT, OCSP on, protected",
        ca is not None
        and inputs.get("type") == "ROOT"
        and bool(
            ((inputs.get("revocationConfiguration") or {}).get("ocspConfiguration") or {}).get(
                "enabled"
            )
        )
        and bool(ca.get("protect")),
        "the partner CA is not a protected ROOT CA with OCSP",
    )
    roots = [
        c
        for c in environment.of_type(CA_CERT)
        if str((c.get("inputs") or {}).get("templateArn", "")).endswith(ROOT_TEMPLATE)
        and ca is not None
        and environment.reaches(c, ca)
    ]
    installs = [
        i for i in environment.of_type(CA_INSTALL) if roots and environment.reaches(i, roots[0])
    ]
    flow.check(
        name,
        "CA certificate issued and installed",
        bool(roots and installs),
        "the CA is never activated",
    )
    outputs = environment.plan.get("outputs") or {}
    exported = {
        "arn": outputs.get(GlobalKey.PARTNER_CA_ARN),
        "region": outputs.get(GlobalKey.PARTNER_CA_REGION),
        "certificate": outputs.get(GlobalKey.PARTNER_CA_CERTIFICATE),
    }
    ca_arn = ((ca or {}).get("outputs") or {}).get("arn")
    root_pem = ((roots[0] if roots else {}).get("outputs") or {}).get("certificate")
    flow.check(
        name,
        "exports the CA's ARN, region and certificate",
        ca is not None
        and bool(roots)
        and GlobalKey.PARTNER_CA_ARN.value in outputs
        and GlobalKey.PARTNER_CA_CERTIFICATE.value in outputs
        and known(exported["region"])
        and (exported["arn"] == ca_arn if known(ca_arn) else not known(exported["arn"]))
        and (
            exported["certificate"] == root_pem
            if known(root_pem)
            else not known(exported["certificate"])
        ),
        f"the exports {sorted(k for k in outputs if 'partner' in k.lower())} are not the CA's",
    )
    return ca, exported


def _region_flow(
    flow: Flow, environment: Graph, regional: Graph, hostname: str, exported: dict[str, Any]
) -> None:
    name = f"partner trust in {regional.stack}"
    flow.check(
        name,
        "no partner CA of its own",
        not regional.of_type(CA),
        "the region runs its own Private CA: its client certificates fail in other regions",
    )
    flow.check(
        name,
        "no self-signed partner certificate",
        not [
            s
            for s in regional.of_type(SELF_SIGNED)
            if hostname in ((s.get("inputs") or {}).get("dnsNames") or [])
        ],
        f"a self-signed certificate for {hostname}: partners cannot pin one anchor",
    )
    secrets = regional.kube("Secret", SECRET, NAMESPACE)
    secret = secrets[0] if secrets else None
    data = unwrap(((secret or {}).get("inputs") or {}).get("stringData")) or {}
    data = data if isinstance(data, dict) else {}
    drawn = secret is not None and _from_global(regional, secret, "stringData", environment.stack)
    flow.check(
        name,
        "the Gateway trusts the environment's partner CA",
        secret is not None and _same(data.get("ca.crt"), exported["certificate"], drawn),
        f"{NAMESPACE}/{SECRET} ca.crt is not the global stack's partner CA certificate",
    )
    issued = [
        c
        for c in regional.of_type(CA_CERT)
        if str((c.get("inputs") or {}).get("templateArn", "")).endswith(SERVER_TEMPLATE)
    ]
    mine = [
        c
        for c in issued
        if _same(
            (c.get("inputs") or {}).get("certificateAuthorityArn"),
            exported["arn"],
            _from_global(regional, c, "certificateAuthorityArn", environment.stack),
        )
    ]
    server = mine[0] if mine else None
    flow.check(
        name,
        "the server certificate is issued by the partner CA",
        server is not None,
        "no acmpca.Certificate (server-auth template) issued by the exported partner CA",
    )
    csrs = [r for r in regional.of_type(CSR) if server is not None and regional.reaches(server, r)]
    flow.check(
        name,
        "for the partner hostname",
        any(((r.get("inputs") or {}).get("dnsNames") or []) == [hostname] for r in csrs),
        f"the partner CA's certificate is not requested for {hostname} (DNS SAN)",
    )
    provider = regional.by_urn.get(str((server or {}).get("provider", "")).rsplit("::", 1)[0])
    region = ((provider or {}).get("inputs") or {}).get("region")
    flow.check(
        name,
        "issued in the CA's region",
        server is not None and (region == exported["region"] or not known(exported["region"])),
        f"the server certificate's provider is in {region!r}, the CA in {exported['region']!r}",
    )
    served = unwrap(data.get("tls.crt"))
    cert_pem = ((server or {}).get("outputs") or {}).get("certificate")
    flow.check(
        name,
        "the Gateway presents it",
        secret is not None
        and server is not None
        and (
            served == cert_pem
            if known(served) and known(cert_pem)
            else regional.reaches(secret, server)
        ),
        f"{NAMESPACE}/{SECRET} tls.crt is not the certificate the partner CA issued",
    )


def partner_ca_flow(environment: Graph, regionals: Sequence[Graph], hostname: str) -> Flow:
    """`environment`: the global stack's graph; `regionals`: every regional stack's graph."""
    flow = Flow()
    _, exported = _ca_flow(flow, environment)
    for regional in regionals:
        _region_flow(flow, environment, regional, hostname, exported)
    return flow


def trusts_partner_ca(environment: Graph, regional: Graph) -> bool:
    """Whether the region's `partner-tls` Secret holds the global stack's exported partner CA
    certificate as `ca.crt`, and that export is the certificate of the global stack's CA (the
    partner request flow's client-CA-bundle link)."""
    flow = Flow()
    _, exported = _ca_flow(flow, environment)
    secrets = regional.kube("Secret", SECRET, NAMESPACE)
    if not secrets or any(link.step.startswith("exports") for link in flow.failing()):
        return False
    data = unwrap((secrets[0].get("inputs") or {}).get("stringData")) or {}
    data = data if isinstance(data, dict) else {}
    drawn = _from_global(regional, secrets[0], "stringData", environment.stack)
    return _same(data.get("ca.crt"), exported["certificate"], drawn)
