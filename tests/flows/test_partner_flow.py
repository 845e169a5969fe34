"""The partner flow in every region of dev, staging and prod, up and preview; each link removed
from a copy of the planned graph is reported by name, with each edge: Cloudflare (dev, prod: a
DNS-only load balancer, the NLB passing TCP 443) and AWS (staging: Route 53 latency records, the
NLB's TCP partner listener on 8443 beside its TLS listener on 443). The shipped environments
admit no partner network (`allowedCidrs` empty): the path is built and closed by that setting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meridian_ops.plan.flows.harness import Graph, State
from meridian_ops.plan.flows.partner import (
    CA,
    CA_CERT,
    LOAD_BALANCER,
    NLB_TLS_CERT,
    NLB_TLS_PORTS,
    RECORD,
    partner_flow,
    partner_networks,
)
from stacks.edge_settings import EDGE_DEFAULTS
from stacks.outputs import GlobalKey
from tests.plans import planned

DATA = Path(__file__).resolve().parents[2] / "stacks" / "data"
ROUTES = json.loads((DATA / "api_routes.json").read_text())["routes"]
CLIENTS = json.loads((DATA / "identity_clients.json").read_text())
M2M = next(c for c in CLIENTS["clients"] if c["id"] == "partner-m2m")
PARTNER_ROUTES = [r for r in ROUTES if r.get("backend") == "graphql-router"]


def _hostname(env: str) -> str:
    return f"partners.{EDGE_DEFAULTS[env]['zone']}"  # the design: a name in the edge's zone


def _edge(env: str, preview: bool) -> Graph:
    return Graph(f"{env}-edge", planned(env, preview)[f"{env}-edge"])


def _regional(env: str, preview: bool) -> list[Graph]:
    plans = planned(env, preview)
    return [Graph(n, p) for n, p in plans.items() if n not in (f"{env}-edge", f"{env}-global")]


def _global(env: str, preview: bool) -> Graph:
    return Graph(f"{env}-global", planned(env, preview)[f"{env}-global"])


def _tokens(env: str, preview: bool) -> dict[str, Any]:
    outputs = planned(env, preview)[f"{env}-global"]["outputs"]
    return {
        "issuer": outputs.get(GlobalKey.ISSUER_URL),
        "jwks": outputs.get(GlobalKey.JWKS_URI),
        "server": CLIENTS["resourceServer"],
        "m2m": M2M["scopes"],
        "routes": PARTNER_ROUTES,
    }


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_partner_flow_built_and_closed_by_setting(env: str, preview: bool) -> None:
    graphs = _regional(env, preview)
    assert graphs
    for graph in graphs:
        flow = partner_flow(
            graph,
            _hostname(env),
            _tokens(env, preview),
            _edge(env, preview),
            environment=_global(env, preview),
        )
        assert not flow.failing(), "\n".join(map(str, flow.failing()))
        assert not flow.pending_links(), "\n".join(map(str, flow.pending_links()))
        closed = [link for link in flow if link.status == "closed"]
        assert [link.step for link in closed] == [ADMITTED]
        assert "closed by setting" in closed[0].detail
        assert f"NLB's {PARTNER_PORT[env]} admits none" in closed[0].detail
        assert partner_networks(graph) == set()


STEP = "partner connection reaches the gateway with its own certificate"
ADMITTED = f"{STEP}: partner networks admitted on the partner port"
PARTNERS = ["203.0.113.0/24", "2001:db8:100::/48"]
PARTNER_PORT = {"dev": 443, "staging": 8443, "prod": 443}
"""Cloudflare (dev, prod): the NLB passes TCP 443; AWS (staging): 443 is the TLS listener, so
partners get a TCP listener on 8443 (the gateway pod's HTTPS port)."""
GATEWAY_RELEASE = "kubernetes:helm.sh/v3:Release"


def _failing(
    graph: Graph,
    edge: Graph | None = None,
    cidrs: list[str] | None = None,
    env: str = "dev",
    environment: Graph | None = None,
) -> list[str]:
    flow = partner_flow(
        graph,
        _hostname(env),
        _tokens(env, False),
        edge or _edge(env, False),
        cidrs or [],
        environment=environment or _global(env, False),
    )
    return [str(link) for link in flow.failing()]


def _with_partner_rules(graph: Graph, port: int) -> Graph:
    """The ingress security group as ServiceMesh writes it with PARTNERS configured (the rules'
    shape: tests/test_mesh_component.py)."""

    def add(state: State) -> None:
        for cidr in PARTNERS:
            family = "ipv6CidrBlocks" if ":" in cidr else "cidrBlocks"
            state["inputs"]["ingress"].append(
                {
                    "description": f"HTTPS from partner network {cidr} (mutual TLS, passthrough)",
                    "protocol": "tcp",
                    "fromPort": port,
                    "toPort": port,
                    family: [cidr],
                }
            )

    return graph.edited(lambda s: s["urn"].endswith("-ingress-nlb"), add)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "staging"])
def test_configured_partner_networks_make_the_whole_path_ok(env: str, preview: bool) -> None:
    for graph in _regional(env, preview):
        configured = _with_partner_rules(graph, PARTNER_PORT[env])
        flow = partner_flow(
            configured,
            _hostname(env),
            _tokens(env, preview),
            _edge(env, preview),
            PARTNERS,
            environment=_global(env, preview),
        )
        assert not flow.failing(), "\n".join(map(str, flow.failing()))
        reach = [link for link in flow if link.step.startswith(STEP)]
        assert [link.status for link in reach] == ["ok"] * 5, [str(x) for x in reach]
        assert partner_networks(configured) == set(PARTNERS)
        # rules on another port admit nobody on the partner listener
        elsewhere = _with_partner_rules(graph, 9443)
        assert partner_networks(elsewhere) == set()


def test_without_the_dns_only_name_the_reach_fails() -> None:
    edge = _edge("dev", False).without(
        lambda s: s["type"] == LOAD_BALANCER and s["inputs"].get("name") == _hostname("dev")
    )
    assert any("DNS-only name at the edge: fail" in line for line in _failing(_dev(), edge))


def test_a_proxied_partner_name_fails() -> None:
    def proxy(state: State) -> None:
        state["inputs"]["proxied"] = True

    edge = _edge("dev", False).edited(
        lambda s: s["type"] == LOAD_BALANCER and s["inputs"].get("name") == _hostname("dev"), proxy
    )
    assert any("DNS-only name at the edge: fail" in line for line in _failing(_dev(), edge))


def _gateway_release(state: State) -> bool:
    return state["type"] == GATEWAY_RELEASE and state["inputs"].get("namespace") == "istio-ingress"


def test_a_tls_listener_on_every_nlb_port_fails() -> None:
    def listener(state: State) -> None:
        annotations = state["inputs"]["values"]["service"]["annotations"]
        annotations[NLB_TLS_CERT] = "arn:aws:acm:us-east-1:111122223333:certificate/x"

    graph = _dev().edited(_gateway_release, listener)
    broken = _failing(graph)
    assert any("passes TCP on the partner port to the gateway: fail" in x for x in broken), broken


# --- the AWS edge (staging) ------------------------------------------------------------------


def _staging() -> Graph:
    return _regional("staging", False)[0]


def _region(graph: Graph) -> str:
    return graph.stack.split("-", 1)[1]


def _partner_record(state: State) -> bool:
    return state["type"] == RECORD and state["inputs"].get("name") == _hostname("staging")


def test_the_aws_edge_has_a_latency_record_per_region_on_the_partner_name() -> None:
    edge = _edge("staging", False)
    records = [s["inputs"] for s in edge.states if _partner_record(s)]
    regions = {_region(g) for g in _regional("staging", False)}
    assert {r["setIdentifier"] for r in records} == regions
    for record in records:
        assert record["type"] == "CNAME" and not record.get("aliases")
        assert record["latencyRoutingPolicies"] == [{"region": record["setIdentifier"]}]
        assert record["healthCheckId"]


def test_aws_edge_without_the_partner_records_the_reach_fails() -> None:
    edge = _edge("staging", False).without(_partner_record)
    broken = _failing(_staging(), edge, env="staging")
    assert any("DNS-only name at the edge: fail" in line for line in broken), broken
    assert any("resolves to this region's NLB: fail" in line for line in broken), broken


def test_aws_edge_without_this_regions_record_the_name_does_not_resolve_here() -> None:
    graph = _staging()
    edge = _edge("staging", False).without(
        lambda s: _partner_record(s) and s["inputs"]["setIdentifier"] == _region(graph)
    )
    broken = _failing(graph, edge, env="staging")
    assert any("resolves to this region's NLB: fail" in line for line in broken), broken
    assert not any("DNS-only name at the edge: fail" in line for line in broken), broken


def test_aws_edge_partner_name_aliased_to_cloudfront_fails() -> None:
    def alias(state: State) -> None:
        state["inputs"].pop("records", None)
        state["inputs"]["aliases"] = [
            {"name": "d111111abcdef8.cloudfront.net", "zoneId": "Z2FDTNDATAQYW2"}
        ]

    edge = _edge("staging", False).edited(_partner_record, alias)
    broken = _failing(_staging(), edge, env="staging")
    assert any("DNS-only name at the edge: fail" in line for line in broken), broken


def _service(state: State) -> dict[str, Any]:
    return state["inputs"]["values"]["service"]


def test_aws_edge_without_the_partner_listener_fails() -> None:
    def drop(state: State) -> None:
        _service(state)["ports"] = [p for p in _service(state)["ports"] if p["port"] == 443]

    broken = _failing(_staging().edited(_gateway_release, drop), env="staging")
    assert any("passes TCP on the partner port to the gateway: fail" in x for x in broken), broken


def test_aws_edge_partner_listener_ending_tls_fails() -> None:
    def tls_everywhere(state: State) -> None:
        _service(state)["annotations"][NLB_TLS_PORTS] = "443,8443"

    broken = _failing(_staging().edited(_gateway_release, tls_everywhere), env="staging")
    assert any("passes TCP on the partner port to the gateway: fail" in x for x in broken), broken


def test_aws_edge_partner_target_group_off_the_gateway_port_fails() -> None:
    def elsewhere(state: State) -> None:
        for port in _service(state)["ports"]:
            if port["port"] == 8443:
                port["targetPort"] = 9443

    broken = _failing(_staging().edited(_gateway_release, elsewhere), env="staging")
    assert any("target group is the partner Gateway's port: fail" in x for x in broken), broken


def test_aws_edge_partner_networks_missing_from_the_security_group_fail() -> None:
    # rules on 443 (the TLS listener's port) do not admit partners to the 8443 listener
    graph = _with_partner_rules(_staging(), 443)
    broken = _failing(graph, cidrs=PARTNERS, env="staging")
    assert any(f"{ADMITTED}: fail" in line for line in broken), broken


def test_partner_networks_missing_from_the_security_group_fail() -> None:
    broken = _failing(_dev(), cidrs=PARTNERS)
    assert any(f"{ADMITTED}: fail" in line for line in broken), broken


def _dev() -> Graph:
    return _regional("dev", False)[0]


def test_without_the_ca_the_flow_fails() -> None:
    broken = _failing(_dev(), environment=_global("dev", False).without(lambda s: s["type"] == CA))
    assert any("private client CA: fail" in line for line in broken), broken


def test_without_the_ca_certificate_the_bundle_fails() -> None:
    broken = _failing(
        _dev(), environment=_global("dev", False).without(lambda s: s["type"] == CA_CERT)
    )
    assert any("client CA bundle is the private CA's certificate: fail" in line for line in broken)


def test_simple_tls_on_the_partner_gateway_fails() -> None:
    def simple(state: State) -> None:
        for server in state["inputs"]["spec"]["servers"]:
            server["tls"]["mode"] = "SIMPLE"

    graph = _dev().edited(
        lambda s: (
            (s.get("inputs") or {}).get("kind") == "Gateway"
            and (s["inputs"].get("metadata") or {}).get("name") == "partner"
        ),
        simple,
    )
    assert any("MUTUAL TLS on the partner hostname: fail" in line for line in _failing(graph))


def test_without_ocsp_the_revocation_link_fails() -> None:
    def no_ocsp(state: State) -> None:
        state["inputs"].pop("revocationConfiguration", None)

    environment = _global("dev", False).edited(lambda s: s["type"] == CA, no_ocsp)
    assert any(
        "OCSP" in line and "fail" in line for line in _failing(_dev(), environment=environment)
    )


def _policy(name: str):
    def pick(state: State) -> bool:
        inputs = state.get("inputs") or {}
        return (
            inputs.get("kind") == "AuthorizationPolicy"
            and (inputs.get("metadata") or {}).get("name") == name
        )

    return pick


def test_without_the_partner_token_policy_token_less_partners_pass() -> None:
    broken = _failing(_dev().without(_policy("partner-require-token")))
    assert any("no token, no request on the partner host: fail" in line for line in broken)


def test_without_the_client_credentials_policy_scopes_are_not_checked() -> None:
    broken = _failing(_dev().without(_policy("partner-client-credentials")))
    assert any("access tokens only: fail" in line for line in broken), broken
    assert any("graphql needs the M2M client's scope: fail" in line for line in broken)


def test_a_scope_the_m2m_client_lacks_fails() -> None:
    def widen(state: State) -> None:
        for rule in state["inputs"]["spec"]["rules"]:
            for cond in rule.get("when", []):
                if cond["key"] == "request.auth.claims[scope]":
                    cond["notValues"] = ["meridian-api/payments.write"]

    graph = _dev().edited(_policy("partner-client-credentials"), widen)
    assert any("M2M client's scope: fail" in line for line in _failing(graph))


def test_without_the_gateway_request_authentication_tokens_are_not_validated() -> None:
    graph = _dev().without(lambda s: (s.get("inputs") or {}).get("kind") == "RequestAuthentication")
    assert any("issuer validated: fail" in line for line in _failing(graph))


def test_hmac_without_a_recorded_deviation_fails(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import meridian_ops.plan.flows.partner as partner

    doc = tmp_path / "architecture.md"
    text = partner.ARCHITECTURE_DOC.read_text(encoding="utf-8")
    doc.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("| Partner auth")),
        encoding="utf-8",
    )
    monkeypatch.setattr(partner, "ARCHITECTURE_DOC", doc)
    assert any("HMAC signature: recorded deviation: fail" in line for line in _failing(_dev()))
