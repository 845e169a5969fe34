"""The edge components' own contracts, without an environment: typed args refuse what cannot be
built, the route matchers say what the table says, steering orders pools by distance."""

from __future__ import annotations

from typing import Any

import pytest

from components.common.naming import Names
from components.common.scope import AwsScope
from components.edge.aws_edge import AwsEdgeArgs, _api_pattern
from components.edge.cloudflare_edge import CloudflareEdgeArgs
from components.edge.geography import (
    AWS_REGIONS,
    CLOUDFLARE_REGIONS,
    RegionOrigin,
    pools_by_distance,
    site,
)
from components.edge.routes import ApiRoute, cloudflare_match, rate_limited
from stacks.cidr_plan import REGION_SLOTS
from stacks.edge_settings import api_routes

ORIGINS = (RegionOrigin("us-east-1", "a.elb.amazonaws.com"), RegionOrigin("eu-west-1", "b"))


def _aws_edge_args(**overrides: Any) -> AwsEdgeArgs:
    """Staging's AWS edge over ORIGINS, with `overrides` on top."""
    values: dict[str, Any] = {
        "names": Names("staging"),
        "zone": "example.com",
        "zone_id": "Z0123456789ABCDEFGHIJ",
        "hostnames": ("api.example.com",),
        "origins": ORIGINS,
        "primary_region": "us-east-1",
        "routes": api_routes(),
        "scope": AwsScope(account_id="123456789012", region="us-east-1"),
    }
    return AwsEdgeArgs(**{**values, **overrides})


def cloudflare_args(**changes: object) -> CloudflareEdgeArgs:
    values: dict[str, object] = {
        "names": Names("prod"),
        "account_id": "0" * 32,
        "zone_id": "1" * 32,
        "hostnames": ("api.example.com",),
        "origins": ORIGINS,
        "primary_region": "us-east-1",
        "routes": api_routes(),
    }
    values.update(changes)
    return CloudflareEdgeArgs(**values)  # type: ignore[arg-type]


def test_every_region_drained_is_refused() -> None:
    with pytest.raises(ValueError, match="every region is drained"):
        cloudflare_args(drained=frozenset({"us-east-1", "eu-west-1"}))
    with pytest.raises(ValueError, match="every region is drained"):
        _aws_edge_args(drained=frozenset({"us-east-1", "eu-west-1"}))


def test_a_passthrough_name_behind_cloudfront_is_refused() -> None:
    """CloudFront would end a passthrough (partner) name's TLS: the two sets must not meet."""
    with pytest.raises(ValueError, match="both behind CloudFront and passed through"):
        _aws_edge_args(passthrough_hostnames=("api.example.com",))


def test_draining_the_primary_keeps_the_others_in_rotation() -> None:
    args = cloudflare_args(drained=frozenset({"us-east-1"}))
    assert args.in_rotation == ["eu-west-1"]


def test_duplicate_origins_and_unknown_regions_are_refused() -> None:
    with pytest.raises(ValueError, match="one origin per region"):
        cloudflare_args(origins=(*ORIGINS, RegionOrigin("us-east-1", "c")))
    with pytest.raises(KeyError, match=r"components/edge/geography\.py"):
        cloudflare_args(origins=(RegionOrigin("xx-nowhere-1", "c"),), primary_region="xx-nowhere-1")


def test_every_region_meridian_can_plan_has_a_location() -> None:
    assert set(REGION_SLOTS) <= set(AWS_REGIONS)
    for region in REGION_SLOTS:
        assert site(region).check_region in CLOUDFLARE_REGIONS


def test_pools_are_ordered_by_distance() -> None:
    regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"]
    assert pools_by_distance("WEU", regions)[0] == "eu-west-1"
    assert pools_by_distance("WNAM", regions)[:2] == ["us-west-2", "us-east-1"]
    assert pools_by_distance("NEAS", regions)[0] == "ap-northeast-1"
    assert sorted(pools_by_distance("OC", regions)) == sorted(regions)  # all, as failover


def test_route_matchers() -> None:
    payments = ApiRoute("payments", "POST", ("/api/v2/payments",), "payment-service", 20)
    assert cloudflare_match(payments) == (
        '(http.request.method eq "POST" and starts_with(http.request.uri.path, "/api/v2/payments"))'
    )
    chat = ApiRoute("chat", "WS", ("/ws/v2/chat",), "msg-service", sticky=True)
    assert cloudflare_match(chat).startswith('(http.request.method eq "GET"')
    assert [r.id for r in rate_limited(list(api_routes()))] == [
        "users",
        "orders",
        "search",
        "payments",
        "graphql",
    ]
    with pytest.raises(ValueError, match="absolute"):
        ApiRoute("bad", "GET", ("api",), "x")


def test_cloudfront_behaviors_cover_whole_first_segments() -> None:
    assert _api_pattern("/api/v2/orders") == "/api/*"
    assert _api_pattern("/graphql") == "/graphql*"
    assert _api_pattern("/ws/v2/chat") == "/ws/*"


def test_health_alarms_outside_us_east_1_are_refused() -> None:
    """Route 53 publishes HealthCheckStatus in us-east-1 only: an alarm elsewhere sees nothing."""
    with pytest.raises(ValueError, match="health alarms live where Route 53 publishes"):
        _aws_edge_args(
            scope=AwsScope(account_id="123456789012", region="eu-west-1"),
            health_alarm_topic_arn="arn:aws:sns:eu-west-1:123456789012:alerts-p2",
        )


def test_origin_health_rules_alert_per_region() -> None:
    from components.observability.origin_health import OriginHealthRulesArgs, origin_health_rules

    args = OriginHealthRulesArgs(
        workspace_id="ws-1", pools={"us-east-1": "pool-a", "eu-west-1": "b"}
    )
    (group,) = origin_health_rules(args)["groups"]
    assert [(r["labels"]["region"], r["labels"]["severity"]) for r in group["rules"]] == [
        ("us-east-1", "P2"),
        ("eu-west-1", "P2"),
    ]
    assert (
        group["rules"][0]["expr"]
        == 'min(cloudflare_zone_pool_health_status{pool_name="pool-a"}) < 1'
    )
    with pytest.raises(ValueError, match="severity 'P5'"):
        OriginHealthRulesArgs(workspace_id="ws-1", pools={"us-east-1": "a"}, severity="P5")
    with pytest.raises(ValueError, match="at least one region's pool"):
        OriginHealthRulesArgs(workspace_id="ws-1", pools={})
