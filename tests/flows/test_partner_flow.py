"""The partner flow in every region of dev and prod, up and preview; each link removed from a
copy of the planned graph is reported by name."""

from __future__ import annotations

import pytest

from stacks.edge_settings import EDGE_DEFAULTS
from tests.flows.harness import Graph, State
from tests.flows.partner import CA, CA_CERT, partner_flow
from tests.plans import planned


def _hostname(env: str) -> str:
    return f"partners.{EDGE_DEFAULTS[env]['zone']}"  # the design: a name in the edge's zone


def _regional(env: str, preview: bool) -> list[Graph]:
    plans = planned(env, preview)
    return [Graph(n, p) for n, p in plans.items() if n not in (f"{env}-edge", f"{env}-global")]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_partner_flow_served_or_pending(env: str, preview: bool) -> None:
    graphs = _regional(env, preview)
    assert graphs
    for graph in graphs:
        flow = partner_flow(graph, _hostname(env))
        assert not flow.failing(), "\n".join(map(str, flow.failing()))
        pending = {link.step for link in flow.pending_links()}
        assert pending == {
            "OAuth 2.0 client credentials",
            "API key + HMAC signature",
            "partner connection reaches the gateway with its own certificate",
        }


def _failing(graph: Graph) -> list[str]:
    return [str(link) for link in partner_flow(graph, _hostname("dev")).failing()]


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
