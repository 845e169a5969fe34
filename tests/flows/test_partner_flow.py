"""The partner flow in every region of dev, staging and prod, up and preview; each link removed
from a copy of the planned graph is reported by name. The shipped environments admit no partner
network (`allowedCidrs` empty): the route is built and closed by that setting."""

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
    partner_flow,
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
def test_partner_flow_served_and_closed_by_setting(env: str, preview: bool) -> None:
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
        if env == "staging":  # the AWS edge (Pulumi.staging-edge.yaml): no passthrough path yet
            assert [link.step for link in flow.pending_links()] == [STEP]
            continue
        assert not flow.pending_links()
        closed = [link for link in flow if link.status == "closed"]
        assert [link.step for link in closed] == [f"{STEP}: partner networks admitted on 443"]
        assert "closed by setting" in closed[0].detail


STEP = "partner connection reaches the gateway with its own certificate"
PARTNERS = ["203.0.113.0/24", "2001:db8:100::/48"]


def _failing(
    graph: Graph,
    edge: Graph | None = None,
    cidrs: list[str] | None = None,
    environment: Graph | None = None,
) -> list[str]:
    flow = partner_flow(
        graph,
        _hostname("dev"),
        _tokens("dev", False),
        edge or _edge("dev", False),
        cidrs or [],
        environment=environment or _global("dev", False),
    )
    return [str(link) for link in flow.failing()]


def _with_partner_rules(graph: Graph) -> Graph:
    """The ingress security group as ServiceMesh writes it with PARTNERS configured (the rules'
    shape: tests/test_mesh_component.py)."""

    def add(state: State) -> None:
        for cidr in PARTNERS:
            family = "ipv6CidrBlocks" if ":" in cidr else "cidrBlocks"
            state["inputs"]["ingress"].append(
                {
                    "description": f"HTTPS from partner network {cidr} (mutual TLS, passthrough)",
                    "protocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    family: [cidr],
                }
            )

    return graph.edited(lambda s: s["urn"].endswith("-ingress-nlb"), add)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_configured_partner_networks_make_the_reach_ok(preview: bool) -> None:
    for graph in _regional("dev", preview):
        flow = partner_flow(
            _with_partner_rules(graph),
            _hostname("dev"),
            _tokens("dev", preview),
            _edge("dev", preview),
            PARTNERS,
            environment=_global("dev", preview),
        )
        assert not flow.failing(), "\n".join(map(str, flow.failing()))
        assert [link.status for link in flow if link.step.startswith(STEP)] == ["ok"] * 4


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


def test_a_tls_listener_on_the_nlb_fails() -> None:
    def listener(state: State) -> None:
        annotations = state["inputs"]["values"]["service"]["annotations"]
        annotations[NLB_TLS_CERT] = "arn:aws:acm:us-east-1:111122223333:certificate/x"

    graph = _dev().edited(
        lambda s: (
            s["type"] == "kubernetes:helm.sh/v3:Release"
            and s["inputs"].get("namespace") == "istio-ingress"
        ),
        listener,
    )
    assert any("passes TCP 443 to the gateway: fail" in line for line in _failing(graph))


def test_partner_networks_missing_from_the_security_group_fail() -> None:
    broken = _failing(_dev(), cidrs=PARTNERS)
    assert any("partner networks admitted on 443: fail" in line for line in broken), broken


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
