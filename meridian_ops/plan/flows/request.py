"""The request flow: edge -> origin -> NLB security group -> TLS (origin certificate, client
certificate) -> edge Gateway -> VirtualService -> tenant service -> AuthorizationPolicy, for every
route of the routing table, plus the edge monitor's /health answered by the gateway."""

from __future__ import annotations

from typing import Any

from components.edge.origin_pull import CLOUDFLARE_ORIGIN_PULL_CA
from components.mesh.service_mesh import (
    EDGE_GATEWAY,
    EDGE_GATEWAY_REF,
    GATEWAY_HTTPS_PORT,
    GATEWAY_NAME,
    GATEWAY_PRINCIPAL,
    HEALTH_STATUS,
    INGRESS_NAMESPACE,
)
from components.tenancy.services import BY_NAME
from meridian_ops.plan.flows.harness import Flow, Graph, known, name_of, unwrap
from stacks.edge_ranges import EDGE_RANGES
from stacks.ingress_routes import INGRESS_BACKEND, ROUTER_BACKEND, routes_document
from stacks.outputs import RegionalKey

POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool"
MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"
ORIGIN_PULLS = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"
ORIGIN_CA = "cloudflare:index/originCaCertificate:OriginCaCertificate"
SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
ACM_CERTIFICATE = "aws:acm/certificate:Certificate"
ACM_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
LB_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
OPEN = ("0.0.0.0/0", "::/0")


def _routes_path(http: dict[str, Any], path: str) -> bool:
    """Whether a VirtualService `http` entry routes the request path `path` (a URI match
    exactly on it, or a prefix of it)."""
    for m in http.get("match", []):
        uri = m.get("uri") or {}
        if uri.get("exact") == path or path.startswith(uri.get("prefix") or "\0"):
            return True
    return False


def _admits_exactly_the_edge(rules: list[dict[str, Any]], provider: str) -> tuple[bool, str]:
    """Whether the NLB group's rules admit the edge on 443 with exactly its addresses
    (Cloudflare: the published ranges of stacks/data/edge_ranges.json; AWS: a managed prefix
    list, CloudFront's origin-facing one) and open 443 to no one-size range (0.0.0.0/0, ::/0)."""
    on_443 = [
        r
        for r in rules
        if r.get("protocol") in ("tcp", "6")
        and r.get("fromPort") == GATEWAY_HTTPS_PORT == r.get("toPort")
    ]
    opened = [
        c for r in on_443 for c in [*(r.get("cidrBlocks") or []), *(r.get("ipv6CidrBlocks") or [])]
    ]
    if any(c in OPEN for c in opened):
        return False, "a rule opens 443 to the whole internet"
    if provider == "cloudflare":
        edge = any(
            set(r.get("cidrBlocks") or []) == set(EDGE_RANGES.ipv4)
            and set(r.get("ipv6CidrBlocks") or []) == set(EDGE_RANGES.ipv6)
            for r in on_443
        )
        return (
            edge,
            f"no rule admits exactly Cloudflare's published ranges on 443 (rules: {opened})",
        )
    edge = any(r.get("prefixListIds") and not r.get("cidrBlocks") for r in on_443)
    return edge, "no rule admits CloudFront's origin-facing prefix list on 443"


def _pool_origin_links(flow: Flow, regional: Graph, edge: Graph, region: str) -> None:
    """The region's Cloudflare pool sends to that region's ingress hostname: its origin's
    address is the hostname the region's stack exports, read through that stack's reference."""
    pool = edge.named(POOL, f"edge-pool-{region}")
    if pool is None:
        return
    project = f"/{regional.stack}"
    references = [r for r in edge.of_type(STACK_REFERENCE) if name_of(r).endswith(project)]
    hostname = None
    if references:
        outputs = ((references[0].get("outputs") or {}).get("outputs")) or {}
        hostname = outputs.get(RegionalKey.INGRESS_HOSTNAME)
    addresses = [o.get("address") for o in (pool.get("inputs") or {}).get("origins") or []]
    flow.check(
        f"edge -> {region}",
        "pool origin is the region's ingress hostname",
        bool(addresses) and hostname is not None and all(a == hostname for a in addresses),
        f"edge-pool-{region} sends to {addresses}, not {regional.stack}'s ingress hostname "
        f"{hostname}",
    )


def _duration_ms(value: str) -> int | None:
    if value.endswith("ms"):
        return int(value[:-2])
    if value.endswith("s"):
        return int(float(value[:-1]) * 1000)
    return None


def _edge_links(flow: Flow, edge: Graph, region: str, provider: str) -> None:
    name = f"edge -> {region}"
    if provider == "cloudflare":
        pool = edge.named(POOL, f"edge-pool-{region}")
        flow.check(name, "load-balancer pool", pool is not None, f"no Cloudflare pool for {region}")
        flow.check(
            name,
            "authenticated origin pulls on",
            any((s.get("inputs") or {}).get("enabled") for s in edge.of_type(ORIGIN_PULLS)),
            "Cloudflare does not present its origin-pull certificate",
        )
    else:
        check = edge.named(HEALTH_CHECK, f"edge-health-{region}")
        flow.check(
            name,
            "Route 53 health-checked origin",
            check is not None,
            f"no health check for {region}",
        )


def _monitor(edge: Graph, region: str, provider: str) -> tuple[str | None, list[str]]:
    """The path the edge probes the region with and the status codes it accepts."""
    if provider == "cloudflare":
        monitors = edge.of_type(MONITOR)
        if not monitors:
            return None, []
        inputs = monitors[0].get("inputs") or {}
        return inputs.get("path"), str(inputs.get("expectedCodes", "")).split(",")
    check = edge.named(HEALTH_CHECK, f"edge-health-{region}")
    if check is None:
        return None, []
    inputs = check.get("inputs") or {}
    # Route 53 HTTPS checks pass on any 2xx or 3xx status (Route 53 developer guide, "How Route 53
    # determines whether a health check is healthy").
    return inputs.get("resourcePath"), [str(c) for c in range(200, 400)]


def _origin_names(edge: Graph, region: str) -> set[str]:
    """The names CloudFront connects to this region by: its latency origin (the shortest of the
    distribution's origin names) and the region's own name under it."""
    domains = [
        str(o.get("domainName"))
        for d in edge.of_type(DISTRIBUTION)
        for o in (d.get("inputs") or {}).get("origins") or []
    ]
    if not domains:
        return set()
    latency = min(domains, key=len)
    return {latency, f"{region}.{latency}"}


def _origin_listener_links(
    flow: Flow, regional: Graph, edge: Graph, region: str, base: str
) -> None:
    """With CloudFront: a publicly trusted (ACM) certificate for the origin names, validated by
    DNS records, on the NLB's TLS listener, which re-encrypts to the gateway."""
    wanted = _origin_names(edge, region)
    flow.check(base, "CloudFront origin names", bool(wanted), "the distribution has no origins")
    covering = [
        c
        for c in regional.of_type(ACM_CERTIFICATE)
        if wanted
        <= {
            (c.get("inputs") or {}).get("domainName"),
            *((c.get("inputs") or {}).get("subjectAlternativeNames") or []),
        }
    ]
    certificate = covering[0] if covering else None
    flow.check(
        base,
        "publicly trusted origin certificate (ACM)",
        certificate is not None,
        f"no ACM certificate in {region} covers {sorted(wanted)}: CloudFront refuses the origin",
    )
    records = [
        r
        for r in regional.of_type(RECORD)
        if certificate is not None
        and regional.reaches(r, certificate)
        and (r.get("inputs") or {}).get("zoneId")
    ]
    validations = [
        v
        for v in regional.of_type(ACM_VALIDATION)
        if certificate is not None
        and regional.reaches(v, certificate)
        and sum(regional.reaches(v, r) for r in records) >= len(wanted)
    ]
    flow.check(
        base,
        "origin certificate validated by DNS records in the edge zone",
        bool(validations),
        f"no CertificateValidation waits for {len(wanted)} validation records of the "
        "certificate: the listener would name a certificate ACM has not issued",
    )
    gateways = [
        r
        for r in regional.of_type(RELEASE)
        if isinstance(values := unwrap((r.get("inputs") or {}).get("values")), dict)
        and values.get("name") == GATEWAY_NAME
    ]
    values = unwrap((gateways[0].get("inputs") or {}).get("values")) if gateways else {}
    annotations = ((values or {}).get("service") or {}).get("annotations") or {}
    flow.check(
        base,
        "NLB TLS listener on 443 with the issued certificate",
        bool(annotations.get(f"{LB_ANNOTATION}-ssl-cert"))
        and str(GATEWAY_HTTPS_PORT) in str(annotations.get(f"{LB_ANNOTATION}-ssl-ports", ""))
        and any(regional.reaches(gateways[0], v) for v in validations),
        "the gateway Service names no validated certificate for a TLS listener on 443",
    )
    flow.check(
        base,
        "listener negotiates TLS 1.2+",
        str(annotations.get(f"{LB_ANNOTATION}-ssl-negotiation-policy", "")).startswith(
            "ELBSecurityPolicy-TLS13-1-2"
        ),
        "the listener's security policy is the ELB default, which admits TLS 1.0",
    )
    flow.check(
        base,
        "NLB re-encrypts to the gateway",
        annotations.get(f"{LB_ANNOTATION}-backend-protocol") == "ssl",
        "the NLB would send plain TCP to the gateway's TLS port",
    )


def request_flow(regional: Graph, edge: Graph, provider: str) -> Flow:
    """Every link of the request flow of one region, for every route of the routing table."""
    flow = Flow()
    region = regional.stack.split("-", 1)[1]
    _edge_links(flow, edge, region, provider)

    base = f"edge -> {region} ingress"
    groups = [s for s in regional.of_type(SECURITY_GROUP) if name_of(s).endswith("ingress-nlb")]
    rules = [r for g in groups for r in (g.get("inputs") or {}).get("ingress") or []]
    admits, why = _admits_exactly_the_edge(rules, provider)
    flow.check(base, "NLB security group admits exactly the edge on 443", admits, why)
    if provider == "cloudflare":
        _pool_origin_links(flow, regional, edge, region)

    secrets = regional.kube("Secret", "edge-tls", INGRESS_NAMESPACE)
    gateways = regional.kube("Gateway", EDGE_GATEWAY, INGRESS_NAMESPACE)
    gateway = gateways[0] if gateways else None
    flow.check(base, "edge Gateway", gateway is not None, f"no Gateway {EDGE_GATEWAY_REF}")
    servers = regional.spec(gateway)["servers"] if gateway else []
    tls_blocks = [s.get("tls") or {} for s in servers if s["port"]["number"] == GATEWAY_HTTPS_PORT]
    credential = tls_blocks[0].get("credentialName") if tls_blocks else None
    secret = next((s for s in secrets if credential == "edge-tls"), None)
    flow.check(
        base,
        "gateway certificate secret",
        secret is not None,
        f"the Gateway's credentialName {credential!r} names no Secret the program creates",
    )
    issuer_type = ORIGIN_CA if provider == "cloudflare" else SELF_SIGNED
    issuers = regional.of_type(issuer_type)
    flow.check(
        base,
        f"certificate issued ({issuer_type.rsplit(':', 1)[-1]})",
        bool(secret and issuers and any(regional.reaches(secret, i) for i in issuers)),
        "the TLS secret is not filled from an issued certificate",
    )
    if provider == "cloudflare":
        mode = tls_blocks[0].get("mode") if tls_blocks else None
        flow.check(
            base,
            "MUTUAL TLS (authenticated origin pulls enforced)",
            mode == "MUTUAL",
            f"the edge Gateway's tls.mode is {mode}: any client reaching the NLB is served",
        )
        data = unwrap((secret or {}).get("inputs", {}).get("stringData")) if secret else None
        if isinstance(data, dict) and known(data.get("ca.crt")):
            flow.check(
                base,
                "client CA is Cloudflare's origin-pull CA",
                data.get("ca.crt") == CLOUDFLARE_ORIGIN_PULL_CA,
                "the secret's ca.crt is not Cloudflare's origin-pull CA",
            )
    else:
        _origin_listener_links(flow, regional, edge, region, base)

    virtual_services = regional.kube("VirtualService")
    on_gateway = [
        v for v in virtual_services if EDGE_GATEWAY_REF in regional.spec(v).get("gateways", [])
    ]
    policies = regional.kube("AuthorizationPolicy")
    for row in routes_document()["routes"]:
        name = f"{row['id']} ({row['method']} {row['paths'][0]}) in {region}"
        backend = row.get("backend")
        if row.get("internal"):
            _health_links(flow, regional, edge, on_gateway, row, region, provider)
            continue
        if backend is None:
            flow.pending(name, "backend service", row.get("pending", "no backend"))
            continue
        if backend == ROUTER_BACKEND:
            graphql_links(flow, regional, on_gateway, row, name)
            continue
        service = BY_NAME[backend]
        host = f"{service.name}.{service.namespace}.svc.cluster.local"
        matching = [
            v
            for v in on_gateway
            for http in regional.spec(v).get("http", [])
            if _routes_path(http, row["paths"][0])
            and all(r["destination"]["host"] == host for r in http.get("route", []))
        ]
        if not flow.check(
            name,
            "VirtualService on the edge Gateway",
            bool(matching),
            f"no VirtualService binds {row['paths'][0]} on {EDGE_GATEWAY_REF} to {host}",
        ):
            continue
        http = next(
            h for h in regional.spec(matching[0])["http"] if _routes_path(h, row["paths"][0])
        )
        want = 0 if row["method"] == "WS" else row["timeoutMs"]
        flow.check(
            name,
            "route timeout",
            _duration_ms(http.get("timeout", "")) == want,
            f"timeout {http.get('timeout')} is not the table's {want} ms",
        )
        namespaces = regional.kube("Namespace", service.namespace)
        flow.check(name, "backend namespace", bool(namespaces), f"no namespace {service.namespace}")
        admitted = any(
            GATEWAY_PRINCIPAL in src.get("source", {}).get("principals", [])
            and str(service.port)
            in [p for t in rule.get("to", []) for p in t.get("operation", {}).get("ports", [])]
            for p in policies
            if (p["inputs"].get("metadata") or {}).get("namespace") == service.namespace
            and regional.spec(p).get("action") == "ALLOW"
            for rule in regional.spec(p).get("rules", [])
            for src in rule.get("from", [])
        )
        flow.check(
            name,
            "AuthorizationPolicy admits the ingress gateway",
            admitted,
            f"no ALLOW for {GATEWAY_PRINCIPAL} on {service.namespace}:{service.port}",
        )
    return flow


ROUTER_NAMESPACE = "graphql"
ROUTER_HOST = "graphql-router.graphql.svc.cluster.local"
ROUTER_PRINCIPAL = "cluster.local/ns/graphql/sa/graphql-router"
ROUTER_PORT = "8080"
RELEASE = "kubernetes:helm.sh/v3:Release"


def _admits(regional: Graph, namespace: str, principal: str, port: str) -> bool:
    return any(
        principal in src.get("source", {}).get("principals", [])
        and port in [q for t in rule.get("to", []) for q in t.get("operation", {}).get("ports", [])]
        for p in regional.kube("AuthorizationPolicy")
        if (p["inputs"].get("metadata") or {}).get("namespace") == namespace
        and regional.spec(p).get("action") == "ALLOW"
        for rule in regional.spec(p).get("rules", [])
        for src in rule.get("from", [])
    )


def graphql_links(
    flow: Flow, regional: Graph, on_gateway: list[dict[str, Any]], row: dict[str, Any], name: str
) -> None:
    """/graphql: the edge Gateway's route to the router, its deadline, the router's namespace,
    release and configuration, the gateway admitted, every subgraph admitting the router."""
    path = row["paths"][0]
    https = [
        http
        for v in on_gateway
        for http in regional.spec(v).get("http", [])
        if _routes_path(http, path)
        and all(r["destination"]["host"] == ROUTER_HOST for r in http.get("route", []))
    ]
    if not flow.check(
        name,
        "VirtualService on the edge Gateway",
        bool(https),
        f"no VirtualService binds {path} on {EDGE_GATEWAY_REF} to {ROUTER_HOST}",
    ):
        return
    flow.check(
        name,
        "route timeout",
        _duration_ms(https[0].get("timeout", "")) == row["timeoutMs"],
        f"timeout {https[0].get('timeout')} is not the table's {row['timeoutMs']} ms",
    )
    namespaces = regional.kube("Namespace", ROUTER_NAMESPACE)
    labels = (
        ((namespaces[0]["inputs"].get("metadata") or {}).get("labels") or {}) if namespaces else {}
    )
    flow.check(
        name,
        "router namespace, meshed",
        labels.get("istio-injection") == "enabled",
        f"no sidecar-injected namespace {ROUTER_NAMESPACE}",
    )
    releases = [
        r
        for r in regional.of_type(RELEASE)
        if (r.get("inputs") or {}).get("namespace") == ROUTER_NAMESPACE
    ]
    flow.check(name, "router release", bool(releases), f"no Helm release in {ROUTER_NAMESPACE}")
    flow.check(
        name,
        "AuthorizationPolicy admits the ingress gateway",
        _admits(regional, ROUTER_NAMESPACE, GATEWAY_PRINCIPAL, ROUTER_PORT),
        f"no ALLOW for {GATEWAY_PRINCIPAL} on {ROUTER_NAMESPACE}:{ROUTER_PORT}",
    )
    values = unwrap((releases[0].get("inputs") or {}).get("values")) if releases else None
    config = (
        (values or {}).get("router", {}).get("configuration", {})
        if isinstance(values, dict)
        else {}
    )
    for subgraph, url in sorted((config.get("override_subgraph_url") or {}).items()):
        service = BY_NAME[subgraph]
        flow.check(
            f"{name} -> subgraph {subgraph}",
            "subgraph admits the router",
            str(service.port) in url
            and _admits(regional, service.namespace, ROUTER_PRINCIPAL, str(service.port)),
            f"no ALLOW for {ROUTER_PRINCIPAL} on {service.namespace}:{service.port}",
        )


def _health_links(
    flow: Flow,
    regional: Graph,
    edge: Graph,
    on_gateway: list[dict[str, Any]],
    row: dict[str, Any],
    region: str,
    provider: str,
) -> None:
    name = f"edge monitor -> {region} {row['healthPath']}"
    assert row["backend"] == INGRESS_BACKEND
    answered = [
        http.get("directResponse", {}).get("status")
        for v in on_gateway
        for http in regional.spec(v).get("http", [])
        if any(m.get("uri", {}).get("exact") == row["healthPath"] for m in http.get("match", []))
    ]
    if not flow.check(
        name,
        "answered on the edge Gateway",
        bool(answered) and answered[0] == HEALTH_STATUS,
        f"nothing on {EDGE_GATEWAY_REF} answers {row['healthPath']}: every pool would be down",
    ):
        return
    path, codes = _monitor(edge, region, provider)
    flow.check(
        name,
        "monitor probes that path and accepts the answer",
        path == row["healthPath"] and str(answered[0]) in codes,
        f"the monitor probes {path} expecting {codes}; the gateway answers "
        f"{row['healthPath']} with {answered[0]}",
    )
