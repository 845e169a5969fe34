"""The edge's settings: the routing table it is built from, the shipped edge stack files, and bad
input (unknown provider, rate limit for a route that does not exist, every region drained,
a Cloudflare token in plain text) stopped with the key, the value and the fix."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from stacks.config.errors import ConfigError
from stacks.config.source import PROJECT_DIR, StaticConfigSource, read_stack_file
from stacks.edge_settings import ROUTES_FILE, api_routes, edge_routes
from stacks.program import settings_for

MANIFEST: dict[str, Any] = {
    "pulumi:disable-default-providers": ["*"],
    "meridian:owner": "platform-engineering",
    "meridian:costCenter": "CC-4100",
    "meridian:deployRunner": {  # the in-VPC deploy runner's GitHub connection (required)
        "connectionArn": "arn:aws:codeconnections:us-east-1:123456789012:connection/"
        "0b4e7d2c-1f6a-4c3e-9b8d-5a7e6f4c3b2a",
        "repository": "example-org/meridian",
    },
    "meridian:regions": ["us-east-1", "eu-west-1"],
    "meridian:replication": {  # the primary has no active-active partner: an explicit opt-out
        "kafkaDrOptOuts": {"us-east-1": "no active-active pair; the lake keeps a bronze copy"}
    },
}
CLOUDFLARE = {
    "accountId": "4f7e2a9c1b3d5e6f8a0b2c4d6e8f0a1b",
    "zoneId": "9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49",
}
EDGE: dict[str, Any] = {"zone": "meridian.example.com", "cloudflare": CLOUDFLARE}


def edge_settings(edge: dict[str, Any] | None = None, **extra: Any) -> Any:
    own: dict[str, Any] = {"pulumi:disable-default-providers": ["*"], **extra}
    if edge is not None:
        own["meridian:edge"] = edge
    manifest = copy.deepcopy(MANIFEST)
    return settings_for("staging-edge", StaticConfigSource(own, {"staging": manifest}))


def problems_of(edge: dict[str, Any] | None = None, **extra: Any) -> str:
    with pytest.raises(ConfigError) as info:
        edge_settings(edge, **extra)
    text = str(info.value)
    assert "nothing was deployed" in text and "Fix:" in text
    return text


# --- the routing table ------------------------------------------------------------------------


def test_routes_table_holds_the_seed_rate_limits() -> None:
    """architecture.txt section 04, 'API Gateway Routing Table': the numbers are requirements."""
    limits = {r.id: r.rate_limit_per_minute for r in api_routes()}
    assert limits == {
        "users": 1000,
        "orders": 100,
        "search": 500,
        "chat": None,
        "payments": 20,
        "graphql": 200,
        "health": None,
    }
    by_id = {r.id: r for r in api_routes()}
    assert by_id["payments"].paths == ("/api/v2/payments",) and by_id["payments"].method == "POST"
    assert by_id["graphql"].paths == ("/graphql",)
    assert by_id["chat"].sticky and by_id["chat"].http_method == "GET"
    assert by_id["health"].internal and set(by_id["health"].paths) == {"/health", "/metrics"}
    document = json.loads(ROUTES_FILE.read_text())
    assert len(document["routes"]) == len(api_routes())


def test_rate_limit_override_changes_only_its_route() -> None:
    settings = edge_settings({**EDGE, "rateLimits": {"payments": 10}})
    routes = {r.id: r.rate_limit_per_minute for r in edge_routes(settings.edge)}
    assert routes["payments"] == 10 and routes["orders"] == 100


# --- shipped files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "provider"), [("dev", "cloudflare"), ("staging", "aws"), ("prod", "cloudflare")]
)
def test_shipped_edge_stack_files_are_valid(env: str, provider: str) -> None:
    own = read_stack_file(PROJECT_DIR / f"Pulumi.{env}-edge.yaml")
    manifest = read_stack_file(PROJECT_DIR / f"Pulumi.{env}-global.yaml")
    settings = settings_for(f"{env}-edge", StaticConfigSource(own, {env: manifest}))
    assert settings.edge is not None and settings.edge.provider == provider
    assert settings.edge.drained_regions == []
    assert all(h.endswith(settings.edge.zone) for h in settings.edge.public_hostnames)


def test_cloudflare_is_the_default_provider() -> None:
    settings = edge_settings(EDGE)
    assert settings.edge.provider == "cloudflare"
    assert settings.edge.public_hostnames == [
        "api.meridian.example.com",
        "www.meridian.example.com",
    ]


def test_other_stacks_have_no_edge_settings() -> None:
    manifest = copy.deepcopy(MANIFEST)
    settings = settings_for("staging-global", StaticConfigSource(manifest, {"staging": manifest}))
    assert settings.edge is None


# --- bad input --------------------------------------------------------------------------------


def test_unknown_provider() -> None:
    text = problems_of({**EDGE, "provider": "fastly"})
    assert "meridian:edge.provider = 'fastly': is not an edge provider Meridian builds" in text
    assert "set it to cloudflare" in text and "or aws" in text
    assert "Pulumi.staging-edge.yaml" in text


def test_misspelled_provider_suggests_the_name() -> None:
    assert "did you mean cloudflare?" in problems_of({**EDGE, "provider": "cloudflair"})


def test_rate_limit_for_a_route_that_does_not_exist() -> None:
    text = problems_of({**EDGE, "rateLimits": {"checkout": 50, "payment": 5}})
    assert "meridian:edge.rateLimits.checkout = 50: names no route of the API routing table" in text
    assert "use one of: chat, graphql, health, orders, payments, search, users" in text
    assert "meridian:edge.rateLimits.payment = 5" in text and "did you mean payments?" in text


def test_rate_limit_for_an_internal_route() -> None:
    text = problems_of({**EDGE, "rateLimits": {"health": 10}})
    assert "is an internal route" in text and "remove the override" in text


def test_rate_limit_below_the_aws_waf_minimum() -> None:
    text = problems_of(
        {"zone": "meridian.example.com", "provider": "aws", "rateLimits": {"payments": 5}}
    )
    assert "below AWS WAF's smallest rate-based limit" in text


def test_draining_every_region() -> None:
    text = problems_of({**EDGE, "drainedRegions": ["us-east-1", "eu-west-1"]})
    assert "meridian:edge.drainedRegions = ['us-east-1', 'eu-west-1']: drains every region" in text
    assert "keep at least one region in rotation" in text


def test_draining_a_region_the_environment_does_not_have() -> None:
    text = problems_of({**EDGE, "drainedRegions": ["eu-west-2"]})
    assert "meridian:edge.drainedRegions[0] = 'eu-west-2': is not one of the environment's" in text


def test_draining_one_region_is_accepted() -> None:
    settings = edge_settings({**EDGE, "drainedRegions": ["eu-west-1"]})
    assert settings.edge.drained_regions == ["eu-west-1"]


def test_cloudflare_needs_its_account_and_zone() -> None:
    text = problems_of({"zone": "meridian.example.com"})
    assert "meridian:edge.cloudflare = '<unset>': is required with provider cloudflare" in text
    text = problems_of(
        {**EDGE, "cloudflare": {"accountId": "nope", "zoneId": CLOUDFLARE["zoneId"]}}
    )
    assert "meridian:edge.cloudflare.accountId" in text


def test_cloudflare_token_in_plain_text_is_refused() -> None:
    text = problems_of(EDGE, **{"cloudflare:apiToken": "v1.0-abc123-secret"})
    assert "cloudflare:apiToken = '<plain text, not shown>'" in text
    assert "pulumi config set --secret cloudflare:apiToken" in text
    assert "CLOUDFLARE_API_TOKEN" in text
    assert "v1.0-abc123-secret" not in text
    assert text.count("cloudflare:apiToken =") == 1  # one problem, not the generic one too


def test_cloudflare_token_as_secret_is_accepted() -> None:
    settings = edge_settings(EDGE, **{"cloudflare:apiToken": {"secure": "AAABAJ+encrypted"}})
    assert settings.edge.provider == "cloudflare"


def test_hostname_outside_the_zone() -> None:
    text = problems_of({**EDGE, "hostnames": ["api.example.org"]})
    assert "meridian:edge.hostnames[0] = 'api.example.org': is not in the zone" in text


def test_shield_advanced_is_for_the_aws_edge() -> None:
    text = problems_of({**EDGE, "shieldAdvanced": True})
    assert "applies to the aws edge only" in text


def test_edge_keys_stay_refused_elsewhere() -> None:
    manifest = {**copy.deepcopy(MANIFEST), "meridian:edge": EDGE}
    with pytest.raises(ConfigError) as info:
        settings_for("staging-global", StaticConfigSource(manifest, {"staging": manifest}))
    assert "meridian:edge" in str(info.value)


def test_aws_edge_without_us_east_1_is_refused() -> None:
    """Route 53 publishes health check metrics in us-east-1 only, and an alarm notifies a topic of
    its own region: the AWS edge pages through us-east-1's P2 topic, so the environment needs it."""
    manifest = copy.deepcopy(MANIFEST)
    manifest["meridian:regions"] = ["eu-west-1", "eu-central-1"]
    manifest["meridian:replication"] = {
        "kafkaDrOptOuts": {"eu-west-1": "no active-active pair; the lake keeps a bronze copy"}
    }
    own = {
        "pulumi:disable-default-providers": ["*"],
        "meridian:edge": {"zone": "meridian.example.com", "provider": "aws"},
    }
    with pytest.raises(ConfigError) as info:
        settings_for("staging-edge", StaticConfigSource(own, {"staging": manifest}))
    text = str(info.value)
    assert "meridian:edge.provider = 'aws': pages a region failing its health check" in text
    assert "add us-east-1 to meridian:regions, or use the cloudflare edge" in text


def test_aws_edge_with_us_east_1_is_accepted() -> None:
    settings = edge_settings({"zone": "meridian.example.com", "provider": "aws"})
    assert settings.edge.provider == "aws"
