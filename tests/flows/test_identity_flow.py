"""The identity link of the request flow, in every region of dev, staging and prod, up and
preview; each link removed from a copy of the planned graph is reported by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meridian_ops.plan.flows.harness import Graph, State
from meridian_ops.plan.flows.identity import ISSUER_KEY, identity_flow
from tests.plans import planned

DATA = Path(__file__).resolve().parents[2] / "stacks" / "data"
ROUTES = json.loads((DATA / "api_routes.json").read_text())["routes"]
SERVER = json.loads((DATA / "identity_clients.json").read_text())["resourceServer"]


def _graphs(env: str, preview: bool) -> tuple[list[Graph], dict[str, Any]]:
    plans = planned(env, preview)
    regional = [
        Graph(name, plan)
        for name, plan in plans.items()
        if name not in (f"{env}-edge", f"{env}-global")
    ]
    return regional, plans[f"{env}-global"]["outputs"]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_protected_route_needs_a_token_of_this_issuer_and_its_scope(
    env: str, preview: bool
) -> None:
    regional, outputs = _graphs(env, preview)
    assert regional
    if not preview:
        assert outputs[ISSUER_KEY].startswith("https://cognito-idp.us-east-1.amazonaws.com/")
    for graph in regional:
        flow = identity_flow(graph, outputs, ROUTES, SERVER)
        assert not flow.failing(), "\n".join(map(str, flow.failing()))
        checked = {link.flow.split(" ", 1)[0] for link in flow if link.flow.endswith(" token")}
        assert checked == {r["id"] for r in ROUTES}
        pending = {link.step for link in flow.pending_links()}
        assert pending == ({"issuer is the environment's"} if preview else set()), pending


def _dev() -> tuple[Graph, dict[str, Any]]:
    regional, outputs = _graphs("dev", False)
    return regional[0], outputs


def _kind(kind: str, name: str | None = None):
    def pick(state: State) -> bool:
        inputs = state.get("inputs") or {}
        return inputs.get("kind") == kind and (
            name is None or (inputs.get("metadata") or {}).get("name") == name
        )

    return pick


def _failing(graph: Graph, outputs: dict[str, Any]) -> list[str]:
    return [str(link) for link in identity_flow(graph, outputs, ROUTES, SERVER).failing()]


def test_the_intact_dev_flow_fails_nowhere() -> None:
    graph, outputs = _dev()
    assert _failing(graph, outputs) == []


def test_without_the_request_authentication_no_token_is_validated() -> None:
    graph, outputs = _dev()
    failing = _failing(graph.without(_kind("RequestAuthentication")), outputs)
    assert any("RequestAuthentication on the gateway pods: fail" in f for f in failing), failing


def test_without_a_scope_rule_its_route_fails() -> None:
    graph, outputs = _dev()
    failing = _failing(graph.without(_kind("AuthorizationPolicy", "scope-payments")), outputs)
    assert failing == [
        "payments token: scope required ['meridian-api/payments.write']: fail (no rule)"
    ]


def test_without_the_deny_rule_tokenless_requests_pass() -> None:
    graph, outputs = _dev()
    failing = _failing(graph.without(_kind("AuthorizationPolicy", "require-token")), outputs)
    assert any("denied off the public paths: fail" in f for f in failing), failing


def test_another_issuer_is_reported() -> None:
    graph, outputs = _dev()
    other = {**outputs, ISSUER_KEY: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}
    assert any("issuer is the environment's" in f for f in _failing(graph, other))


def test_without_the_header_strip_claims_could_be_forged() -> None:
    graph, outputs = _dev()
    failing = _failing(graph.without(_kind("EnvoyFilter", "strip-claim-headers")), outputs)
    assert any("claim headers removed" in f for f in failing), failing
