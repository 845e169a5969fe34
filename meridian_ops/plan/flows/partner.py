"""The partner request flow: partner -> partner hostname on the ingress gateway (mutual TLS,
client certificates from the program's private CA) -> the partner's routes; the three
authentication methods of the design (architecture section 01, '3rd-Party / Partner API':
OAuth 2.0 client credentials, API key + HMAC, mTLS certificates), each served, pending or a
recorded deviation. The partner hostname needs both a client certificate and a
client-credentials access token with the partner route's scope.

How a partner's connection reaches the gateway: a DNS-only name at the edge (Cloudflare: a
load balancer with `proxied: false` answering with a region's NLB addresses; AWS: Route 53
latency CNAMEs to the regions' NLBs, never an alias to CloudFront), so TLS is not ended at the
edge -> the region's NLB, a TCP listener on the partner port (443 with Cloudflare; with the AWS
edge, whose 443 is a TLS listener, a listener of its own) -> its target group, the gateway pod's
port that the partner Gateway's server listens on -> its security group admitting each partner
network of `meridian:partnerApi.allowedCidrs` on the partner port -> the partner Gateway
(MUTUAL). With no partner network configured the path is built and "closed by setting"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from meridian_ops.plan.flows.harness import Flow, Graph, known
from meridian_ops.plan.flows.partner_ca import trusts_partner_ca
from stacks.config.source import PROJECT_DIR
from stacks.outputs import RegionalKey

CA = "aws:acmpca/certificateAuthority:CertificateAuthority"
CA_CERT = "aws:acmpca/certificate:Certificate"
CA_INSTALL = "aws:acmpca/certificateAuthorityCertificate:CertificateAuthorityCertificate"
PARTNER_GATEWAY_REF = "istio-ingress/partner"
ROUTER_HOST = "graphql-router.graphql.svc.cluster.local"
LOAD_BALANCER = "cloudflare:index/loadBalancer:LoadBalancer"
POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
RECORD = "aws:route53/record:Record"
NLB_TLS_CERT = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"
"""The AWS Load Balancer Controller's annotation that puts a TLS listener on the NLB."""
NLB_TLS_PORTS = "service.beta.kubernetes.io/aws-load-balancer-ssl-ports"
"""The Service ports (numbers or names) that get the TLS listener; without it, every port
(kubernetes-sigs/aws-load-balancer-controller docs/guide/service/annotations.md, ssl-ports)."""
INGRESS_SG = "-ingress-nlb"
HTTPS = 443


GATEWAY_LABELS = {"istio": "ingressgateway"}
ARCHITECTURE_DOC = PROJECT_DIR / "docs" / "architecture.md"


def _deny_policies(regional: Graph, hostname: str) -> list[dict[str, Any]]:
    """The DENY rules of AuthorizationPolicies on the gateway pods that name the partner host."""
    rules: list[dict[str, Any]] = []
    for policy in regional.kube("AuthorizationPolicy", namespace="istio-ingress"):
        spec = regional.spec(policy)
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        if spec.get("action") != "DENY" or selector != GATEWAY_LABELS:
            continue
        for rule in spec.get("rules") or []:
            ops = [t.get("operation") or {} for t in rule.get("to") or []]
            if any(hostname in (op.get("hosts") or []) for op in ops):
                rules.append(rule)
    return rules


def _client_credentials(
    flow: Flow, regional: Graph, name: str, hostname: str, tokens: dict[str, Any]
) -> None:
    """The OAuth link: tokens of this issuer validated on the gateway pods, none refused on the
    partner host, only access tokens, and each partner route's scope held by the M2M client."""
    authn = [
        r
        for s in regional.kube("RequestAuthentication", namespace="istio-ingress")
        if ((regional.spec(s).get("selector") or {}).get("matchLabels") or {}) == GATEWAY_LABELS
        for r in regional.spec(s).get("jwtRules") or []
    ]
    issuer = tokens["issuer"]
    if known(issuer) and authn and known(authn[0].get("issuer")):
        ok = any(r.get("issuer") == issuer and r.get("jwksUri") == tokens["jwks"] for r in authn)
    else:
        ok = bool(authn) and not known(issuer)
    flow.check(
        name,
        "OAuth 2.0 client credentials: tokens of this environment's issuer validated",
        ok,
        f"no RequestAuthentication on the gateway pods for issuer {issuer!r}",
    )
    rules = _deny_policies(regional, hostname)
    flow.check(
        name,
        "OAuth 2.0 client credentials: no token, no request on the partner host",
        any(
            (f.get("source") or {}).get("notRequestPrincipals") == ["*"]
            and not any((t.get("operation") or {}).get("paths") for t in r.get("to") or [])
            for r in rules
            for f in r.get("from") or []
        ),
        f"no DENY of token-less requests to {hostname}",
    )
    flow.check(
        name,
        "OAuth 2.0 client credentials: access tokens only",
        any(
            w.get("key") == "request.auth.claims[token_use]" and w.get("notValues") == ["access"]
            for r in rules
            for w in r.get("when") or []
        ),
        "ID tokens are not refused on the partner host",
    )
    for route in tokens["routes"]:
        needed = {f"{tokens['server']}/{s}" for s in route["scopes"] if s in tokens["m2m"]}
        denied = [
            set(w.get("notValues") or [])
            for r in rules
            if any(
                p in (t.get("operation") or {}).get("paths", [])
                for t in r.get("to") or []
                for p in route["paths"]
            )
            for w in r.get("when") or []
            if w.get("key") == "request.auth.claims[scope]"
        ]
        flow.check(
            name,
            f"OAuth 2.0 client credentials: {route['id']} needs the M2M client's scope",
            bool(needed) and any(d and d <= needed for d in denied),
            f"no DENY of tokens without {sorted(needed)} on {route['paths']} of {hostname}",
        )


def partner_flow(
    regional: Graph,
    hostname: str,
    tokens: dict[str, Any],
    edge: Graph | None = None,
    allowed_cidrs: Sequence[str] = (),
    environment: Graph | None = None,
) -> Flow:
    """`tokens`: the global stack's `issuer` and `jwks` exports, the resource `server`, the M2M
    client's scopes (`m2m`) and the partner `routes` (id, paths, scopes), from stacks/data.
    `edge`: the environment's edge stack; `allowed_cidrs`: `meridian:partnerApi.allowedCidrs`;
    `environment`: the global stack, which holds the environment's one partner CA (the
    region's own graph when not given)."""
    flow = Flow()
    region = regional.stack.split("-", 1)[1]
    name = f"partner {hostname} in {region}"
    holder = environment or regional
    cas = holder.of_type(CA)
    ca = cas[0] if cas else None
    flow.check(name, "private client CA", ca is not None, "no AWS Private CA for partners")
    ocsp = ((ca or {}).get("inputs") or {}).get("revocationConfiguration") or {}
    flow.check(
        name,
        "client CA publishes certificate status (OCSP)",
        bool((ocsp.get("ocspConfiguration") or {}).get("enabled")),
        "the partner CA has no revocation (OCSP) configured",
    )
    installs = holder.of_type(CA_INSTALL)
    flow.check(name, "CA certificate installed", bool(installs), "the root CA is never activated")
    gateways = regional.kube("Gateway", "partner", "istio-ingress")
    servers = regional.spec(gateways[0])["servers"] if gateways else []
    mine = [s for s in servers if f"*/{hostname}" in s.get("hosts", [])]
    tls = (mine[0].get("tls") or {}) if mine else {}
    server_port = ((mine[0].get("port") or {}).get("number")) if mine else None
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
        trusts_partner_ca(environment, regional)
        if environment is not None
        else bool(secrets and certs and any(regional.reaches(secrets[0], c) for c in certs)),
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
    _client_credentials(flow, regional, name, hostname, tokens)
    flow.check(
        name,
        "API key + HMAC signature: recorded deviation",
        any(
            line.startswith("| Partner auth") and "HMAC" in line
            for line in ARCHITECTURE_DOC.read_text(encoding="utf-8").splitlines()
        ),
        "Envoy has no HMAC filter and no verifier is built, yet docs/architecture.md's "
        "deviations table does not say so",
    )
    _reach(flow, regional, edge, Reach(name, hostname, region, server_port), allowed_cidrs)
    return flow


@dataclass(frozen=True)
class Reach:
    flow: str
    hostname: str
    region: str
    server_port: int | None
    """The partner Gateway server's port number (a Service port of the gateway)."""


@dataclass(frozen=True)
class _ServicePort:
    name: str
    port: int
    target: Any


def _gateway_service(regional: Graph) -> tuple[list[_ServicePort], set[str] | None]:
    """The ingress gateway Service's ports and the ones the NLB ends TLS on (None: no TLS
    listener at all), from the gateway release's values."""
    releases = [
        r
        for r in regional.of_type(RELEASE)
        if ((r.get("inputs") or {}).get("namespace")) == "istio-ingress"
        and ((r["inputs"].get("values") or {}).get("service") or {}).get("ports")
    ]
    if not releases:
        return [], None
    service = releases[0]["inputs"]["values"]["service"]
    ports = [
        _ServicePort(str(p.get("name") or ""), int(p["port"]), p.get("targetPort", p["port"]))
        for p in service.get("ports") or []
    ]
    annotations = service.get("annotations") or {}
    if NLB_TLS_CERT not in annotations:
        return ports, None
    listed = str(annotations.get(NLB_TLS_PORTS) or "")
    tls = {x.strip() for x in listed.split(",") if x.strip()}
    return ports, tls or {p.name for p in ports} | {str(p.port) for p in ports}


def _passthrough_ports(regional: Graph) -> list[_ServicePort]:
    """The gateway Service's ports whose NLB listener is TCP (no TLS ended at the NLB), 443
    first."""
    ports, tls = _gateway_service(regional)
    open_ports = [p for p in ports if tls is None or not {p.name, str(p.port)} & tls]
    return sorted(open_ports, key=lambda p: (p.port != HTTPS, p.port))


def partner_networks(regional: Graph) -> set[str]:
    """The CIDRs the ingress NLB's security group admits as partner networks on the partner port
    (the first TCP passthrough listener)."""
    passthrough = _passthrough_ports(regional)
    if not passthrough:
        return set()
    port = passthrough[0].port
    groups = [s for s in regional.of_type(SECURITY_GROUP) if s["urn"].endswith(INGRESS_SG)]
    admitted: set[str] = set()
    for group in groups:
        for rule in (group.get("inputs") or {}).get("ingress") or []:
            if rule.get("fromPort") != port or rule.get("toPort") != port:
                continue
            if "partner network" not in (rule.get("description") or ""):
                continue
            admitted |= set(rule.get("cidrBlocks") or []) | set(rule.get("ipv6CidrBlocks") or [])
    return admitted


def _egress_ports(regional: Graph) -> set[Any]:
    groups = [s for s in regional.of_type(SECURITY_GROUP) if s["urn"].endswith(INGRESS_SG)]
    return {
        rule.get("fromPort")
        for g in groups
        for rule in (g.get("inputs") or {}).get("egress") or []
        if rule.get("fromPort") == rule.get("toPort")
    }


def _cloudflare_name(flow: Flow, edge: Graph, reach: Reach, nlb: Any, step: str) -> None:
    """A DNS-only Cloudflare load balancer on the partner hostname over this region's pool."""
    balancers = [
        s
        for s in edge.of_type(LOAD_BALANCER)
        if (s.get("inputs") or {}).get("name") == reach.hostname
    ]
    inputs = (balancers[0].get("inputs") or {}) if balancers else {}
    flow.check(
        reach.flow,
        f"{step}: DNS-only name at the edge",
        bool(balancers) and inputs.get("proxied") is False,
        f"no DNS-only (proxied false) load balancer on {reach.hostname}: the edge would end the "
        "partner's TLS and its client certificate with it",
    )
    pools = [
        p
        for p in edge.of_type(POOL)
        if any(o.get("name") == reach.region for o in (p.get("inputs") or {}).get("origins") or [])
    ]
    addresses = [o.get("address") for p in pools for o in p["inputs"].get("origins") or []]
    flow.check(
        reach.flow,
        f"{step}: the name resolves to this region's NLB",
        bool(balancers)
        and any(edge.reaches(balancers[0], p) for p in pools)
        and (not known(nlb) or nlb in addresses or not all(map(known, addresses))),
        f"the load balancer on {reach.hostname} has no pool whose origin is "
        f"{reach.region}'s ingress NLB",
    )


def _route53_name(flow: Flow, edge: Graph, reach: Reach, nlb: Any, step: str) -> None:
    """Route 53 latency CNAMEs on the partner hostname, one per region with its health check,
    and no alias of it to the distribution (CloudFront would end the partner's TLS)."""
    records = [
        s for s in edge.of_type(RECORD) if (s.get("inputs") or {}).get("name") == reach.hostname
    ]
    aliased = [r for r in records if (r.get("inputs") or {}).get("aliases")]
    behind = [
        d
        for d in edge.of_type(DISTRIBUTION)
        if reach.hostname in ((d.get("inputs") or {}).get("aliases") or [])
    ]
    flow.check(
        reach.flow,
        f"{step}: DNS-only name at the edge",
        bool(records) and not aliased and not behind,
        f"no Route 53 record on {reach.hostname} pointing past CloudFront: CloudFront would end "
        "the partner's TLS and its client certificate with it",
    )
    mine = [
        r
        for r in records
        if (r.get("inputs") or {}).get("setIdentifier") == reach.region
        and (r["inputs"].get("type") == "CNAME")
        and (r["inputs"].get("latencyRoutingPolicies") or [{}])[0].get("region") == reach.region
        and r["inputs"].get("healthCheckId") is not None
    ]
    targets = [t for r in mine for t in r["inputs"].get("records") or []]
    flow.check(
        reach.flow,
        f"{step}: the name resolves to this region's NLB",
        bool(mine) and (not known(nlb) or nlb in targets or not all(map(known, targets))),
        f"no health-checked latency record on {reach.hostname} for {reach.region} naming its "
        "ingress NLB",
    )


def _reach(
    flow: Flow, regional: Graph, edge: Graph | None, reach: Reach, cidrs: Sequence[str]
) -> None:
    """DNS-only name at the edge -> this region's NLB, a TCP listener on the partner port -> its
    target group on the partner Gateway's pod port -> the security group admitting the partner
    networks on that port -> the MUTUAL partner Gateway (checked above)."""
    step = "partner connection reaches the gateway with its own certificate"
    nlb = (regional.plan.get("outputs") or {}).get(RegionalKey.INGRESS_HOSTNAME)
    if edge is None:
        flow.check(reach.flow, f"{step}: DNS-only name at the edge", False, "no edge stack")
    elif edge.of_type(LOAD_BALANCER):
        _cloudflare_name(flow, edge, reach, nlb, step)
    else:
        _route53_name(flow, edge, reach, nlb, step)
    passthrough = _passthrough_ports(regional)
    port = passthrough[0] if passthrough else None
    flow.check(
        reach.flow,
        f"{step}: the NLB passes TCP on the partner port to the gateway",
        port is not None,
        "every listener of the ingress NLB is TLS: it ends the partner's TLS before the gateway",
    )
    ports, _ = _gateway_service(regional)
    server = [p.target for p in ports if p.port == reach.server_port]
    flow.check(
        reach.flow,
        f"{step}: the listener's target group is the partner Gateway's port",
        port is not None
        and bool(server)
        and port.target == server[0]
        and port.target in _egress_ports(regional),
        f"the partner listener's targets ({port.target if port else None}) are not the gateway "
        f"pod port of the partner server's port {reach.server_port} ({server}), or the NLB's "
        "security group does not let it reach them",
    )
    where = f"{port.port}" if port else "the partner port"
    if not cidrs:
        flow.closed(
            reach.flow,
            f"{step}: partner networks admitted on the partner port",
            f"closed by setting: meridian:partnerApi.allowedCidrs lists no partner network "
            f"(the NLB's {where} admits none)",
        )
        return
    missing = sorted(set(cidrs) - partner_networks(regional))
    flow.check(
        reach.flow,
        f"{step}: partner networks admitted on the partner port",
        not missing,
        f"the ingress NLB's security group does not admit {missing} on {where}",
    )
