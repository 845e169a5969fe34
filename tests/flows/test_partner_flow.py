"""The partner flow in every region of dev and prod, up and preview; each link removed from a
copy of the planned graph is reported by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meridian_ops.plan.flows.harness import Graph, State
from meridian_ops.plan.flows.partner import CA, CA_CERT, partner_flow
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


def _regional(env: str, preview: bool) -> list[Graph]:
    plans = planned(env, preview)
    return [Graph(n, p) for n, p in plans.items() if n not in (f"{env}-edge", f"{env}-global")]


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
def test_partner_flow_served_or_pending(env: str, preview: bool) -> None:
    graphs = _regional(env, preview)
    assert graphs
    for graph in graphs:
        flow = partner_flow(graph, _hostname(env), _tokens(env, preview))
        assert not flow.failing(), "\n".join(map(str, flow.failing()))
        pending = {link.step for link in flow.pending_links()}
        assert pending == {"partner connection reaches the gateway with its own certificate"}


def _failing(graph: Graph) -> list[str]:
    return [
        str(link) for link in partner_flow(graph, _hostname("dev"), _tokens("dev", False)).failing()
    ]


def _dev() -> Graph:
    return _regional("dev", False)[0]


def test_without_the_ca_the_flow_fails() -> None:
    broken = _failing(_dev().without(lambda s: s["type"] == CA))
    assert any("private client CA: fail" in line for line in broken), broken


def test_without_the_ca_certificate_the_bundle_fails() -> None:
    broken = _failing(_dev().without(lambda s: s["type"] == CA_CERT))
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

    graph = _dev().edited(lambda s: s["type"] == CA, no_ocsp)
    assert any("OCSP" in line and "fail" in line for line in _failing(graph))


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
