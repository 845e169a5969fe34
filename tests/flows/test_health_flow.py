"""The synthetic health flow in dev, staging and prod, up and preview: every region in rotation is
probed on `/health` by its edge and a failing probe pages (a P2 receiver). Each link removed from
a copy of the planned graphs (the probe, the alarm or rule, the alarm action or route, the
receiver, the security group admission) is reported by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from meridian_ops.plan.flows.harness import Graph, State, name_of
from meridian_ops.plan.flows.health import health_flow
from meridian_ops.plan.flows.status import flow_status
from stacks.config.source import PROJECT_DIR, read_stack_file
from tests.plans import planned

EDGES = {"dev": "cloudflare", "staging": "aws", "prod": "cloudflare"}
"""The edge each shipped environment's edge stack file (Pulumi.<env>-edge.yaml) chooses."""
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
RULES = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor"
RELEASE = "kubernetes:helm.sh/v3:Release"


def _regions(env: str) -> list[str]:
    return list(read_stack_file(PROJECT_DIR / f"Pulumi.{env}-global.yaml")["meridian:regions"])


def _graphs(env: str, preview: bool) -> tuple[Graph, dict[str, Graph]]:
    plans = planned(env, preview)
    regionals = {r: Graph(f"{env}-{r}", plans[f"{env}-{r}"]) for r in _regions(env)}
    return Graph(f"{env}-edge", plans[f"{env}-edge"]), regionals


def _failing(env: str, edge: Graph, regionals: dict[str, Graph]) -> list[str]:
    return [str(x) for x in health_flow(edge, regionals, EDGES[env]).failing()]


def _edit(
    regionals: dict[str, Graph], region: str, change: Callable[[Graph], Graph]
) -> dict[str, Graph]:
    return {r: change(g) if r == region else g for r, g in regionals.items()}


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_region_is_checked_and_paged(env: str, preview: bool) -> None:
    """The shipped environments drain no region: n/n regions, n the manifest's."""
    plans = planned(env, preview)
    (count,) = [c for c in flow_status(env, plans) if c.flow == "health"]
    regions = len(_regions(env))
    assert (count.ok, count.total, count.pending) == (regions, regions, 0), count.failures
    assert count.text() == f"{regions}/{regions} regions' health checked and paged"


# --- the AWS edge (staging) ---------------------------------------------------------------------


def _is_health_group(state: State) -> bool:
    return state["type"] == SECURITY_GROUP and name_of(state).endswith("-ingress-nlb-health")


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_nlb_admits_route53_health_checkers_on_443(preview: bool) -> None:
    """The NLB carries a group admitting com.amazonaws.<region>.route53-healthchecks on 443,
    apart from CloudFront's group (55 + 25 weighted rules would pass a group's 60)."""
    _, regionals = _graphs("staging", preview)
    for region, graph in regionals.items():
        (group,) = [s for s in graph.states if _is_health_group(s)]
        (rule,) = group["inputs"]["ingress"]
        assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443), region
        assert len(rule["prefixListIds"]) == 1 and not rule.get("cidrBlocks"), region
        assert group["inputs"]["egress"] == [], region
        cloudfront = graph.named(SECURITY_GROUP, "mesh-ingress-nlb")
        assert cloudfront is not None
        listed = [p for r in cloudfront["inputs"]["ingress"] for p in r.get("prefixListIds", [])]
        assert rule["prefixListIds"][0] not in listed, region


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_without_the_health_checkers_group_fails(preview: bool) -> None:
    edge, regionals = _graphs("staging", preview)
    broken = _edit(regionals, "eu-west-1", lambda g: g.without(_is_health_group))
    failing = _failing("staging", edge, broken)
    assert failing == [
        "health eu-west-1: NLB admits Route 53's health checkers on 443: fail (no security group "
        "of the NLB admits com.amazonaws.eu-west-1.route53-healthchecks on 443)"
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_without_the_health_check_fails(preview: bool) -> None:
    edge, regionals = _graphs("staging", preview)
    edge = edge.without(lambda s: s["type"] == HEALTH_CHECK and name_of(s).endswith("-us-east-1"))
    failing = _failing("staging", edge, regionals)
    assert failing == [
        "health us-east-1: Route 53 health check: fail (no health check of us-east-1)"
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_without_the_alarm_fails(preview: bool) -> None:
    edge, regionals = _graphs("staging", preview)
    edge = edge.without(lambda s: s["type"] == ALARM and name_of(s).endswith("-eu-west-1"))
    failing = _failing("staging", edge, regionals)
    assert len(failing) == 1 and "health eu-west-1: alarm on HealthCheckStatus: fail" in failing[0]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_alarm_without_its_action_fails(preview: bool) -> None:
    def silence(state: State) -> None:
        state["inputs"]["alarmActions"] = []

    edge, regionals = _graphs("staging", preview)
    edge = edge.edited(lambda s: s["type"] == ALARM, silence)
    failing = _failing("staging", edge, regionals)
    assert [f.split(": fail")[0] for f in failing] == [
        f"health {r}: alarm notifies us-east-1's P2 topic" for r in _regions("staging")
    ]


def test_aws_alarm_on_another_topic_fails() -> None:
    def elsewhere(state: State) -> None:
        state["inputs"]["alarmActions"] = [
            "arn:aws:sns:us-east-1:123456789012:meridian-staging-use1-alerts-p4"
        ]

    edge, regionals = _graphs("staging", False)
    edge = edge.edited(lambda s: s["type"] == ALARM, elsewhere)
    assert len(_failing("staging", edge, regionals)) == len(_regions("staging"))


def test_aws_alarm_outside_us_east_1_fails() -> None:
    def move(state: State) -> None:
        state["provider"] = state["provider"].replace("::aws-us-east-1::", "::aws-eu-west-1::")

    edge, regionals = _graphs("staging", False)
    edge = edge.edited(lambda s: s["type"] == ALARM, move)
    failing = _failing("staging", edge, regionals)
    assert [f.split(": fail")[0] for f in failing] == [
        f"health {r}: alarm in us-east-1" for r in _regions("staging")
    ]


def _without_p2_receiver(graph: Graph) -> Graph:
    topics = {
        t["urn"]
        for t in graph.of_type(TOPIC)
        if (t["inputs"].get("tags") or {}).get("meridian:severity") == "P2"
    }

    def drop(state: State) -> bool:
        deps = (state.get("propertyDependencies") or {}).get("topic", [])
        return state["type"] == SUBSCRIPTION and bool(topics & set(deps))

    return graph.without(drop)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_aws_without_a_p2_receiver_in_us_east_1_fails(preview: bool) -> None:
    edge, regionals = _graphs("staging", preview)
    broken = _edit(regionals, "us-east-1", _without_p2_receiver)
    failing = _failing("staging", edge, broken)
    assert [f.split(": fail")[0] for f in failing] == [
        f"health {r}: P2 topic of staging-us-east-1 has a receiver" for r in _regions("staging")
    ]


# --- the Cloudflare edge (dev, prod) ------------------------------------------------------------


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_cloudflare_without_the_pool_rule_fails(preview: bool) -> None:
    edge, regionals = _graphs("dev", preview)
    edge = edge.without(lambda s: s["type"] == RULES)
    failing = _failing("dev", edge, regionals)
    assert [f.split(": fail")[0] for f in failing] == [
        "health us-east-1: P2 rule on the pool's health"
    ]


def test_cloudflare_rule_in_another_workspace_fails() -> None:
    def move(state: State) -> None:
        state["inputs"]["workspaceId"] = "ws-00000000-0000-0000-0000-000000000000"

    edge, regionals = _graphs("dev", False)
    edge = edge.edited(lambda s: s["type"] == RULES, move)
    assert [f.split(": fail")[0] for f in _failing("dev", edge, regionals)] == [
        "health us-east-1: P2 rule on the pool's health"
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_cloudflare_without_the_monitor_fails(preview: bool) -> None:
    edge, regionals = _graphs("dev", preview)
    edge = edge.without(lambda s: s["type"] == MONITOR)
    failing = _failing("dev", edge, regionals)
    assert failing == [
        "health us-east-1: health monitor on the pool: fail (the pool has no monitor)"
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_cloudflare_without_the_exporter_fails(preview: bool) -> None:
    edge, regionals = _graphs("dev", preview)

    def exporter(state: State) -> bool:
        return state["type"] == RELEASE and state["inputs"].get("chart") == "cloudflare-exporter"

    broken = _edit(regionals, "us-east-1", lambda g: g.without(exporter))
    assert [f.split(": fail")[0] for f in _failing("dev", edge, broken)] == [
        "health us-east-1: pool health exported in the primary region"
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_cloudflare_without_a_p2_receiver_fails(preview: bool) -> None:
    edge, regionals = _graphs("dev", preview)
    broken = _edit(regionals, "us-east-1", _without_p2_receiver)
    assert [f.split(": fail")[0] for f in _failing("dev", edge, broken)] == [
        "health us-east-1: P2 topic of dev-us-east-1 has a receiver"
    ]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_cloudflare_without_the_edge_ranges_admitted_fails(preview: bool) -> None:
    def close(state: State) -> None:
        state["inputs"]["ingress"] = [
            r for r in state["inputs"]["ingress"] if not r.get("cidrBlocks")
        ]

    edge, regionals = _graphs("dev", preview)
    broken = _edit(
        regionals,
        "us-east-1",
        lambda g: g.edited(lambda s: s["urn"].endswith("::mesh-ingress-nlb"), close),
    )
    assert [f.split(": fail")[0] for f in _failing("dev", edge, broken)] == [
        "health us-east-1: NLB admits Cloudflare's ranges on 443"
    ]


def test_a_drained_region_is_not_counted() -> None:
    """Out of rotation on purpose: no alarm or rule is expected, and none is counted."""
    edge, regionals = _graphs("staging", False)
    edge = edge.without(lambda s: s["type"] == ALARM and name_of(s).endswith("-eu-west-1"))
    flow = health_flow(edge, regionals, "aws", drained=["eu-west-1"])
    assert not flow.failing()
    assert {x.flow for x in flow} == {"health us-east-1"}


def _rule_data(edge: Graph) -> Any:
    import yaml

    (rules,) = edge.of_type(RULES)
    return yaml.safe_load(rules["inputs"]["data"])


def test_cloudflare_rule_alerts_per_pool_at_p2() -> None:
    """One alert per region on the pool its edge names, at P2 (architecture, 'Alert Severity
    Levels': partial outage), after two minutes unhealthy."""
    edge, _ = _graphs("prod", False)
    pools = {
        name_of(p).rsplit("-pool-", 1)[1]: p["inputs"]["name"]
        for p in edge.of_type("cloudflare:index/loadBalancerPool:LoadBalancerPool")
    }
    (group,) = _rule_data(edge)["groups"]
    by_region = {r["labels"]["region"]: r for r in group["rules"]}
    assert set(by_region) == set(_regions("prod")) == set(pools)
    for region, rule in by_region.items():
        assert rule["expr"] == (
            f'min(cloudflare_zone_pool_health_status{{pool_name="{pools[region]}"}}) < 1'
        )
        assert (rule["labels"]["severity"], rule["for"]) == ("P2", "2m")


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_the_edge_rules_read_what_the_primary_collects(preview: bool) -> None:
    """The edge stack's rules live in the primary's workspace: each series they read is one a
    source present in the primary's plan collects (tests/series.py, names from the publisher)."""
    from tests.series import metric_names, rule_groups, uncollected

    plans = planned("dev", preview)
    exprs = [str(r["expr"]) for g in rule_groups(plans["dev-edge"]) for r in g["rules"]]
    assert {n for e in exprs for n in metric_names(e)} == {"cloudflare_zone_pool_health_status"}
    assert uncollected(exprs, plans["dev-us-east-1"], set()) == set()
    assert uncollected(exprs, plans["dev-us-east-1"] | {"steps": []}, set()) == {
        "cloudflare_zone_pool_health_status"
    }


def test_aws_health_group_not_on_the_nlb_fails() -> None:
    """The group exists but the gateway's Service does not list it: the NLB never carries it."""
    edge, regionals = _graphs("staging", False)
    graph = regionals["us-east-1"]
    (health,) = [s for s in graph.states if _is_health_group(s)]

    def unlist(state: State) -> None:
        annotations = state["inputs"]["values"]["service"]["annotations"]
        key = "service.beta.kubernetes.io/aws-load-balancer-security-groups"
        annotations[key] = annotations[key].split(",")[0]
        deps = state["propertyDependencies"]["values"]
        state["propertyDependencies"]["values"] = [u for u in deps if u != health["urn"]]

    def gateway(state: State) -> bool:
        values = (state.get("inputs") or {}).get("values") or {}
        return state["type"] == RELEASE and values.get("name") == "istio-ingressgateway"

    broken = _edit(regionals, "us-east-1", lambda g: g.edited(gateway, unlist))
    assert [f.split(": fail")[0] for f in _failing("staging", edge, broken)] == [
        "health us-east-1: NLB admits Route 53's health checkers on 443"
    ]
