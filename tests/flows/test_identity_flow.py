"""The identity link of the request flow, in every region of dev, staging and prod, up and
preview; each link removed from a copy of the planned graph is reported by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meridian_ops.plan.flows.harness import Graph, State
from meridian_ops.plan.flows.identity import ISSUER_KEY, identity_flow
from tests.plans import editable, planned

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


def _vs(name: str):
    return _kind("VirtualService", name)


def _set_matches(matches: list[dict[str, Any]]):
    def edit(state: State) -> None:
        state["inputs"]["spec"]["http"][0]["match"] = editable(matches)

    return edit


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_a_raw_prefix_route_outside_the_scope_paths_is_reported(preview: bool) -> None:
    """`prefix: /api/v2/orders` also routes `/api/v2/orders-x`, which the scope rule's paths
    (`/api/v2/orders`, `/api/v2/orders/*`) do not cover: a token without orders.write would
    reach the order service."""
    regional, outputs = _graphs("dev", preview)
    graph = regional[0]
    assert _failing(graph, outputs) == []
    loose = graph.edited(_vs("edge-orders"), _set_matches([{"uri": {"prefix": "/api/v2/orders"}}]))
    assert _failing(loose, outputs) == [
        "orders token: scope required ['meridian-api/orders.write']: fail (routed "
        "['prefix /api/v2/orders'] outside the scope rule's paths "
        "['/api/v2/orders', '/api/v2/orders/*'])"
    ]


@pytest.mark.parametrize(
    ("match", "said"),
    [
        ({"uri": {"regex": "/graphql.*"}}, "regex /graphql.*"),
        ({"uri": {"exact": "/graphql"}, "ignoreUriCase": True}, "exact /graphql"),
        ({"method": {"exact": "POST"}}, "any path"),
    ],
    ids=["regex", "any-case", "no-uri"],
)
def test_a_graphql_match_the_scope_paths_cannot_bound_is_reported(
    match: dict[str, Any], said: str
) -> None:
    graph, outputs = _dev()
    edited = graph.edited(_vs("graphql"), _set_matches([{"uri": {"exact": "/graphql"}}, match]))
    failing = _failing(edited, outputs)
    assert len(failing) == 1 and failing[0].startswith(
        f"graphql token: scope required ['meridian-api/graphql']: fail (routed ['{said}']"
    ), failing


def test_a_gateway_route_outside_the_table_is_reported() -> None:
    graph, outputs = _dev()

    def rename(state: State) -> None:
        state["inputs"]["spec"]["http"][0]["name"] = "orders-legacy"

    failing = _failing(graph.edited(_vs("edge-orders"), rename), outputs)
    assert sorted(failing) == [
        "dev-us-east-1 gateway tokens: a route without scopes routes only public paths "
        "(orders-legacy): fail (['exact /api/v2/orders', 'prefix /api/v2/orders/'] routed "
        "without a scope rule)",
        "orders token: scope required ['meridian-api/orders.write']: fail (not routed by a "
        "VirtualService on the gateway)",
    ]


def test_the_health_route_routes_only_its_public_paths() -> None:
    graph, outputs = _dev()
    edited = graph.edited(_vs("edge-health"), _set_matches([{"uri": {"prefix": "/health"}}]))
    assert _failing(edited, outputs) == [
        "dev-us-east-1 gateway tokens: a route without scopes routes only public paths "
        "(edge-health): fail (['prefix /health'] routed without a scope rule)"
    ]


def test_a_scope_rule_narrowed_by_source_covers_nothing() -> None:
    graph, outputs = _dev()

    def narrow(state: State) -> None:
        state["inputs"]["spec"]["rules"][0]["from"] = [{"source": {"namespaces": ["x"]}}]

    failing = _failing(graph.edited(_kind("AuthorizationPolicy", "scope-orders"), narrow), outputs)
    assert failing == ["orders token: scope required ['meridian-api/orders.write']: fail (no rule)"]
