"""The partner tiers table, its rate-limit descriptors, the GraphQL and partner settings' bad
input, and the router's configuration as planned (design values as literals)."""

from __future__ import annotations

import copy

import pytest

from stacks.partner_api import partner_descriptors, tier_problems, tiers_document
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


def test_tiers_span_the_designs_range() -> None:
    rates = sorted(t["requestsPerMinute"] for t in tiers_document()["tiers"])
    assert rates[0] == 10_000 and rates[-1] == 1_000_000  # architecture: 10k-1M req/min by tier
    assert "Partner API" in tiers_document()["source"]


def test_descriptors_one_per_tier_in_the_rate_limit_shape() -> None:
    config = partner_descriptors()
    rows = {d["value"]: d["rate_limit"] for d in config["descriptors"]}
    assert rows == {
        t["id"]: {"unit": "minute", "requests_per_unit": t["requestsPerMinute"]}
        for t in tiers_document()["tiers"]
    }
    assert {d["key"] for d in config["descriptors"]} == {"partner_tier"}


@pytest.mark.parametrize("rate", [None, 0, -5, "10k"])
def test_a_tier_without_a_rate_is_refused(rate: object) -> None:
    doc = copy.deepcopy(tiers_document())
    if rate is None:
        del doc["tiers"][1]["requestsPerMinute"]
    else:
        doc["tiers"][1]["requestsPerMinute"] = rate
    problems = tier_problems(doc)
    assert len(problems) == 1
    text = str(problems[0])
    assert "tiers[1]" in text and "requestsPerMinute" in text and "10000 to 1000000" in text
    with pytest.raises(ValueError, match="requestsPerMinute"):
        partner_descriptors(doc)


def test_the_shipped_table_has_no_problem() -> None:
    assert tier_problems(tiers_document()) == []


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
        assert set(config["override_subgraph_url"]) == {
            "user",
            "order",
            "search",
            "messaging",
        }  # payment is in PCI-DSS scope: reached on its own route, never through the router
