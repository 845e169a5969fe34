"""The partner routes' scopes, the GraphQL and partner settings' bad input, and the router's
configuration as planned (design values as literals). The partner tiers are the rate-limit
table's (tests/flows/test_rate_limit_flow.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stacks import settings as settings_module
from stacks.config.errors import ConfigError
from stacks.config.gate import check_environment
from stacks.partner_api import graph_problems, partner_routes, subgraphs
from stacks.partner_settings import (
    GRAPHQL_DEFAULTS,
    PARTNER_DEFAULTS,
    GraphqlSettings,
    PartnerApiSettings,
    validate_graphql,
    validate_partner,
)
from tests.plans import planned

RELEASE = "kubernetes:helm.sh/v3:Release"
DATA = Path(__file__).resolve().parents[1] / "stacks" / "data"
ROUTES = json.loads((DATA / "api_routes.json").read_text())["routes"]
CLIENTS = json.loads((DATA / "identity_clients.json").read_text())


def test_partner_routes_need_the_m2m_clients_scope() -> None:
    routes = {
        "routes": [
            {
                "id": "graphql",
                "paths": ["/graphql"],
                "backend": "graphql-router",
                "scopes": ["graphql", "admin"],
            }
        ]
    }
    clients = {"clients": [{"id": "partner-m2m", "scopes": ["graphql", "users.read"]}]}
    (route,) = partner_routes(routes, clients)
    assert (route.id, route.paths, route.scopes) == ("graphql", ("/graphql",), ("graphql",))
    with pytest.raises(ValueError, match="partner-m2m client holds none"):
        partner_routes(routes, {"clients": [{"id": "partner-m2m", "scopes": ["users.read"]}]})


def test_introspection_in_prod_is_refused() -> None:
    value = GraphqlSettings.model_validate({**GRAPHQL_DEFAULTS["prod"], "introspection": True})
    problems = validate_graphql(value, "prod", "Pulumi.prod.yaml")
    assert [p.key for p in problems] == ["meridian:graphql.introspection"]
    assert (
        validate_graphql(GraphqlSettings.model_validate(GRAPHQL_DEFAULTS["prod"]), "prod", "f")
        == []
    )


def test_a_depth_above_the_design_is_refused() -> None:
    value = GraphqlSettings.model_validate({**GRAPHQL_DEFAULTS["dev"], "maxDepth": 11})
    assert [p.key for p in validate_graphql(value, "dev", "f")] == ["meridian:graphql.maxDepth"]


def test_a_partner_hostname_outside_the_zone_is_refused() -> None:
    value = PartnerApiSettings.model_validate(
        {**PARTNER_DEFAULTS["dev"], "hostname": "partners.example.org"}
    )
    problems = validate_partner(value, "dev", "Pulumi.dev.yaml")
    assert [p.key for p in problems] == ["meridian:partnerApi.hostname"]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_router_configuration_as_planned(env: str, preview: bool) -> None:
    plans = planned(env, preview)
    regional = [p for n, p in plans.items() if n not in (f"{env}-edge", f"{env}-global")]
    for plan in regional:
        releases = [
            s
            for s in plan["steps"]
            if s["newState"]["type"] == RELEASE
            and s["newState"]["inputs"].get("namespace") == "graphql"
        ]
        assert len(releases) == 1
        inputs = releases[0]["newState"]["inputs"]
        assert inputs["version"] == "2.13.1"
        assert inputs["chart"] == "oci://ghcr.io/apollographql/helm-charts/router"
        config = inputs["values"]["router"]["configuration"]
        assert config["limits"]["max_depth"] == 10  # architecture: 'Query depth limit (10)'
        assert config["demand_control"]["enabled"] is True
        assert config["demand_control"]["mode"] == "enforce"
        assert config["supergraph"]["introspection"] is (env != "prod")
        assert config["sandbox"]["enabled"] is False
        assert inputs["values"]["managedFederation"]["graphRef"] == f"meridian@{env}"
        # payment is in PCI-DSS scope, order's route needs MFA and messaging's route needs
        # `chat`, which the partner client (holding `graphql`) lacks: each is reached on its
        # own REST route only.
        assert set(config["override_subgraph_url"]) == {"user", "search"}
        graph_backends = set(config["override_subgraph_url"])
        assert all(
            row["auth"] != "JWT+MFA" for row in ROUTES if row.get("backend") in graph_backends
        )
        # The identity the edge Gateway set from the token reaches every subgraph.
        assert config["headers"] == {
            "all": {
                "request": [
                    {"propagate": {"named": "x-meridian-sub"}},
                    {"propagate": {"named": "x-meridian-scope"}},
                    {"propagate": {"named": "x-meridian-client-id"}},
                ]
            }
        }


@pytest.mark.parametrize(
    ("env", "cidrs", "said"),
    [
        ("dev", ["203.0.113.0/33"], "is not a network in CIDR notation"),
        ("dev", ["203.0.113.1/24"], "is not a network in CIDR notation"),
        ("dev", ["203.0.113.0/24", "203.0.113.0/24"], "is listed twice"),
        ("prod", ["0.0.0.0/0"], "admits the whole internet"),
        ("prod", ["::/0"], "admits the whole internet"),
    ],
)
def test_bad_partner_networks_are_refused(env: str, cidrs: list[str], said: str) -> None:
    value = PartnerApiSettings.model_validate({**PARTNER_DEFAULTS[env], "allowedCidrs": cidrs})
    problems = validate_partner(value, env, "Pulumi.x.yaml")
    assert [p.key for p in problems] == ["meridian:partnerApi.allowedCidrs"]
    assert said in problems[0].problem and "Pulumi.x.yaml" in problems[0].fix


def test_partner_networks_ship_empty_and_good_ones_pass() -> None:
    for env in ("dev", "staging", "prod"):
        assert PARTNER_DEFAULTS[env]["allowedCidrs"] == []
    value = PartnerApiSettings.model_validate(
        {**PARTNER_DEFAULTS["prod"], "allowedCidrs": ["203.0.113.0/24", "2001:db8::/32"]}
    )
    assert validate_partner(value, "prod", "f") == []


def _row(row_id: str, backend: str, auth: str, scopes: list[str]) -> dict[str, Any]:
    return {
        "id": row_id,
        "paths": [f"/api/v2/{row_id}"],
        "backend": backend,
        "auth": auth,
        "scopes": scopes,
    }


GRAPHQL_ROW = {
    "id": "graphql",
    "paths": ["/graphql"],
    "backend": "graphql-router",
    "auth": "JWT",
    "scopes": ["graphql"],
}


def test_the_subgraphs_of_the_tables_are_user_and_search() -> None:
    assert [s.name for s in subgraphs()] == ["search", "user"]


@pytest.mark.parametrize(
    ("rows", "clients", "names"),
    [
        # a route needing MFA keeps its backend out; without MFA it is composed
        ([_row("orders", "order", "JWT+MFA", ["users.read"])], None, []),
        ([_row("orders", "order", "JWT", ["users.read"])], None, ["order"]),
        # a scope the partner client (holding graphql) lacks keeps the backend out ...
        ([_row("chat", "messaging", "JWT", ["chat"])], None, []),
        # ... until every client holding graphql holds it
        (
            [_row("chat", "messaging", "JWT", ["chat"])],
            {
                "clients": [
                    {"id": "web", "scopes": ["graphql", "chat"]},
                    {"id": "batch", "scopes": ["chat"]},
                ]
            },
            ["messaging"],
        ),
        # one guarded route of a backend is enough to keep it out
        (
            [
                _row("users", "user", "JWT", ["users.read"]),
                _row("admin", "user", "JWT+MFA", ["users.read"]),
            ],
            None,
            [],
        ),
        # PCI-DSS scope stays out whatever the route says
        ([_row("payments", "payment", "JWT", ["users.read"])], None, []),
    ],
    ids=["mfa", "no-mfa", "scope-missing", "scope-held", "one-guarded-route", "pci"],
)
def test_subgraphs_leave_out_what_a_graph_token_could_not_call(
    rows: list[dict[str, Any]], clients: dict[str, Any] | None, names: list[str]
) -> None:
    document = {"routes": [*rows, GRAPHQL_ROW]}
    assert [s.name for s in subgraphs(document, clients or CLIENTS)] == names


def _no_graph_table() -> dict[str, Any]:
    """The shipped routes table with user and search behind MFA: no backend left to compose."""
    document = json.loads((DATA / "api_routes.json").read_text())
    for row in document["routes"]:
        if row["id"] in ("users", "search"):
            row["auth"] = "JWT+MFA"
    return document


def test_a_table_leaving_the_graph_empty_is_one_clean_problem() -> None:
    assert graph_problems() == []
    (problem,) = graph_problems(_no_graph_table())
    line = problem.render()
    assert "stacks/data/api_routes.json routes[5] (graphql).backend = 'graphql-router'" in line
    assert "would compose no subgraph" in line and "Fix: let one domain route" in line


def test_the_gate_refuses_an_empty_graph_before_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "routes_document", _no_graph_table)
    with pytest.raises(ConfigError) as info:
        check_environment("dev")
    text = str(info.value)
    assert "(graphql).backend = 'graphql-router': would compose no subgraph" in text
    assert "Traceback" not in text
