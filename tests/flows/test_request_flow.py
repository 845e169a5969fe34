"""The request flow of every route, in every region of dev, staging (the AWS edge) and prod, up
and preview; and each link, removed from a copy of the planned graph, is reported by name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509

from components.edge.origin_pull import CLOUDFLARE_ORIGIN_PULL_CA
from meridian_ops.plan.flows.harness import Graph, State
from meridian_ops.plan.flows.request import (
    ACM_CERTIFICATE,
    ORIGIN_CA,
    RECORD,
    RELEASE,
    request_flow,
)
from stacks.ingress_routes import routes_document
from tests.plans import planned

ENVIRONMENTS = ("dev", "staging", "prod")


def _graphs(env: str, preview: bool) -> tuple[list[Graph], Graph, str]:
    plans = planned(env, preview)
    edge = Graph(f"{env}-edge", plans[f"{env}-edge"])
    provider = (
        "cloudflare" if any(s["type"].startswith("cloudflare:") for s in edge.states) else "aws"
    )
    regional = [
        Graph(name, plan)
        for name, plan in plans.items()
        if name not in (f"{env}-edge", f"{env}-global")
    ]
    return regional, edge, provider


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_route_reaches_its_service(env: str, preview: bool) -> None:
    regional, edge, provider = _graphs(env, preview)
    assert provider == ("aws" if env == "staging" else "cloudflare")
    assert regional
    public = [r for r in routes_document()["routes"] if not r.get("internal")]
    for graph in regional:
        flow = request_flow(graph, edge, provider)
        assert not flow.failing(), "\n".join(map(str, flow.failing()))
        served = {
            link.flow.split(" ", 1)[0]
            for link in flow
            if link.step == "VirtualService on the edge Gateway"
        }
        assert served == {r["id"] for r in public if r.get("backend")}
        assert not flow.pending_links(), list(map(str, flow.pending_links()))
        steps = {link.step for link in flow}
        if provider == "aws":
            assert "publicly trusted origin certificate (ACM)" in steps
            assert "NLB TLS listener on 443 with the issued certificate" in steps


def _dev() -> tuple[Graph, Graph]:
    regional, edge, _ = _graphs("dev", False)
    return regional[0], edge


def _kube(kind: str, name: str, namespace: str | None = None):
    def pick(state: State) -> bool:
        inputs = state.get("inputs") or {}
        meta = inputs.get("metadata") or {}
        return (
            inputs.get("kind") == kind
            and meta.get("name") == name
            and (namespace is None or meta.get("namespace") == namespace)
        )

    return pick


def _failing(graph: Graph, edge: Graph) -> list[str]:
    return [str(link) for link in request_flow(graph, edge, "cloudflare").failing()]


def test_the_intact_dev_flow_fails_nowhere() -> None:
    graph, edge = _dev()
    assert _failing(graph, edge) == []


def test_without_the_virtual_service_the_route_fails() -> None:
    graph, edge = _dev()
    broken = _failing(graph.without(_kube("VirtualService", "edge-payments", "payment")), edge)
    assert broken and all("payments" in line for line in broken), broken
    assert "VirtualService on the edge Gateway: fail" in broken[0]


def test_without_the_certificate_secret_the_tls_link_fails() -> None:
    graph, edge = _dev()
    broken = _failing(graph.without(_kube("Secret", "edge-tls", "istio-ingress")), edge)
    assert any("gateway certificate secret: fail" in line for line in broken), broken


def test_without_the_origin_ca_certificate_the_secret_is_not_issued() -> None:
    graph, edge = _dev()
    broken = _failing(graph.without(lambda s: s["type"] == ORIGIN_CA), edge)
    assert any("certificate issued (OriginCaCertificate): fail" in line for line in broken), broken


def test_with_simple_tls_origin_pulls_are_not_enforced() -> None:
    graph, edge = _dev()

    def simple(state: State) -> None:
        for server in state["inputs"]["spec"]["servers"]:
            server["tls"]["mode"] = "SIMPLE"

    broken = _failing(graph.edited(_kube("Gateway", "edge", "istio-ingress"), simple), edge)
    assert any("MUTUAL TLS (authenticated origin pulls enforced): fail" in line for line in broken)


def test_without_the_authorization_policy_the_gateway_is_refused() -> None:
    graph, edge = _dev()
    broken = _failing(graph.without(_kube("AuthorizationPolicy", "allow-callers", "payment")), edge)
    assert broken and all("payments" in line for line in broken), broken
    assert "AuthorizationPolicy admits the ingress gateway: fail" in broken[0]


def test_without_the_health_route_every_pool_would_be_down() -> None:
    graph, edge = _dev()
    broken = _failing(graph.without(_kube("VirtualService", "edge-health", "istio-ingress")), edge)
    assert any("/health: answered on the edge Gateway: fail" in line for line in broken), broken


def test_a_monitor_on_another_path_is_reported() -> None:
    graph, edge = _dev()

    def elsewhere(state: State) -> None:
        state["inputs"]["path"] = "/healthz"

    edge = edge.edited(lambda s: s["type"].endswith("LoadBalancerMonitor"), elsewhere)
    broken = _failing(graph, edge)
    assert any("monitor probes that path" in line for line in broken), broken


def test_the_origin_pull_ca_is_cloudflares_published_certificate() -> None:
    certificate = x509.load_pem_x509_certificate(CLOUDFLARE_ORIGIN_PULL_CA.encode())
    subject: Any = certificate.subject.rfc4514_string()
    assert "CN=origin-pull.cloudflare.net" in subject and "OU=Origin Pull" in subject
    assert certificate.not_valid_after_utc == datetime(2029, 11, 1, 17, 0, tzinfo=UTC)
    assert certificate.issuer == certificate.subject  # a root: Istio verifies the chain to it


def test_without_the_graphql_route_graphql_fails() -> None:
    graph, edge = _dev()
    broken = _failing(graph.without(_kube("VirtualService", "graphql", "graphql")), edge)
    assert broken and all("graphql" in line for line in broken), broken


def test_without_the_router_admitting_the_gateway_graphql_fails() -> None:
    graph, edge = _dev()
    broken = _failing(graph.without(_kube("AuthorizationPolicy", "allow-gateway", "graphql")), edge)
    assert any("graphql" in line and "admits the ingress gateway: fail" in line for line in broken)


def test_without_a_subgraph_admitting_the_router_that_subgraph_fails() -> None:
    graph, edge = _dev()
    broken = _failing(
        graph.without(_kube("AuthorizationPolicy", "allow-graphql-router", "user")), edge
    )
    assert any("subgraph user" in line and "fail" in line for line in broken), broken


# The AWS edge (staging): the origin certificate CloudFront trusts, its validation, the listener.
ORIGIN_NAME = "origin.staging.meridian.example.com"
"""Staging's latency origin (`meridian:edge.zone` of Pulumi.staging-edge.yaml)."""


def _staging(preview: bool) -> tuple[Graph, Graph]:
    regional, edge, provider = _graphs("staging", preview)
    assert provider == "aws"
    return next(g for g in regional if g.stack == "staging-eu-west-1"), edge


def _aws_failing(graph: Graph, edge: Graph) -> list[str]:
    return [str(link) for link in request_flow(graph, edge, "aws").failing()]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_the_aws_origin_certificate_covers_cloudfronts_origin_names(preview: bool) -> None:
    graph, edge = _staging(preview)
    assert _aws_failing(graph, edge) == []
    (certificate,) = [
        c for c in graph.of_type(ACM_CERTIFICATE) if c["inputs"]["domainName"] == ORIGIN_NAME
    ]
    assert certificate["inputs"]["subjectAlternativeNames"] == [f"eu-west-1.{ORIGIN_NAME}"]
    assert certificate["inputs"]["validationMethod"] == "DNS"


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_without_the_acm_certificate_cloudfront_has_no_trusted_origin(preview: bool) -> None:
    graph, edge = _staging(preview)
    broken = _aws_failing(graph.without(lambda s: s["type"] == ACM_CERTIFICATE), edge)
    assert any("publicly trusted origin certificate (ACM): fail" in line for line in broken)


def test_without_a_validation_record_the_certificate_is_not_validated() -> None:
    graph, edge = _staging(False)

    def shared_validation(state: State) -> bool:
        return state["type"] == RECORD and str(state["urn"]).endswith(
            f"origin-listener-validation-{ORIGIN_NAME}"
        )

    broken = _aws_failing(graph.without(shared_validation), edge)
    assert any("validated by DNS records in the edge zone: fail" in line for line in broken)


@pytest.mark.parametrize(
    ("annotation", "step"),
    [
        ("ssl-cert", "NLB TLS listener on 443 with the issued certificate"),
        ("ssl-negotiation-policy", "listener negotiates TLS 1.2+"),
        ("backend-protocol", "NLB re-encrypts to the gateway"),
    ],
)
def test_without_a_listener_annotation_the_link_fails(annotation: str, step: str) -> None:
    graph, edge = _staging(False)

    def gateway(state: State) -> bool:
        values = (state.get("inputs") or {}).get("values") or {}
        return state["type"] == RELEASE and values.get("name") == "istio-ingressgateway"

    def drop(state: State) -> None:
        del state["inputs"]["values"]["service"]["annotations"][
            f"service.beta.kubernetes.io/aws-load-balancer-{annotation}"
        ]

    broken = _aws_failing(graph.edited(gateway, drop), edge)
    assert any(f"{step}: fail" in line for line in broken), broken


# --- the NLB admits exactly the edge; each pool sends to its own region ---------------------------


def _nlb(state: State) -> bool:
    return state["type"] == "aws:ec2/securityGroup:SecurityGroup" and str(state["urn"]).endswith(
        "ingress-nlb"
    )


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_an_edge_rule_replaced_by_a_private_range_fails(preview: bool) -> None:
    regional, edge, _ = _graphs("dev", preview)
    graph = regional[0]

    def private(state: State) -> None:
        for rule in state["inputs"]["ingress"]:
            if rule.get("cidrBlocks"):
                rule["cidrBlocks"], rule["ipv6CidrBlocks"] = ["10.0.0.0/8"], []

    assert _failing(graph, edge) == []
    broken = _failing(graph.edited(_nlb, private), edge)
    assert any(
        "NLB security group admits exactly the edge on 443: fail" in line
        and "Cloudflare's published ranges" in line
        for line in broken
    ), broken


def test_one_edge_range_missing_fails() -> None:
    """The rule must carry Cloudflare's published list (stacks/data/edge_ranges.json), all of
    it: one range fewer and that part of Cloudflare's edge is refused."""
    graph, edge = _dev()

    def fewer(state: State) -> None:
        for rule in state["inputs"]["ingress"]:
            rule["cidrBlocks"] = [c for c in rule.get("cidrBlocks") or [] if c != "173.245.48.0/20"]

    broken = _failing(graph.edited(_nlb, fewer), edge)
    assert any("admits exactly the edge on 443: fail" in line for line in broken), broken


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_pool_pointing_to_another_regions_hostname_fails(preview: bool) -> None:
    regional, edge, provider = _graphs("prod", preview)
    assert provider == "cloudflare" and len(regional) > 1
    first, second = regional[0], regional[1]
    region = first.stack.split("-", 1)[1]
    other = second.stack.split("-", 1)[1]
    (theirs,) = [
        o["address"]
        for p in edge.of_type("cloudflare:index/loadBalancerPool:LoadBalancerPool")
        if str(p["urn"]).endswith(f"edge-pool-{other}")
        for o in p["inputs"]["origins"]
    ]

    def elsewhere(state: State) -> None:
        for origin in state["inputs"]["origins"]:
            origin["address"] = theirs

    pool = edge.edited(lambda s: str(s["urn"]).endswith(f"edge-pool-{region}"), elsewhere)
    failing = [str(link) for link in request_flow(first, pool, provider).failing()]
    assert any(
        f"edge -> {region}" in line and "pool origin is the region's ingress hostname: fail" in line
        for line in failing
    ), failing
